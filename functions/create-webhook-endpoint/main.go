// Command create-webhook-endpoint is the Lambda function of partnerv2.CreateWebhookEndpointRoute.
package main

import (
	"github.com/partner-identity/api/shared/http/partnerv2"
	"github.com/partner-identity/api/shared/lambda/partnerapi"
)

func main() { partnerapi.Main(partnerv2.CreateWebhookEndpointRoute) }
