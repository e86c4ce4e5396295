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
	"github.com/partner-identity/api/shared/webhookqueue"
)

// DefaultSchedule is the wait before each retry of an event whose first
// attempt (from the stream) failed: the Standard Webhooks / Svix schedule,
// 8 attempts over about 27.6 hours.
var DefaultSchedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// Dispatcher delivers outbox events: the first attempt from the table's
// stream (HandleStream), the next ones from the retry queue
// (HandleRetries), one attempt per event per invocation, so that no
// partner's endpoint holds up another's events.
type Dispatcher struct {
	Store    store.Outbox
	Registry func(context.Context) (*partners.Registry, error)
	// Secrets are the partners' webhook signing keys (a secret only the
	// webhook functions read).
	Secrets     func(context.Context) (partners.WebhookSecrets, error)
	Sender      *Sender
	Retries     webhookqueue.Queue
	DeadLetters webhookqueue.DeadLetters
	Breaker     *Breaker
	Now         func() time.Time
	// Schedule is the wait before each retry (DefaultSchedule when nil).
	Schedule []time.Duration
}

// NewDispatcher is the dispatcher of the events in s to the partners of
// registry, signed with their secrets, retried through retries, dead
// letters to dlq, requests through sender, now its clock.
func NewDispatcher(s store.Outbox, registry func(context.Context) (*partners.Registry, error),
	secrets func(context.Context) (partners.WebhookSecrets, error), now func() time.Time,
	retries webhookqueue.Queue, dlq webhookqueue.DeadLetters, sender *Sender) *Dispatcher {
	if dlq == nil {
		dlq = webhookqueue.LogDeadLetters{}
	}
	return &Dispatcher{Store: s, Registry: registry, Secrets: secrets, Now: now, Retries: retries, DeadLetters: dlq,
		Sender: sender, Breaker: NewBreaker(now)}
}

// Attempts is how many scheduled attempts an event gets.
func (d *Dispatcher) Attempts() int { return len(d.schedule()) + 1 }

func (d *Dispatcher) schedule() []time.Duration {
	if d.Schedule == nil {
		return DefaultSchedule
	}
	return d.Schedule
}

func (d *Dispatcher) now() time.Time {
	if d.Now == nil {
		return time.Now()
	}
	return d.Now()
}

// HandleStream is the stream consumer: it makes the first attempt at every
// outbox record of the batch at once and acknowledges each record whether
// it was delivered or not (a failed one is in the retry queue). Only a
// record whose attempt could not be recorded or retried (the table or the
// queue failing) is reported as a batch item failure, for Lambda to retry.
func (d *Dispatcher) HandleStream(ctx context.Context, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	ctx, cancel := deadline.Within(ctx)
	defer cancel()
	var evs []store.OutboxEvent
	var seqs []string
	for _, rec := range e.Records {
		if ev, ok := EventOf(rec); ok { // else not an outbox insert: the filter should not have let it through
			evs, seqs = append(evs, ev), append(seqs, rec.Change.SequenceNumber)
		}
	}
	resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
	for _, i := range each(len(evs), func(i int) error {
		err := d.first(ctx, evs[i])
		if err != nil {
			slog.ErrorContext(ctx, "webhook dispatch", "eventId", evs[i].ID, "error", logsafe.Code(err))
		}
		return err
	}) {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: seqs[i]})
	}
	return resp, nil
}

// each runs fn(0) to fn(n-1) at once and returns the indexes of those that
// failed, in order.
func each(n int, fn func(i int) error) []int {
	failed := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			failed[i] = fn(i) != nil
		}()
	}
	wg.Wait()
	var out []int
	for i, f := range failed {
		if f {
			out = append(out, i)
		}
	}
	return out
}

// Deliver is the stream's handling of one event (the local runner's
// stream calls it).
func (d *Dispatcher) Deliver(ctx context.Context, ev store.OutboxEvent) error {
	return d.first(ctx, ev)
}

