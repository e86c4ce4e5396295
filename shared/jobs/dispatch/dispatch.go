// Package dispatch assembles the webhook dispatcher from a container's
// dependencies, for functions/webhook-dispatcher (the stream's first
// attempts), functions/webhook-retry (the retry queue) and the local
// runner (the jobs' counterpart of a surface's routes.go), and the retry
// queue for functions/redeliver-webhook-event. It is a package of its own
// so that only the webhook functions link the SQS client.
package dispatch

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/webhookqueue"
	"github.com/partner-identity/api/shared/webhookqueue/sqsqueue"
	"github.com/partner-identity/api/shared/webhooks"
)

// Needs are what its invocations use over the network: the events (the
// table), the partners' URLs (the registry), their signing secrets and the
// retry queue (app.Deps.Prefetch).
const Needs = app.NeedTable | app.NeedRegistry | app.NeedWebhookSecrets | app.NeedQueue

// New is the dispatcher over d: retries to d's retry queue (d's own queue
// when set; without a queue URL, outside Lambda, one in process that
// hands messages back to this dispatcher), dead letters to d's SQS queue
// (or the log without one), requests through a sender with the default
// timeout.
func New(d *app.Deps) *webhooks.Dispatcher {
	retries, dlq := queues(d)
	local, _ := retries.(*webhookqueue.Local)
	disp := webhooks.NewDispatcher(d.Store, d.Registry, d.WebhookSecrets, d.Now, retries, dlq,
		webhooks.NewSender(webhooks.DefaultTimeout, d.WebhookAllowHTTP))
	if local != nil && local.Handle == nil {
		local.Handle = disp.Retry
	}
	return disp
}

// queues are the retry queue and the dead-letter queue over d: d's own
// retry queue when set, SQS's, one that fails in Lambda without a URL, or
// outside Lambda an in-process queue (whose Handle is still to be set).
func queues(d *app.Deps) (webhookqueue.Queue, webhookqueue.DeadLetters) {
	retries, dlq := sqsqueue.New(d.AWS, d.WebhookRetryQueueURL, d.WebhookDLQURL)
	switch {
	case d.WebhookRetries != nil:
		retries = d.WebhookRetries
	case retries != nil:
	case d.InLambda:
		retries = unconfigured{}
	default:
		retries = &webhookqueue.Local{RetryAfter: 5 * time.Second}
	}
	return retries, dlq
}

// RetryQueue is the retry queue New's dispatcher uses over d, for a
// route that queues redeliveries: d's own, SQS's (WEBHOOK_RETRY_QUEUE_URL),
// one that fails in Lambda without a URL, and outside Lambda without one
// the in-process queue of a dispatcher of its own (built only then).
func RetryQueue(d *app.Deps) webhookqueue.Queue {
	q, _ := queues(d)
	if _, local := q.(*webhookqueue.Local); local {
		return New(d).Retries
	}
	return q
}

// unconfigured is the retry queue of a function in Lambda without
// WEBHOOK_RETRY_QUEUE_URL: every enqueue fails (the stream retries).
type unconfigured struct{}

func (unconfigured) Enqueue(context.Context, webhookqueue.Retry, time.Duration) error {
	return errors.New("dispatch: WEBHOOK_RETRY_QUEUE_URL is not set")
}

// Retries is the retry queue consumer over d: the messages that failed
// are reported as batch item failures (SQS brings them again); one that
// does not parse is dropped.
func Retries(d *webhooks.Dispatcher) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return func(ctx context.Context, e events.SQSEvent) (events.SQSEventResponse, error) {
		msgs, bad := sqsqueue.Messages(e)
		if len(bad) > 0 {
			slog.ErrorContext(ctx, "webhook retry messages dropped: not a retry message", "messageIds", bad)
		}
		retries := make([]webhookqueue.Retry, len(msgs))
		for i, m := range msgs {
			retries[i] = m.Retry
		}
		resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
		for _, i := range d.HandleRetries(ctx, retries) {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msgs[i].MessageID})
		}
		return resp, nil
	}
}
