// Command update-webhook-endpoint is the Lambda function of partnerv2.UpdateWebhookEndpointRoute.
package main

import (
	"github.com/partner-identity/api/shared/http/partnerv2"
	"github.com/partner-identity/api/shared/lambda/partnerapi"
)

func main() { partnerapi.Main(partnerv2.UpdateWebhookEndpointRoute) }