// first makes an event's first attempt, unless it was made already (a
// stream record brought again) or the event is gone (erased with its user:
// its payload, in the stream record, is not sent).
func (d *Dispatcher) first(ctx context.Context, ev store.OutboxEvent) error {
	st, err := d.Store.OutboxStatus(ctx, ev.Key())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	case st.Scheduled >= 1 || st.Status != store.OutboxPending:
		return nil
	}
	return d.attempt(ctx, st, 1)
}

// HandleRetries is the retry queue's consumer: every message of the batch
// at once; the messages that failed for a fault of the table, a secret or
// the queue are reported for SQS to bring again.
func (d *Dispatcher) HandleRetries(ctx context.Context, msgs []webhookqueue.Retry) []int {
	ctx, cancel := deadline.Within(ctx)
	defer cancel()
	return each(len(msgs), func(i int) error {
		err := d.Retry(ctx, msgs[i])
		if err != nil {
			slog.ErrorContext(ctx, "webhook retry", "eventId", msgs[i].EventID, "error", logsafe.Code(err))
		}
		return err
	})
}

// Retry handles one retry queue message.
func (d *Dispatcher) Retry(ctx context.Context, m webhookqueue.Retry) error {
	if wait := m.NotBefore.Sub(d.now()); wait > time.Second {
		return d.Retries.Enqueue(ctx, m, wait) // SQS delays 15 minutes at most
	}
	k := store.EventKey{ID: m.EventID, UserID: m.UserID}
	st, err := d.Store.OutboxStatus(ctx, k)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil // expired or erased with its user
	case err != nil:
		return err
	case st.Event.PartnerID != m.PartnerID:
		return nil
	case m.Attempt == 0:
		return d.redeliver(ctx, st)
	case st.Status == store.OutboxFailed && !st.DeadLettered && st.Scheduled == m.Attempt:
		return d.deadLetter(ctx, st, "retries_ended") // the message that failed it, again: the dead letter was not sent
	case st.Scheduled >= m.Attempt || st.Status != store.OutboxPending:
		return nil // made already (a message brought twice), or delivered meanwhile
	}
	return d.attempt(ctx, st, m.Attempt)
}

// send makes one attempt at st's event: its answer, and the reason of a
// failure (a log code) or "".
// A redelivery the partner asked for is sent even while its circuit is open
// (it may have just fixed its endpoint).
func (d *Dispatcher) send(ctx context.Context, st store.OutboxState, asked bool) (status int, reason string, err error) {
	reg, err := d.Registry(ctx)
	if err != nil {
		return 0, "", err
	}
	p, ok := reg.Partner(st.Event.PartnerID)
	if !ok || p.Webhook.URL == "" {
		return 0, "webhook_not_configured", nil
	}
	secrets, err := d.Secrets(ctx)
	if err != nil {
		return 0, "", err
	}
	keys := secrets[p.ID]
	if len(keys) == 0 {
		// A partner with a URL and no secret is a configuration fault: its
		// events are retried on the schedule (metric WebhookFailures).
		return 0, "webhook_secret_missing", nil
	}
	if !asked && !d.Breaker.Allow(p.ID) {
		return 0, "circuit_open", nil
	}
	status, err = d.Sender.Send(ctx, p.Webhook.URL, keys, st.Event, d.now())
	d.Breaker.Record(p.ID, err == nil)
	if err != nil {
		return status, logsafe.Code(err), nil
	}
	return status, "", nil
}

