// Package events is the partner's view of its own webhook events (GET
// /api/partner/v2/webhooks/events and its two POSTs): the listing with its
// filters and cursor, a redelivery of one event with the same id, and a
// test event. Deliveries themselves are package delivery's; this package
// only reads the outbox, writes a test event to it, and puts a redelivery
// on the retry queue. It answers the domain's records (domain.OutboxState)
// and errors; the Partner v2 surface renders them.
package events

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/outbox"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/domain/users"
	"github.com/partner-identity/api/shared/kit/logsafe"
	"github.com/partner-identity/api/shared/webhooks/queue"
)

// Page sizes of the listing.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// errNoWebhook: the partner has no webhook URL to send to.
func errNoWebhook() error { return domain.E(domain.Conflict, domain.ReasonNoWebhook) }

// Each partner's budgets, per hour (a fixed window, counted in the store,
// so that they hold across every container): test events and
// redeliveries. A redelivery of an event whose redelivery is queued and
// not made yet (for up to Coalesce) is the one queued: it neither queues
// another nor counts.
const (
	TestEventsPerHour   = 10
	RedeliveriesPerHour = 100
	Coalesce            = 15 * time.Minute
	budgetWindow        = time.Hour
)

// Budget names.
const (
	budgetTestEvents   = "webhook-test"
	budgetRedeliveries = "webhook-redelivery"
)

// budget is partnerID's budget name of limit an hour, in now's window.
func budget(partnerID, name string, limit int, now time.Time) domain.Budget {
	start := now.UTC().Truncate(budgetWindow)
	return domain.Budget{PartnerID: partnerID, Name: name, Window: start, Until: start.Add(budgetWindow), Limit: limit}
}

// limited is err as the partner sees it: a spent budget is Limited, with
// what it limits, its limit and when the next window starts.
func limited(err error, b domain.Budget, what string, now time.Time) error {
	if errors.Is(err, domain.ErrLimited) {
		return &domain.Error{Kind: domain.Limited, What: what, Limit: b.Limit, RetryAfter: b.Until.Sub(now), Err: err}
	}
	return err
}

// Page is a page of the listing: the events, newest first, and the cursor
// of the next page ("" on the last).
type Page struct {
	Events     []domain.OutboxState
	NextCursor string
}

// Service answers the partner's events API.
type Service struct {
	store   domain.Outbox
	now     func() time.Time
	retries queue.Queue
}

// New is the service over s. retries takes redeliveries; nil when the
// function does not redeliver (Redeliver then fails).
func New(s domain.Outbox, now func() time.Time, retries queue.Queue) *Service {
	return &Service{store: s, now: now, retries: retries}
}

// List returns a page of the partner's events, newest first.
func (s *Service) List(ctx context.Context, partnerID string, q domain.OutboxQuery) (Page, error) {
	p, err := s.store.ListOutboxEvents(ctx, partnerID, q)
	if err != nil {
		return Page{}, err
	}
	page := Page{Events: p.Events}
	if p.Next != nil {
		page.NextCursor = encodeCursor(*p.Next)
	}
	return page, nil
}

// Redeliver queues one more delivery of the partner's event eventID, with
// the same id and its payload as stored (scrubbed of personal data once it
// settled), to the partner's endpoint endpointID, or ("" ) to each of its
// endpoints that takes the event's type, counted once against the
// partner's hourly budget (Limited past it); one already queued is not
// queued again. It answers the event as it stands: NotFound for no event
// of the partner's (another partner's, past its retention, erased with its
// user), Invalid for an endpoint the partner does not have, Conflict
// (ReasonNoWebhook) when no endpoint would take it.
func (s *Service) Redeliver(ctx context.Context, p *partners.Partner, eventID, endpointID string) (domain.OutboxState, error) {
	if !outbox.ValidID(eventID) {
		return domain.OutboxState{}, domain.ErrNotFound
	}
	st, err := s.store.FindOutboxEvent(ctx, p.ID, eventID)
	switch {
	case err != nil:
		return domain.OutboxState{}, err
	case s.retries == nil:
		return domain.OutboxState{}, errors.New("events: no retry queue")
	}
	target := queue.AllEndpoints
	if endpointID != "" {
		e, ok := p.Endpoint(endpointID)
		switch {
		case !ok:
			return domain.OutboxState{}, domain.InvalidInput(domain.Problem{Field: "endpointId", Issue: "is not one of the partner's webhook endpoints"})
		case e.Disabled:
			return domain.OutboxState{}, domain.InvalidInput(domain.Problem{Field: "endpointId", Issue: "names a disabled endpoint"})
		}
		target = endpointID
	} else if len(p.Receivers(st.Event.Type)) == 0 {
		return domain.OutboxState{}, errNoWebhook()
	}
	now := s.now()
	b := budget(p.ID, budgetRedeliveries, RedeliveriesPerHour, now)
	k := st.Event.Key()
	switch err := s.store.QueueRedelivery(ctx, k, now, now.Add(-Coalesce), b); {
	case errors.Is(err, domain.E(domain.Conflict, domain.ReasonRedeliveryQueued)):
		return st, nil // the one queued is this one
	case err != nil:
		return domain.OutboxState{}, limited(err, b, "redeliveries", now)
	}
	m := queue.Retry{EventID: st.Event.ID, UserID: st.Event.UserID, PartnerID: p.ID, EndpointID: target, Attempt: 0, NotBefore: now}
	if err := s.retries.Enqueue(ctx, m, 0); err != nil {
		// Not queued: neither marked nor counted (best effort; a mark
		// left behind lapses after Coalesce).
		if cerr := s.store.CancelRedelivery(ctx, k, now, b); cerr != nil {
			slog.ErrorContext(ctx, "redelivery: the mark of a message not queued stays", "eventId", k.ID, "error", logsafe.Code(cerr))
		}
		return domain.OutboxState{}, err
	}
	return st, nil
}

