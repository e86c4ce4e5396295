// Command link-identifier is the Lambda function of userv2.LinkIdentifierRoute.
package main

import (
	"github.com/partner-identity/api/shared/http/userv2"
	"github.com/partner-identity/api/shared/lambda/userapi"
)

func main() { userapi.Main(userv2.LinkIdentifierRoute) }
