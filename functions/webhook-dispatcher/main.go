// Command webhook-dispatcher consumes the table's stream (outbox inserts
// only) and delivers each event to its partner's webhook.
package main

import (
	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/lambdarun"
	"github.com/partner-identity/api/shared/webhooks"
)

func main() {
	d := app.MustFromEnv()
	dispatcher := webhooks.NewDispatcher(d.Store, d.Registry, d.WebhookSecrets, d.Now,
		webhooks.DeadLettersTo(d.AWS, d.WebhookDLQURL), webhooks.NewSender(webhooks.DefaultTimeout, d.WebhookAllowHTTP))
	lambdarun.StartFunc(dispatcher.Handle)
}
