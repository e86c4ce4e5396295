// Command jwks is the Lambda function of wellknown.JWKSRoute.
package main

import (
	"github.com/partner-identity/api/shared/http/wellknown"
	"github.com/partner-identity/api/shared/lambda/wellknownapi"
)

func main() { wellknownapi.Main(wellknown.JWKSRoute) }
