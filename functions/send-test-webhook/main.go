// Command send-test-webhook is the Lambda function of partnerv2.SendTestWebhookRoute.
package main

import (
	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/lambdarun"
	"github.com/partner-identity/api/shared/surface/partnerv2"
)

func main() {
	deps := app.MustFromEnv()
	lambdarun.Serve(deps, partnerv2.SendTestWebhookRoute)
}
