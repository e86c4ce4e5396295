// Package dispatch assembles the webhook dispatcher from a container's
// dependencies, for functions/webhook-dispatcher (the stream's first
// attempts), functions/webhook-retry (the retry queue) and the local
// runner (the jobs' counterpart of a surface's routes.go), and the retry
// queue for functions/redeliver-webhook-event. It is a package of its own
// so that only the webhook functions link the SQS client.
package dispatch

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/store"
	"github.com/partner-identity/api/shared/store/dynamostore"
	"github.com/partner-identity/api/shared/webhookqueue"
	"github.com/partner-identity/api/shared/webhookqueue/sqsqueue"
	"github.com/partner-identity/api/shared/webhooks"
)

// Needs are what its invocations use over the network: the events (the
// table), the partners' URLs (the registry), their signing secrets and the
// retry queue (app.Deps.Prefetch).
const Needs = app.NeedTable | app.NeedRegistry | app.NeedWebhookSecrets | app.NeedQueue

// New is the dispatcher over d: retries to d's retry queue (d's own queue
// when set, else SQS's), the slow lane likewise, dead letters to d's SQS
// queue (or the log without one), requests through a sender with the
// default timeout. A queue in process (a local runner's) hands its
// messages back to this dispatcher.
func New(d *app.Deps) *webhooks.Dispatcher {
	retries, slow, dlq := queues(d)
	disp := webhooks.NewDispatcher(d.Store, d.Registry, d.WebhookSecrets, d.Now, retries, dlq,
		webhooks.NewSender(webhooks.DefaultTimeout, d.WebhookAllowHTTP))
	disp.SlowLane = slow
	for _, q := range []webhookqueue.Queue{retries, slow} {
		if local, ok := q.(webhookqueue.InProcess); ok {
			local.HandleWith(disp.Retry)
		}
	}
	return disp
}

// queues are the retry queue, the slow lane and the dead-letter queue over
// d: d's own when set, SQS's, or one that fails (not configured: the
// stream or SQS brings the message again).
func queues(d *app.Deps) (retries, slow webhookqueue.Queue, dlq webhookqueue.DeadLetters) {
	retries, dlq = sqsqueue.New(d.AWS, d.WebhookRetryQueueURL, d.WebhookDLQURL)
	slow, _ = sqsqueue.New(d.AWS, d.WebhookSlowQueueURL, "")
	pick := func(own, sqs webhookqueue.Queue, env string) webhookqueue.Queue {
		switch {
		case own != nil:
			return own
		case sqs != nil:
			return sqs
		}
		return unconfigured{env}
	}
	return pick(d.WebhookRetries, retries, "WEBHOOK_RETRY_QUEUE_URL"), pick(d.WebhookSlowLane, slow, "WEBHOOK_SLOW_QUEUE_URL"), dlq
}

// RetryQueue is the retry queue New's dispatcher uses over d, for a route
// that queues redeliveries; a queue in process gets a dispatcher of its
// own as its consumer (built only then).
func RetryQueue(d *app.Deps) webhookqueue.Queue {
	q, _, _ := queues(d)
	if _, local := q.(webhookqueue.InProcess); local {
		return New(d).Retries
	}
	return q
}

// Stream is the stream consumer over disp: the table's stream carries each
// write's keys only (KEYS_ONLY: no personal data in the stream); those of
// an outbox event are handed to disp, which reads the event. The records
// whose event could not be handled are reported as batch item failures.
func Stream(disp *webhooks.Dispatcher) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return func(ctx context.Context, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		var keys []store.EventKey
		var seqs []string
		for _, rec := range e.Records {
			if k, ok := outboxKey(rec); ok { // else not an outbox insert: the filter should not have let it through
				keys, seqs = append(keys, k), append(seqs, rec.Change.SequenceNumber)
			}
		}
		resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
		for _, i := range disp.HandleFirst(ctx, keys) {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: seqs[i]})
		}
		return resp, nil
	}
}

// outboxKey is the event a stream record's keys name.
func outboxKey(rec events.DynamoDBEventRecord) (store.EventKey, bool) {
	str := func(name string) string {
		if v, ok := rec.Change.Keys[name]; ok && v.DataType() == events.DataTypeString {
			return v.String()
		}
		return ""
	}
	return dynamostore.OutboxKeyOf(str("pk"), str("sk"))
}

// unconfigured is a queue whose URL is not set: every enqueue fails,
// saying which (the stream or SQS brings the message again).
type unconfigured struct{ env string }

func (u unconfigured) Enqueue(context.Context, webhookqueue.Retry, time.Duration) error {
	return app.Unset(u.env)
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
