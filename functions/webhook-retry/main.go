// Command webhook-retry consumes the webhook retry queue: the scheduled
// retries of events whose delivery failed, and the redeliveries partners
// ask for.
package main

import (
	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/jobs/dispatch"
	"github.com/partner-identity/api/shared/lambdarun"
)

func main() {
	deps := app.MustFromEnv()
	deps.Prefetch(dispatch.Needs)
	lambdarun.StartFunc(dispatch.Retries(dispatch.New(deps)))
}
