// Command list-federated-identities is the Lambda function of federatedids.ListIdentitiesRoute.
package main

import (
	"github.com/partner-identity/api/shared/http/federatedids"
	"github.com/partner-identity/api/shared/lambda/federatedapi"
)

func main() { federatedapi.Main(federatedids.ListIdentitiesRoute) }
