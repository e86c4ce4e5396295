// Command set-federated-identity is the Lambda function of federatedids.SetIdentityRoute.
package main

import (
	"github.com/partner-identity/api/shared/http/federatedids"
	"github.com/partner-identity/api/shared/lambda/federatedapi"
)

func main() { federatedapi.Main(federatedids.SetIdentityRoute) }
