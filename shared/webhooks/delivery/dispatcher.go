package delivery

import (
	"context"
	"errors"
	"github.com/partner-identity/api/shared/webhooks/signature"
	"log/slog"
	"sync"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/kit/deadline"
	"github.com/partner-identity/api/shared/kit/logsafe"
	"github.com/partner-identity/api/shared/kit/metrics"
	"github.com/partner-identity/api/shared/webhooks/queue"
)

// DefaultSchedule is the wait before each retry of an event whose first
// attempt (from the stream) failed: the Standard Webhooks / Svix schedule,
// 8 attempts over about 27.6 hours.
var DefaultSchedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// Dispatcher delivers outbox events: the first attempt from the table's
// stream (HandleFirst), the next ones from the retry queue
// (HandleRetries), one attempt per event per invocation, so that no
// partner's endpoint holds up another's events.
//
// Three lanes: the stream and the retry queue are shared by every
// partner, so an attempt there has Budget to answer; an endpoint that
// takes longer is handed to the slow lane (SlowLane, a queue of its own
// with a bounded concurrency), where attempts have the sender's full
// timeout, and the container sends the partner's next events there
// straight away for a while (Slow). A suspended partner's events are
// held: neither sent nor counted, they wait on the retry queue (HoldFor
// at a time) until it is reinstated or their retention ends.
type Dispatcher struct {
	d       Deps
	breaker *Breaker
	slow    *SlowPartners
}

// Deps are what a dispatcher uses, given once to New.
type Deps struct {
	Store domain.Outbox
	// Partners are the partners, each read once a minute at most per
	// container (partners.Directory).
	Partners partners.Lookup
	// Secrets are the partners' webhook signing keys (sealed in the
	// store; only the webhook functions may open them).
	Secrets signature.Keyring
	Sender  *Sender
	Retries queue.Queue
	// DeadLetters take the events that ran out of attempts (the log when
	// nil).
	DeadLetters queue.DeadLetters
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Schedule is the wait before each retry (DefaultSchedule when nil).
	Schedule []time.Duration
	// SlowLane takes the attempts a shared lane hands off (nil: none, and
	// attempts in the shared lanes have the sender's full timeout).
	SlowLane queue.Queue
	// Budget bounds an attempt in a shared lane (DefaultBudget when 0).
	Budget time.Duration
	// HoldFor is how long a suspended partner's event waits before its
	// standing is checked again (DefaultHoldFor when 0).
	HoldFor time.Duration
	// Breaker is the container's circuit breaker (NewBreaker's when nil).
	Breaker *Breaker
}

// DefaultHoldFor is how long a held event waits between two checks of
// its partner's standing: SQS's longest delay.
const DefaultHoldFor = 15 * time.Minute

// New is the dispatcher of the events in d.d.Store to the partners of
// d.d.Registry, signed with their secrets, retried through d.d.Retries.
func New(d Deps) *Dispatcher {
	if d.DeadLetters == nil {
		d.DeadLetters = queue.LogDeadLetters{}
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Breaker == nil {
		d.Breaker = NewBreaker(d.Now)
	}
	return &Dispatcher{d: d, breaker: d.Breaker, slow: NewSlowPartners(d.Now)}
}

// Attempts is how many scheduled attempts an event gets.
func (d *Dispatcher) Attempts() int { return len(d.schedule()) + 1 }

func (d *Dispatcher) schedule() []time.Duration {
	if d.d.Schedule == nil {
		return DefaultSchedule
	}
	return d.d.Schedule
}

func (d *Dispatcher) now() time.Time { return d.d.Now() }

// HandleFirst is the stream consumer: it makes the first attempt at each
// event of keys at once (in the shared lane) and returns the indexes of
// those whose attempt could not be recorded or queued (the table or a
// queue failing), for Lambda to bring again. A delivered, failed, handed
// off or held event is done with here.
func (d *Dispatcher) HandleFirst(ctx context.Context, keys []domain.EventKey) []int {
	ctx, cancel := deadline.Within(ctx)
	defer cancel()
	return each(ctx, len(keys), func(i int) error {
		err := d.first(ctx, keys[i])
		if err != nil {
			slog.ErrorContext(ctx, "webhook dispatch", "eventId", keys[i].ID, "error", logsafe.Code(err))
		}
		return err
	})
}

// each runs fn(0) to fn(n-1) at once and returns the indexes of those that
// failed, in order. A panic in one is logged with its stack (no values)
// and fails that one only.
func each(ctx context.Context, n int, fn func(i int) error) []int {
	failed := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if v := recover(); v != nil {
					slog.ErrorContext(ctx, "webhook worker panic", "error", logsafe.Code(logsafe.Panic(v)), "stack", logsafe.Stack())
					failed[i] = true
				}
			}()
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
func (d *Dispatcher) Deliver(ctx context.Context, k domain.EventKey) error {
	return d.first(ctx, k)
}

// first makes an event's first attempt, unless it was made already (a
// stream record brought again) or the event is gone (erased with its
// user, or past its retention).
func (d *Dispatcher) first(ctx context.Context, k domain.EventKey) error {
	st, err := d.d.Store.OutboxStatus(ctx, k)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return nil
	case err != nil:
		return err
	case st.Scheduled >= 1 || st.Status != domain.OutboxPending:
		return nil
	}
	return d.attempt(ctx, st, 1, false)
}