// attempt makes scheduled attempt n at st's event and records it: a
// success delivers it; a failure schedules the next attempt, or, after the
// last, fails it and sends its id to the dead-letter queue. The payload
// loses its personal data when the event is delivered or failed.
func (d *Dispatcher) attempt(ctx context.Context, st store.OutboxState, n int) error {
	ev := st.Event
	status, reason, err := d.send(ctx, st, false)
	if err != nil {
		return err
	}
	rec := store.OutboxAttempt{Scheduled: n, At: d.now(), ResponseStatus: status, Status: store.OutboxDelivered, Scrubbed: ev.Scrubbed}
	if reason == "" {
		metrics.Count(ctx, metrics.WebhooksDelivered, 1)
		slog.InfoContext(ctx, "webhook delivered", "eventId", ev.ID, "type", ev.Type, "partnerId", ev.PartnerID, "attempt", n)
		return ignoreDone(d.Store.RecordOutboxAttempt(ctx, ev.Key(), rec))
	}
	metrics.Count(ctx, metrics.WebhookFailures, 1)
	slog.WarnContext(ctx, "webhook attempt failed", "eventId", ev.ID, "type", ev.Type, "partnerId", ev.PartnerID,
		"attempt", n, "of", d.Attempts(), "error", reason)
	if reason == "webhook_not_configured" || n >= d.Attempts() {
		rec.Status = store.OutboxFailed
		if err := d.Store.RecordOutboxAttempt(ctx, ev.Key(), rec); err != nil {
			return ignoreDone(err)
		}
		st.Attempts++
		if reason == "webhook_not_configured" {
			return nil // nothing to retry, nobody to alert: the partner may redeliver once it has a URL
		}
		return d.deadLetter(ctx, st, reason)
	}
	// The next attempt is queued before this one is recorded: a failure in
	// between makes this attempt again rather than losing the next.
	wait := d.schedule()[n-1]
	next := webhookqueue.Retry{EventID: ev.ID, UserID: ev.UserID, PartnerID: ev.PartnerID, Attempt: n + 1, NotBefore: rec.At.Add(wait)}
	if err := d.Retries.Enqueue(ctx, next, wait); err != nil {
		return err
	}
	rec.Status, rec.Scrubbed = store.OutboxPending, nil
	return ignoreDone(d.Store.RecordOutboxAttempt(ctx, ev.Key(), rec))
}

// deadLetter sends a failed event's id to the dead-letter queue and
// records that it did.
func (d *Dispatcher) deadLetter(ctx context.Context, st store.OutboxState, reason string) error {
	ev := st.Event
	if err := d.DeadLetters.Send(ctx, webhookqueue.DeadLetter{EventID: ev.ID, Type: ev.Type, PartnerID: ev.PartnerID,
		Attempts: max(st.Attempts, 1), Reason: reason, FailedAt: d.now().UTC()}); err != nil {
		return err
	}
	metrics.Count(ctx, metrics.WebhooksDeadLettered, 1)
	slog.ErrorContext(ctx, "webhook dead-lettered", "eventId", ev.ID, "type", ev.Type, "partnerId", ev.PartnerID, "attempts", st.Attempts)
	return ignoreDone(d.Store.MarkOutboxDeadLettered(ctx, ev.Key(), d.now()))
}

// redeliver makes the attempt a partner asked for: one, outside the
// schedule. A success delivers the event; a failure leaves its status.
func (d *Dispatcher) redeliver(ctx context.Context, st store.OutboxState) error {
	status, reason, err := d.send(ctx, st, true)
	if err != nil {
		return err
	}
	rec := store.OutboxAttempt{At: d.now(), ResponseStatus: status, Status: st.Status}
	if reason == "" {
		rec.Status, rec.Scrubbed = store.OutboxDelivered, st.Event.Scrubbed
		metrics.Count(ctx, metrics.WebhooksDelivered, 1)
	}
	slog.InfoContext(ctx, "webhook redelivery", "eventId", st.Event.ID, "type", st.Event.Type, "partnerId", st.Event.PartnerID, "error", reason)
	return ignoreDone(d.Store.RecordOutboxAttempt(ctx, st.Event.Key(), rec))
}

// ignoreDone: the event gone, or the attempt recorded by another worker,
// is no failure.
func ignoreDone(err error) error {
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrStaleAttempt) {
		return nil
	}
	return err
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
