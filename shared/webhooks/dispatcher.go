package webhooks

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/partner-identity/api/shared/deadline"
	"github.com/partner-identity/api/shared/logsafe"
	"github.com/partner-identity/api/shared/metrics"
	"github.com/partner-identity/api/shared/partners"
	"github.com/partner-identity/api/shared/store"
)

// DeadLetters takes the events that could not be delivered.
type DeadLetters interface {
	Send(ctx context.Context, ev store.OutboxEvent, reason string) error
}

// Dispatcher delivers outbox events.
type Dispatcher struct {
	Store    store.Outbox
	Registry func(context.Context) (*partners.Registry, error)
	// Secrets are the partners' webhook signing secrets (a secret only the
	// dispatcher reads).
	Secrets     func(context.Context) (partners.WebhookSecrets, error)
	Sender      *Sender
	DeadLetters DeadLetters
	Now         func() time.Time
	// Tries is how many attempts one invocation makes (3), waiting Backoff,
	// then twice that, between them (200 ms). MaxAttempts is how many failed
	// invocations send an event to the dead-letter queue (5).
	Tries       int
	Backoff     time.Duration
	MaxAttempts int
}

// Outcome of one event's delivery in one invocation.
type Outcome int

const (
	Delivered    Outcome = iota // a 2xx (now or before), or nothing to deliver
	RetryLater                  // failed; the stream will bring it again
	DeadLettered                // failed for the last time; sent to the dead-letter queue
)

// Deliver makes one invocation's attempts at ev. An event delivered or dead
// lettered before (a retried batch brings it again) is not sent again.
func (d *Dispatcher) Deliver(ctx context.Context, ev store.OutboxEvent) (Outcome, error) {
	st, err := d.Store.OutboxStatus(ctx, ev.Key())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Delivered, nil // expired by TTL: nothing left to deliver
	case err != nil:
		return RetryLater, err
	case st.Delivered:
		return Delivered, nil
	case st.DeadLettered:
		return DeadLettered, nil
	}
	reg, err := d.Registry(ctx)
	if err != nil {
		return RetryLater, err
	}
	p, ok := reg.Partner(ev.PartnerID)
	if !ok || p.Webhook.URL == "" {
		slog.InfoContext(ctx, "webhook skipped: no webhook configured", "eventId", ev.ID, "type", ev.Type, "partnerId", ev.PartnerID)
		return Delivered, d.Store.MarkOutboxDelivered(ctx, ev.Key(), d.now())
	}
	secrets, err := d.Secrets(ctx)
	if err != nil {
		return RetryLater, err
	}
	secret, ok := secrets[p.ID]
	if !ok {
		// A partner with a URL and no secret is a configuration fault: the
		// event waits (the stream's iterator age alarm shows it).
		return RetryLater, logsafe.Wrap("webhook_secret_missing", errors.New("no webhook secret for the partner"))
	}
	tries, backoff := max(d.Tries, 1), d.Backoff
	if d.Tries == 0 {
		tries = 3
	}
	if backoff == 0 {
		backoff = 200 * time.Millisecond
	}
	var last error
	for try := 0; try < tries; try++ {
		if try > 0 {
			if err := deadline.Sleep(ctx, backoff<<(try-1)); err != nil {
				return RetryLater, err
			}
		}
		if last = d.Sender.Send(ctx, p.Webhook.URL, secret, ev, d.now()); last == nil {
			slog.InfoContext(ctx, "webhook delivered", "eventId", ev.ID, "type", ev.Type, "partnerId", ev.PartnerID, "try", try+1)
			metrics.Count(ctx, metrics.WebhooksDelivered, 1)
			return Delivered, d.Store.MarkOutboxDelivered(ctx, ev.Key(), d.now())
		}
	}
	metrics.Count(ctx, metrics.WebhookFailures, 1)
	attempts, err := d.Store.RecordOutboxFailure(ctx, ev.Key(), d.now())
	if err != nil {
		return RetryLater, err
	}
	maxAttempts := d.MaxAttempts
	if maxAttempts == 0 {
		maxAttempts = 5
	}
	slog.WarnContext(ctx, "webhook failed", "eventId", ev.ID, "type", ev.Type, "partnerId", ev.PartnerID,
		"attempts", attempts, "error", logsafe.Code(last))
	if attempts < maxAttempts {
		return RetryLater, nil
	}
	if err := d.DeadLetters.Send(ctx, ev, logsafe.Code(last)); err != nil {
		return RetryLater, err
	}
	slog.ErrorContext(ctx, "webhook dead-lettered", "eventId", ev.ID, "type", ev.Type, "partnerId", ev.PartnerID, "attempts", attempts)
	metrics.Count(ctx, metrics.WebhooksDeadLettered, 1)
	return DeadLettered, d.Store.MarkOutboxDeadLettered(ctx, ev.Key(), d.now())
}

func (d *Dispatcher) now() time.Time {
	if d.Now == nil {
		return time.Now()
	}
	return d.Now()
}

// Handle is the stream consumer: it delivers every outbox record of the
// batch at once (one slow partner does not hold up the others) and reports
// the records to retry as partial batch failures, so Lambda retries from
// the first of them; records delivered already are skipped on the retry.
//
// The batch's work ends a second (package deadline) before the function's deadline, so
// that the records not done are reported rather than lost to a timeout.
func (d *Dispatcher) Handle(ctx context.Context, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	ctx, cancel := deadline.Within(ctx)
	defer cancel()
	resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, rec := range e.Records {
		ev, ok := EventOf(rec)
		if !ok {
			continue // not an outbox insert: the filter should not have let it through
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := d.Deliver(ctx, ev)
			if err != nil {
				slog.ErrorContext(ctx, "webhook dispatch", "eventId", ev.ID, "error", logsafe.Code(err))
			}
			if out == RetryLater {
				mu.Lock()
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return resp, nil
}

// EventOf reads an outbox event from a stream record's new image.
func EventOf(rec events.DynamoDBEventRecord) (store.OutboxEvent, bool) {
	img := rec.Change.NewImage
	str := func(name string) string {
		if v, ok := img[name]; ok && v.DataType() == events.DataTypeString {
			return v.String()
		}
		return ""
	}
	if str("type") != "OUTBOX" {
		return store.OutboxEvent{}, false
	}
	ev := store.OutboxEvent{ID: str("eventId"), Type: str("eventType"), PartnerID: str("partnerId"), UserID: str("userId")}
	if v, ok := img["payload"]; ok && v.DataType() == events.DataTypeBinary {
		ev.Payload = v.Binary()
	}
	ev.CreatedAt, _ = time.Parse(time.RFC3339Nano, str("createdAt"))
	return ev, ev.ID != "" && ev.PartnerID != "" && ev.Payload != nil
}
