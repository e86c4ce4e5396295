// Command rotate-webhook-endpoint-secret is the Lambda function of partnerv2.RotateEndpointSecretRoute.
package main

import (
	"github.com/partner-identity/api/shared/http/partnerv2"
	"github.com/partner-identity/api/shared/lambda/partnerapi"
)

func main() { partnerapi.Main(partnerv2.RotateEndpointSecretRoute) }
