// Command user-info is the Lambda function of userv2.UserInfoRoute.
package main

import (
	"github.com/partner-identity/api/shared/http/userv2"
	"github.com/partner-identity/api/shared/lambda/userapi"
)

func main() { userapi.Main(userv2.UserInfoRoute) }
