// Command redeliver-webhook-event is the Lambda function of
// partnerv2.RedeliverWebhookEventRoute: it queues redeliveries on the
// webhook retry queue.
package main

import (
	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/jobs/dispatch"
	"github.com/partner-identity/api/shared/lambdarun"
	"github.com/partner-identity/api/shared/surface/partnerv2"
)

func main() {
	deps := app.MustFromEnv()
	deps.WebhookRetries = dispatch.RetryQueue(deps)
	lambdarun.Serve(deps, partnerv2.RedeliverWebhookEventRoute)
}