// HandleRetries is the retry queues' consumer (the retry queue and the
// slow lane): every message of the batch at once; the messages that
// failed for a fault of the table, a secret or a queue are reported for
// SQS to bring again.
func (d *Dispatcher) HandleRetries(ctx context.Context, msgs []queue.Retry) []int {
	ctx, cancel := deadline.Within(ctx)
	defer cancel()
	return each(ctx, len(msgs), func(i int) error {
		err := d.Retry(ctx, msgs[i])
		if err != nil {
			slog.ErrorContext(ctx, "webhook retry", "eventId", msgs[i].EventID, "error", logsafe.Code(err))
		}
		return err
	})
}

// Retry handles one retry queue message.
func (d *Dispatcher) Retry(ctx context.Context, m queue.Retry) error {
	now := d.now()
	switch {
	case !m.Until.IsZero() && now.After(m.Until):
		return nil // held past its event's retention: the event is gone
	case m.NotBefore.Sub(now) > time.Second:
		return d.queueOf(m).Enqueue(ctx, m, m.NotBefore.Sub(now)) // SQS delays 15 minutes at most
	}
	// A held message waits on its partner's standing without a read of
	// the event while the partner is still suspended.
	if !m.Until.IsZero() {
		if p, err := d.partner(ctx, m.PartnerID); err != nil {
			return err
		} else if p != nil && p.Suspended() {
			return d.hold(ctx, m, m.Until)
		}
	}
	k := domain.EventKey{ID: m.EventID, UserID: m.UserID}
	st, err := d.d.Store.OutboxStatus(ctx, k)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return nil // expired or erased with its user
	case err != nil:
		return err
	case st.Event.PartnerID != m.PartnerID:
		return nil
	case m.Attempt == 0:
		return d.redeliver(ctx, st, m)
	case st.Status == domain.OutboxFailed && !st.DeadLettered && st.Scheduled == m.Attempt:
		return d.deadLetter(ctx, st, "retries_ended") // the message that failed it, again: the dead letter was not sent
	case st.Scheduled >= m.Attempt || st.Status != domain.OutboxPending:
		return nil // made already (a message brought twice), or delivered meanwhile
	}
	return d.attempt(ctx, st, m.Attempt, m.Slow)
}

// partner is partner id (nil when there is none: removed).
func (d *Dispatcher) partner(ctx context.Context, id string) (*partners.Partner, error) {
	p, err := d.d.Partners.Partner(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil
	}
	return p, err
}

// queueOf is the queue a message goes back to: the slow lane's for a
// slow-lane message, the retry queue's otherwise.
func (d *Dispatcher) queueOf(m queue.Retry) queue.Queue {
	if m.Slow && d.d.SlowLane != nil {
		return d.d.SlowLane
	}
	return d.d.Retries
}

// hold puts m back on the retry queue to wait HoldFor, no longer than
// until (the event's retention): its partner is suspended. Nothing is
// sent or counted.
func (d *Dispatcher) hold(ctx context.Context, m queue.Retry, until time.Time) error {
	wait := d.d.HoldFor
	if wait <= 0 {
		wait = DefaultHoldFor
	}
	m.NotBefore, m.Until, m.Slow = d.now().Add(wait), until, false
	metrics.Count(ctx, metrics.WebhooksHeld, 1)
	slog.InfoContext(ctx, "webhook held: partner suspended", "eventId", m.EventID, "partnerId", m.PartnerID, "attempt", m.Attempt)
	return d.d.Retries.Enqueue(ctx, m, wait)
}

