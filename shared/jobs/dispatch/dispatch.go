// Package dispatch assembles the webhook dispatcher from a container's
// dependencies, for functions/webhook-dispatcher and the local runner (the
// jobs' counterpart of a surface's routes.go). It is a package of its own
// so that only the dispatcher links the SQS client.
package dispatch

import (
	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/webhooks"
)

// New is the dispatcher over d: dead letters to d's SQS queue (or the log
// without one), requests through a sender with the default timeout.
func New(d *app.Deps) *webhooks.Dispatcher {
	return webhooks.NewDispatcher(d.Store, d.Registry, d.WebhookSecrets, d.Now,
		webhooks.DeadLettersTo(d.AWS, d.WebhookDLQURL), webhooks.NewSender(webhooks.DefaultTimeout, d.WebhookAllowHTTP))
}
