// Command webhook-dispatcher consumes the table's stream (outbox inserts
// only) and makes each event's first delivery attempt; failed ones go to
// the retry queue (functions/webhook-retry).
package main

import (
	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/jobs/dispatch"
	"github.com/partner-identity/api/shared/lambdarun"
)

func main() {
	deps := app.MustFromEnv()
	deps.Prefetch(dispatch.Needs)
	lambdarun.StartFunc(dispatch.Stream(dispatch.New(deps)))
}