// outcome is what became of one try at an event.
type outcome struct {
	status int
	// reason is a failed attempt's log code ("" for a delivery).
	reason string
	// held: the partner is suspended; handoff: the attempt goes to the
	// slow lane; wait: a redelivery waits for the partner's circuit. In
	// all three nothing was sent and nothing is counted.
	held, handoff bool
	wait          time.Duration
}

// try sends st's event once, unless its partner is suspended (held) or,
// in a shared lane (slow false), known slow (handed off). In a shared lane
// with a slow lane the attempt has Budget: an endpoint that has not
// answered by then is marked slow and the attempt handed off. A
// redelivery the partner asked for (asked) waits while its circuit is
// open; a scheduled attempt then fails unsent.
func (d *Dispatcher) try(ctx context.Context, st domain.OutboxState, slow, asked bool) (outcome, error) {
	p, err := d.partner(ctx, st.Event.PartnerID)
	switch {
	case err != nil:
		return outcome{}, err
	case p == nil || p.Webhook.URL == "":
		return outcome{reason: "webhook_not_configured"}, nil
	case p.Suspended():
		return outcome{held: true}, nil
	}
	keys, err := d.d.Secrets.For(ctx, p.ID)
	if err != nil {
		return outcome{}, err
	}
	if len(keys) == 0 {
		// A partner with a URL and no secret is a configuration fault: its
		// events are retried on the schedule (metric WebhookFailures).
		return outcome{reason: "webhook_secret_missing"}, nil
	}
	shared := !slow && d.d.SlowLane != nil
	if shared && d.slow.Is(p.ID) {
		return outcome{handoff: true}, nil
	}
	if !d.breaker.Allow(p.ID) {
		if asked {
			return outcome{wait: d.breaker.Cooldown}, nil
		}
		return outcome{reason: "circuit_open"}, nil
	}
	sendCtx := ctx
	if shared {
		budget := d.d.Budget
		if budget <= 0 {
			budget = DefaultBudget
		}
		var cancel context.CancelFunc
		sendCtx, cancel = context.WithTimeout(ctx, budget)
		defer cancel()
	}
	status, err := d.d.Sender.Send(sendCtx, p.Webhook.URL, keys, st.Event, d.now())
	if err != nil && shared && ctx.Err() == nil && errors.Is(sendCtx.Err(), context.DeadlineExceeded) {
		// Over the budget, not failed: the slow lane tries it again with
		// the full timeout (a receiver that got it nonetheless sees the
		// same Webhook-Id twice, as with any retry).
		d.breaker.Forget(p.ID)
		d.slow.Mark(p.ID)
		metrics.Count(ctx, metrics.WebhooksSlow, 1)
		return outcome{handoff: true}, nil
	}
	d.breaker.Record(p.ID, err == nil)
	if err != nil {
		return outcome{status: status, reason: logsafe.Code(err)}, nil
	}
	return outcome{status: status}, nil
}