// testData is a webhook.test event's data.
type testData struct {
	Message string `json:"message"`
}

// SendTest writes a webhook.test event for the partner: the dispatcher
// delivers it as it delivers every event (signed, retried, listed).
func (s *Service) SendTest(ctx context.Context, p *partners.Partner) (domain.OutboxState, error) {
	if c, speculative := domain.KeyCheckOf(ctx); speculative {
		// p is as its key claims it, its key being read: the event is
		// written only if the key holds and its partner has an endpoint.
		c.Hooked = true
		ctx = domain.WithKeyCheck(ctx, c)
	} else if !p.Hooked() {
		return domain.OutboxState{}, errNoWebhook()
	}
	now := s.now()
	ev := outbox.Must(outbox.WebhookTest, p.ID, testData{Message: "A test event, sent at the partner's request."}, now)
	b := budget(p.ID, budgetTestEvents, TestEventsPerHour, now)
	if err := s.store.PutOutboxEvent(ctx, ev, b); err != nil {
		return domain.OutboxState{}, limited(err, b, "test events", now)
	}
	return domain.OutboxState{Event: ev, Status: domain.OutboxPending}, nil
}

// Statuses are the values of the status filter.
var Statuses = []string{domain.OutboxPending, domain.OutboxDelivered, domain.OutboxFailed, domain.OutboxSkipped}

// QueryParams are the listing's query parameters.
var QueryParams = []string{"type", "status", "limit", "cursor"}

// ParseQuery reads the listing's query parameters (each given once, none
// other: the surface's reading of the query string): type, status, limit
// and cursor. It returns one detail per bad value.
func ParseQuery(vals map[string]string) (domain.OutboxQuery, []domain.Problem) {
	q := domain.OutboxQuery{Limit: DefaultLimit}
	var bad []domain.Problem
	if v, ok := vals["type"]; ok {
		if !slices.Contains(outbox.Types, v) {
			bad = append(bad, domain.Problem{Field: "type", Issue: "must be one of " + strings.Join(outbox.Types, ", ")})
		}
		q.Type = v
	}
	if v, ok := vals["status"]; ok {
		if !slices.Contains(Statuses, v) {
			bad = append(bad, domain.Problem{Field: "status", Issue: "must be one of " + strings.Join(Statuses, ", ")})
		}
		q.Status = v
	}
	if v, ok := vals["limit"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit || v != strconv.Itoa(n) {
			bad = append(bad, domain.Problem{Field: "limit", Issue: "must be an integer from 1 to " + strconv.Itoa(MaxLimit)})
		}
		q.Limit = n
	}
	if v, ok := vals["cursor"]; ok {
		k, valid := decodeCursor(v)
		if !valid {
			bad = append(bad, domain.Problem{Field: "cursor", Issue: "is not a cursor this API returned (nextCursor)"})
		}
		q.After = &k
	}
	return q, bad
}

// A cursor is the base64url of the last listed event's id, then "." and
// the id of the user it is kept with when there is one: the position in
// the partner's own index. A forged cursor can only move within the
// partner's own events (the query is by partner).
func encodeCursor(k domain.EventKey) string {
	s := k.ID
	if k.UserID != "" {
		s += "." + k.UserID
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func decodeCursor(c string) (domain.EventKey, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return domain.EventKey{}, false
	}
	id, user, hasUser := strings.Cut(string(b), ".")
	if !outbox.ValidID(id) {
		return domain.EventKey{}, false
	}
	if hasUser {
		u, ok := users.UserID(user)
		if !ok || u != user {
			return domain.EventKey{}, false
		}
	}
	return domain.EventKey{ID: id, UserID: user}, true
}
