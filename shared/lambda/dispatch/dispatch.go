// Package dispatch assembles the webhook dispatcher from a container's
// dependencies, for functions/webhook-dispatcher (the stream's first
// attempts), functions/webhook-retry (the retry queue) and the local
// runner (the jobs' counterpart of a surface's routes.go), and the retry
// queue for functions/redeliver-webhook-event. It is a package of its own
// so that only the webhook functions link the SQS client.
package dispatch

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/adapters/sqsqueue"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/kit/logsafe"
	"github.com/partner-identity/api/shared/kit/metrics"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/lambda/lambdarun"
	"github.com/partner-identity/api/shared/webhooks/delivery"
	"github.com/partner-identity/api/shared/webhooks/queue"
)

// Needs are what its invocations use over the network: the events (the
// table), the partners' URLs (the registry), their signing secrets and the
// retry queue (app.Deps.Prefetch).
const Needs = app.NeedTable | app.NeedWebhookKey | app.NeedQueue

// New is the dispatcher over d (With(Over(d))).
func New(d *app.Deps) *delivery.Dispatcher { return With(Over(d)) }

// Over is what a dispatcher uses over d: retries to d's retry queue (d's
// own when set, else SQS's), the slow lane likewise, dead letters to d's
// SQS queue (or the log without one), requests through a sender with the
// default timeout.
func Over(d *app.Deps) delivery.Deps {
	retries, slow, dlq := queues(d)
	return delivery.Deps{Store: d.Store, Partners: d.Partners, Secrets: d.WebhookKeys, Now: d.Now,
		Retries: retries, SlowLane: slow, DeadLetters: dlq, Sender: delivery.NewSender(delivery.DefaultTimeout, d.WebhookAllowHTTP)}
}

// With is the dispatcher of deps; a queue of its in process (a local
// runner's) hands its messages back to it.
func With(deps delivery.Deps) *delivery.Dispatcher {
	disp := delivery.New(deps)
	for _, q := range []queue.Queue{deps.Retries, deps.SlowLane} {
		if local, ok := q.(queue.InProcess); ok {
			local.HandleWith(disp.Retry)
		}
	}
	return disp
}

// queues are the retry queue, the slow lane and the dead-letter queue over
// d: d's own when set, SQS's, or one that fails (not configured: the
// stream or SQS brings the message again).
func queues(d *app.Deps) (retries, slow queue.Queue, dlq queue.DeadLetters) {
	retries, dlq = sqsqueue.New(d.AWS, d.WebhookRetryQueueURL, d.WebhookDLQURL)
	slow, _ = sqsqueue.New(d.AWS, d.WebhookSlowQueueURL, "")
	pick := func(own, sqs queue.Queue, env string) queue.Queue {
		switch {
		case own != nil:
			return own
		case sqs != nil:
			return sqs
		}
		return unconfigured{env}
	}
	var own app.Queues
	if d.Queues != nil {
		own = *d.Queues
	}
	return pick(own.Retries, retries, "WEBHOOK_RETRY_QUEUE_URL"), pick(own.SlowLane, slow, "WEBHOOK_SLOW_QUEUE_URL"), dlq
}

// RetryQueue is the retry queue New's dispatcher uses over d, for a route
// that queues redeliveries; a queue in process gets a dispatcher of its
// own as its consumer (built only then).
func RetryQueue(d *app.Deps) queue.Queue {
	q, _, _ := queues(d)
	if _, local := q.(queue.InProcess); local {
		New(d) // its consumer
	}
	return q
}

// Stream is the stream consumer over disp: the table's stream carries each
// write's keys only (KEYS_ONLY: no personal data in the stream); those of
// an outbox event are handed to disp, which reads the event. The records
// whose event could not be handled are reported as batch item failures.
func Stream(disp *delivery.Dispatcher) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return func(ctx context.Context, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		var keys []domain.EventKey
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
func outboxKey(rec events.DynamoDBEventRecord) (domain.EventKey, bool) {
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

func (u unconfigured) Enqueue(context.Context, queue.Retry, time.Duration) error {
	return app.Unset(u.env)
}

// Retries is the retry queue consumer over d: the messages that failed
// are reported as batch item failures (SQS brings them again); one that
// does not parse is dropped.
func Retries(d *delivery.Dispatcher) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return Parked(d, nil, time.Now)
}

// Parker parks a received message until it is due (sqsqueue.Parking).
type Parker interface {
	Park(ctx context.Context, sourceARN, receipt string, wait time.Duration) error
}

// Parked is Retries, with the messages received before they are due
// (SQS delays 15 minutes at most; the retry schedule waits up to 10
// hours) parked by p where they are, reported failed so that Lambda
// leaves them there, rather than sent again: one message an attempt. A
// message p cannot park goes to the dispatcher, which sends it again.
func Parked(d *delivery.Dispatcher, p Parker, now func() time.Time) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return func(ctx context.Context, e events.SQSEvent) (events.SQSEventResponse, error) {
		msgs, bad := Messages(e)
		if len(bad) > 0 {
			slog.ErrorContext(ctx, "webhook retry messages dropped: not a retry message", "messageIds", bad)
		}
		resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
		var due []Received
		for _, m := range msgs {
			wait := m.NotBefore.Sub(now())
			if p == nil || wait <= time.Second || m.ReceiptHandle == "" {
				due = append(due, m)
				continue
			}
			if err := p.Park(ctx, m.SourceARN, m.ReceiptHandle, wait); err != nil {
				slog.WarnContext(ctx, "webhook retry not parked: sent again", "eventId", m.EventID, "error", logsafe.Code(err))
				due = append(due, m)
				continue
			}
			metrics.Count(ctx, metrics.WebhooksParked, 1)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageID})
		}
		retries := make([]queue.Retry, len(due))
		for i, m := range due {
			retries[i] = m.Retry
		}
		for _, i := range d.HandleRetries(ctx, retries) {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: due[i].MessageID})
		}
		return resp, nil
	}
}

// MainStream is the stream function's main (functions/webhook-dispatcher).
func MainStream() {
	d := app.MustFromEnv()
	d.Prefetch(Needs)
	lambdarun.StartFunc(Stream(New(d)))
}

// MainRetries is the retry queue function's main (functions/webhook-retry).
func MainRetries() {
	d := app.MustFromEnv()
	d.Prefetch(Needs)
	var park Parker
	if p := sqsqueue.NewParking(d.AWS, d.WebhookRetryQueueURL, d.WebhookSlowQueueURL); p != nil {
		park = p
	}
	lambdarun.StartFunc(Parked(New(d), park, d.Now))
}

// Messages reads the retry messages of an SQS event: those that do not
// parse are returned apart (by message id), to be dropped.
func Messages(e events.SQSEvent) (ok []Received, bad []string) {
	for _, rec := range e.Records {
		var m queue.Retry
		if err := json.Unmarshal([]byte(rec.Body), &m); err != nil || m.EventID == "" || m.PartnerID == "" {
			bad = append(bad, rec.MessageId)
			continue
		}
		ok = append(ok, Received{MessageID: rec.MessageId, ReceiptHandle: rec.ReceiptHandle, SourceARN: rec.EventSourceARN, Retry: m})
	}
	return ok, bad
}

// Received is a retry message, its SQS message id, the receipt that
// parks it and the queue it came from.
type Received struct {
	MessageID     string
	ReceiptHandle string
	SourceARN     string
	queue.Retry
}
