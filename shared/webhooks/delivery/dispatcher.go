package delivery

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/partner-identity/api/shared/webhooks/signature"

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

// first makes an event's first attempt at each endpoint of its partner
// that takes its type (at once), unless it was made already (a stream
// record brought again) or the event is gone (erased with its user, or
// past its retention). An event no endpoint takes is settled: failed
// when its partner has no endpoint, skipped when none is subscribed.
func (d *Dispatcher) first(ctx context.Context, k domain.EventKey) error {
	st, err := d.d.Store.OutboxStatus(ctx, k)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return nil
	case err != nil:
		return err
	case st.Status != domain.OutboxPending:
		return nil
	}
	p, err := d.partner(ctx, st.Event.PartnerID)
	if err != nil {
		return err
	}
	var targets []partners.Endpoint
	if p != nil {
		targets = p.Receivers(st.Event.Type)
	}
	if len(targets) == 0 {
		if len(st.Deliveries) > 0 {
			return nil // its endpoints changed since its first attempts: their retries go on
		}
		status, reason := domain.OutboxFailed, "webhook_not_configured"
		if p != nil && len(p.Endpoints()) > 0 {
			status, reason = domain.OutboxSkipped, "webhook_not_subscribed"
		}
		slog.InfoContext(ctx, "webhook not sent", "eventId", st.Event.ID, "type", st.Event.Type, "partnerId", st.Event.PartnerID, "reason", reason)
		return d.record(ctx, st, false, func(st *domain.OutboxState) bool {
			if st.Status != domain.OutboxPending || len(st.Deliveries) > 0 {
				return false
			}
			st.Status = status
			return true
		})
	}
	var todo []string
	for _, e := range targets {
		if st.Delivery(e.ID).Scheduled < 1 {
			todo = append(todo, e.ID)
		}
	}
	if failed := each(ctx, len(todo), func(i int) error { return d.attempt(ctx, st, todo[i], 1, false) }); len(failed) > 0 {
		return errNotRecorded
	}
	return nil
}

// errNotRecorded: an attempt at one of an event's endpoints could not be
// recorded or queued (logged where it failed).
var errNotRecorded = errors.New("webhooks: an attempt was not recorded")

// record writes the change fn makes to st's delivery state, on the
// revision read; when another worker wrote first (another endpoint's
// attempt) it reads the event again and applies fn to that. fn false:
// nothing to write. A state that settles loses its personal data.
func (d *Dispatcher) record(ctx context.Context, st domain.OutboxState, redelivery bool, fn func(st *domain.OutboxState) bool) error {
	k := st.Event.Key()
	for try := 0; ; try++ {
		next := st
		next.Deliveries = slices.Clone(st.Deliveries)
		if !fn(&next) {
			return nil
		}
		rec := domain.OutboxRecord{State: next, RedeliveryMade: redelivery}
		if next.Settled() && st.Event.Scrubbed != nil {
			rec.Scrubbed = st.Event.Scrubbed
		}
		err := d.d.Store.RecordDeliveries(ctx, k, st.Rev, rec)
		if !errors.Is(err, domain.E(domain.Stale, domain.ReasonStaleAttempt)) || try == maxRecordTries {
			return ignoreGone(err)
		}
		if st, err = d.d.Store.OutboxStatus(ctx, k); err != nil {
			return ignoreGone(err)
		}
	}
}

// maxRecordTries bounds the reads again of one record: each stale write
// means another endpoint's was made.
const maxRecordTries = 2 * partners.MaxEndpoints

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
	if m.EndpointID == "" {
		m.EndpointID = partners.DefaultEndpointID // written before endpoints
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
	}
	del := st.Delivery(m.EndpointID)
	switch {
	case del.Status == domain.OutboxFailed && !del.DeadLettered && del.Scheduled == m.Attempt:
		return d.deadLetter(ctx, st, del, "retries_ended") // the message that failed it, again: the dead letter was not sent
	case del.Scheduled >= m.Attempt || del.Status != domain.OutboxPending:
		return nil // made already (a message brought twice), or delivered meanwhile
	}
	return d.attempt(ctx, st, m.EndpointID, m.Attempt, m.Slow)
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
	// gone: the partner or the endpoint is gone, or the endpoint
	// disabled: the delivery fails without retries.
	gone bool
	// held: the partner is suspended; handoff: the attempt goes to the
	// slow lane; wait: a redelivery waits for the endpoint's circuit. In
	// all three nothing was sent and nothing is counted.
	held, handoff bool
	wait          time.Duration
}