// attempt makes scheduled attempt n at st's event (in the slow lane when
// slow) and records it: a success delivers it; a failure schedules the
// next attempt, or, after the last, fails it and sends its id to the
// dead-letter queue. The payload loses its personal data when the event is
// delivered or failed. A held or handed-off attempt is not made: its
// message goes to the retry queue or the slow lane, with the same number.
func (d *Dispatcher) attempt(ctx context.Context, st domain.OutboxState, n int, slow bool) error {
	ev := st.Event
	msg := queue.Retry{EventID: ev.ID, UserID: ev.UserID, PartnerID: ev.PartnerID, Attempt: n, Slow: slow}
	o, err := d.try(ctx, st, slow, false)
	switch {
	case err != nil:
		return err
	case o.held:
		return d.hold(ctx, msg, ev.RetainUntil)
	case o.handoff:
		msg.Slow, msg.NotBefore = true, d.now()
		slog.InfoContext(ctx, "webhook to the slow lane", "eventId", ev.ID, "partnerId", ev.PartnerID, "attempt", n)
		return d.d.SlowLane.Enqueue(ctx, msg, 0)
	}
	rec := domain.OutboxAttempt{Scheduled: n, At: d.now(), ResponseStatus: o.status, Status: domain.OutboxDelivered, Scrubbed: ev.Scrubbed}
	if o.reason == "" {
		metrics.Count(ctx, metrics.WebhooksDelivered, 1)
		slog.InfoContext(ctx, "webhook delivered", "eventId", ev.ID, "type", ev.Type, "partnerId", ev.PartnerID, "attempt", n, "slowLane", slow)
		return ignoreDone(d.d.Store.RecordOutboxAttempt(ctx, ev.Key(), rec))
	}
	metrics.Count(ctx, metrics.WebhookFailures, 1)
	slog.WarnContext(ctx, "webhook attempt failed", "eventId", ev.ID, "type", ev.Type, "partnerId", ev.PartnerID,
		"attempt", n, "of", d.Attempts(), "error", o.reason, "slowLane", slow)
	if o.reason == "webhook_not_configured" || n >= d.Attempts() {
		rec.Status = domain.OutboxFailed
		if err := d.d.Store.RecordOutboxAttempt(ctx, ev.Key(), rec); err != nil {
			return ignoreDone(err)
		}
		st.Attempts++
		if o.reason == "webhook_not_configured" {
			return nil // nothing to retry, nobody to alert: the partner may redeliver once it has a URL
		}
		return d.deadLetter(ctx, st, o.reason)
	}
	// The next attempt is queued before this one is recorded: a failure in
	// between makes this attempt again rather than losing the next. It
	// stays in the lane this one was made in.
	wait := d.schedule()[n-1]
	next := msg
	next.Attempt, next.NotBefore = n+1, rec.At.Add(wait)
	if err := d.queueOf(next).Enqueue(ctx, next, wait); err != nil {
		return err
	}
	rec.Status, rec.Scrubbed = domain.OutboxPending, nil
	return ignoreDone(d.d.Store.RecordOutboxAttempt(ctx, ev.Key(), rec))
}

// deadLetter sends a failed event's id to the dead-letter queue and
// records that it did.
func (d *Dispatcher) deadLetter(ctx context.Context, st domain.OutboxState, reason string) error {
	ev := st.Event
	if err := d.d.DeadLetters.Send(ctx, queue.DeadLetter{EventID: ev.ID, Type: ev.Type, PartnerID: ev.PartnerID,
		Attempts: max(st.Attempts, 1), Reason: reason, FailedAt: d.now().UTC()}); err != nil {
		return err
	}
	metrics.Count(ctx, metrics.WebhooksDeadLettered, 1)
	slog.ErrorContext(ctx, "webhook dead-lettered", "eventId", ev.ID, "type", ev.Type, "partnerId", ev.PartnerID, "attempts", st.Attempts)
	return ignoreDone(d.d.Store.MarkOutboxDeadLettered(ctx, ev.Key(), d.now()))
}

// redeliver makes the attempt a partner asked for: one, outside the
// schedule, with the sender's full timeout (the retry queue's consumer is
// not the stream). A success delivers the event; a failure leaves its
// status. While the partner is suspended it is held; while its circuit is
// open it waits for the cooldown.
func (d *Dispatcher) redeliver(ctx context.Context, st domain.OutboxState, m queue.Retry) error {
	o, err := d.try(ctx, st, true, true)
	switch {
	case err != nil:
		return err
	case o.held:
		return d.hold(ctx, m, st.Event.RetainUntil)
	case o.wait > 0:
		m.NotBefore = d.now().Add(o.wait)
		return d.d.Retries.Enqueue(ctx, m, o.wait)
	}
	rec := domain.OutboxAttempt{At: d.now(), ResponseStatus: o.status, Status: st.Status}
	if o.reason == "" {
		rec.Status, rec.Scrubbed = domain.OutboxDelivered, st.Event.Scrubbed
		metrics.Count(ctx, metrics.WebhooksDelivered, 1)
	}
	slog.InfoContext(ctx, "webhook redelivery", "eventId", st.Event.ID, "type", st.Event.Type, "partnerId", st.Event.PartnerID, "error", o.reason)
	return ignoreDone(d.d.Store.RecordOutboxAttempt(ctx, st.Event.Key(), rec))
}

// ignoreDone: the event gone, or the attempt recorded by another worker,
// is no failure.
func ignoreDone(err error) error {
	if errors.Is(err, domain.ErrNotFound) || errors.Is(err, domain.E(domain.Stale, domain.ReasonStaleAttempt)) {
		return nil
	}
	return err
}
