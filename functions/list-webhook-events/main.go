// Command list-webhook-events is the Lambda function of partnerv2.ListWebhookEventsRoute.
package main

import (
	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/lambdarun"
	"github.com/partner-identity/api/shared/surface/partnerv2"
)

func main() {
	deps := app.MustFromEnv()
	lambdarun.Serve(deps, partnerv2.ListWebhookEventsRoute)
}
