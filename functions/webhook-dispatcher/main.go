// Command webhook-dispatcher consumes the table's stream (outbox inserts
// only) and delivers each event to its partner's webhook.
package main

import (
	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/jobs/dispatch"
	"github.com/partner-identity/api/shared/lambdarun"
)

func main() {
	deps := app.MustFromEnv()
	lambdarun.StartFunc(dispatch.New(deps).Handle)
}