// try sends st's event once to the partner's endpoint, unless the
// partner is suspended (held) or, in a shared lane (slow false), the
// endpoint is known slow (handed off). In a shared lane with a slow lane
// the attempt has Budget: an endpoint that has not answered by then is
// marked slow and the attempt handed off. A redelivery the partner asked
// for (asked) waits while the endpoint's circuit is open; a scheduled
// attempt then fails unsent. Each endpoint has its own circuit, slowness
// and secrets.
func (d *Dispatcher) try(ctx context.Context, st domain.OutboxState, endpoint string, slow, asked bool) (outcome, error) {
	p, err := d.partner(ctx, st.Event.PartnerID)
	switch {
	case err != nil:
		return outcome{}, err
	case p == nil:
		return outcome{reason: "webhook_not_configured", gone: true}, nil
	case p.Suspended():
		return outcome{held: true}, nil
	}
	e, ok := p.Endpoint(endpoint)
	switch {
	case !ok:
		return outcome{reason: "webhook_endpoint_removed", gone: true}, nil
	case e.Disabled:
		return outcome{reason: "webhook_endpoint_disabled", gone: true}, nil
	}
	keys, err := d.d.Secrets.For(ctx, p.ID, e.ID)
	if err != nil {
		return outcome{}, err
	}
	if len(keys) == 0 {
		// An endpoint without a secret is a configuration fault: its
		// events are retried on the schedule (metric WebhookFailures).
		return outcome{reason: "webhook_secret_missing"}, nil
	}
	circuit := p.ID + "/" + e.ID
	shared := !slow && d.d.SlowLane != nil
	if shared && d.slow.Is(circuit) {
		return outcome{handoff: true}, nil
	}
	if !d.breaker.Allow(circuit) {
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
	status, err := d.d.Sender.Send(sendCtx, e.URL, keys, st.Event, d.now())
	if err != nil && shared && ctx.Err() == nil && errors.Is(sendCtx.Err(), context.DeadlineExceeded) {
		// Over the budget, not failed: the slow lane tries it again with
		// the full timeout (a receiver that got it nonetheless sees the
		// same Webhook-Id twice, as with any retry).
		d.breaker.Forget(circuit)
		d.slow.Mark(circuit)
		metrics.Count(ctx, metrics.WebhooksSlow, 1)
		return outcome{handoff: true}, nil
	}
	d.breaker.Record(circuit, err == nil)
	if err != nil {
		return outcome{status: status, reason: logsafe.Code(err)}, nil
	}
	return outcome{status: status}, nil
}

// attempt makes scheduled attempt n at st's event for the partner's
// endpoint (in the slow lane when slow) and records it: a success
// delivers it there; a failure schedules the next attempt, or, after the
// last, fails that delivery and sends it to the dead-letter queue. The
// payload loses its personal data when no delivery is pending any more.
// A held or handed-off attempt is not made: its message goes to the
// retry queue or the slow lane, with the same number.
func (d *Dispatcher) attempt(ctx context.Context, st domain.OutboxState, endpoint string, n int, slow bool) error {
	ev := st.Event
	msg := queue.Retry{EventID: ev.ID, UserID: ev.UserID, PartnerID: ev.PartnerID, EndpointID: endpoint, Attempt: n, Slow: slow}
	o, err := d.try(ctx, st, endpoint, slow, false)
	switch {
	case err != nil:
		return err
	case o.held:
		return d.hold(ctx, msg, ev.RetainUntil)
	case o.handoff:
		msg.Slow, msg.NotBefore = true, d.now()
		slog.InfoContext(ctx, "webhook to the slow lane", "eventId", ev.ID, "partnerId", ev.PartnerID, "endpointId", endpoint, "attempt", n)
		return d.d.SlowLane.Enqueue(ctx, msg, 0)
	}
	at := d.now()
	status := domain.OutboxDelivered
	if o.reason == "" {
		metrics.Count(ctx, metrics.WebhooksDelivered, 1)
		slog.InfoContext(ctx, "webhook delivered", "eventId", ev.ID, "type", ev.Type, "partnerId", ev.PartnerID, "endpointId", endpoint,
			"attempt", n, "slowLane", slow)
	} else {
		metrics.Count(ctx, metrics.WebhookFailures, 1)
		slog.WarnContext(ctx, "webhook attempt failed", "eventId", ev.ID, "type", ev.Type, "partnerId", ev.PartnerID, "endpointId", endpoint,
			"attempt", n, "of", d.Attempts(), "error", o.reason, "slowLane", slow)
		status = domain.OutboxFailed
		if !o.gone && n < d.Attempts() {
			// The next attempt is queued before this one is recorded: a
			// failure in between makes this attempt again rather than
			// losing the next. It stays in the lane this one was made in.
			wait := d.schedule()[n-1]
			next := msg
			next.Attempt, next.NotBefore = n+1, at.Add(wait)
			if err := d.queueOf(next).Enqueue(ctx, next, wait); err != nil {
				return err
			}
			status = domain.OutboxPending
		}
	}
	var made domain.Delivery
	err = d.record(ctx, st, false, func(st *domain.OutboxState) bool {
		del := st.Delivery(endpoint)
		if del.Scheduled >= n {
			return false // recorded by another worker
		}
		del.Attempts++
		del.Scheduled, del.LastAttemptAt, del.LastResponseStatus, del.Status = n, at, o.status, status
		st.SetDelivery(del)
		made = del
		return true
	})
	if err != nil || status != domain.OutboxFailed || o.gone || made.EndpointID == "" {
		return err // nothing to retry after a gone endpoint, nobody to alert: the partner may redeliver
	}
	return d.deadLetter(ctx, st, made, o.reason)
}

// deadLetter sends a failed delivery to the dead-letter queue and records
// that it did.
func (d *Dispatcher) deadLetter(ctx context.Context, st domain.OutboxState, del domain.Delivery, reason string) error {
	ev := st.Event
	if err := d.d.DeadLetters.Send(ctx, queue.DeadLetter{EventID: ev.ID, Type: ev.Type, PartnerID: ev.PartnerID, EndpointID: del.EndpointID,
		Attempts: max(del.Attempts, 1), Reason: reason, FailedAt: d.now().UTC()}); err != nil {
		return err
	}
	metrics.Count(ctx, metrics.WebhooksDeadLettered, 1)
	slog.ErrorContext(ctx, "webhook dead-lettered", "eventId", ev.ID, "type", ev.Type, "partnerId", ev.PartnerID, "endpointId", del.EndpointID,
		"attempts", del.Attempts)
	fresh, err := d.d.Store.OutboxStatus(ctx, ev.Key())
	if err != nil {
		return ignoreGone(err)
	}
	return d.record(ctx, fresh, false, func(st *domain.OutboxState) bool {
		del := st.Delivery(del.EndpointID)
		if del.DeadLettered || del.Status != domain.OutboxFailed {
			return false
		}
		del.DeadLettered = true
		st.SetDelivery(del)
		return true
	})
}

// redeliver makes the attempt a partner asked for, at the endpoint its
// message names or at each endpoint that takes the event's type
// (queue.AllEndpoints).
func (d *Dispatcher) redeliver(ctx context.Context, st domain.OutboxState, m queue.Retry) error {
	if m.EndpointID != queue.AllEndpoints {
		return d.redeliverTo(ctx, st, m)
	}
	p, err := d.partner(ctx, m.PartnerID)
	if err != nil || p == nil {
		return err
	}
	if p.Suspended() {
		return d.hold(ctx, m, st.Event.RetainUntil)
	}
	targets := p.Receivers(st.Event.Type)
	if failed := each(ctx, len(targets), func(i int) error {
		one := m
		one.EndpointID = targets[i].ID
		return d.redeliverTo(ctx, st, one)
	}); len(failed) > 0 {
		return errNotRecorded
	}
	return nil
}

// redeliverTo makes one attempt, outside the schedule, with the sender's
// full timeout (the retry queue's consumer is not the stream). A success
// delivers the event there; a failure leaves that delivery's status (a
// first delivery to the endpoint fails). While the partner is suspended
// it is held; while the endpoint's circuit is open it waits for the
// cooldown.
func (d *Dispatcher) redeliverTo(ctx context.Context, st domain.OutboxState, m queue.Retry) error {
	o, err := d.try(ctx, st, m.EndpointID, true, true)
	switch {
	case err != nil:
		return err
	case o.held:
		return d.hold(ctx, m, st.Event.RetainUntil)
	case o.wait > 0:
		m.NotBefore = d.now().Add(o.wait)
		return d.d.Retries.Enqueue(ctx, m, o.wait)
	}
	at := d.now()
	if o.reason == "" {
		metrics.Count(ctx, metrics.WebhooksDelivered, 1)
	}
	slog.InfoContext(ctx, "webhook redelivery", "eventId", st.Event.ID, "type", st.Event.Type, "partnerId", st.Event.PartnerID,
		"endpointId", m.EndpointID, "error", o.reason)
	return d.record(ctx, st, true, func(st *domain.OutboxState) bool {
		del := st.Delivery(m.EndpointID)
		fresh := del.Attempts == 0
		del.Attempts++
		del.LastAttemptAt, del.LastResponseStatus = at, o.status
		switch {
		case o.reason == "":
			del.Status = domain.OutboxDelivered
		case fresh:
			del.Status = domain.OutboxFailed
		}
		st.SetDelivery(del)
		return true
	})
}

// ignoreGone: the event gone is no failure.
func ignoreGone(err error) error {
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	return err
}
