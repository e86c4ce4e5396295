// Package webhookevents is the partner's view of its own webhook events
// (GET /api/partner/v2/webhooks/events and its two POSTs): the listing
// with its filters and cursor, a redelivery of one event with the same
// id, and a test event. Deliveries themselves are package webhooks'; this
// package only reads the outbox, writes a test event to it, and puts a
// redelivery on the retry queue.
package webhookevents

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/partner-identity/api/shared/apierr"
	"github.com/partner-identity/api/shared/logsafe"
	"github.com/partner-identity/api/shared/outbox"
	"github.com/partner-identity/api/shared/partners"
	"github.com/partner-identity/api/shared/store"
	"github.com/partner-identity/api/shared/users"
	"github.com/partner-identity/api/shared/webhookqueue"
	"github.com/partner-identity/api/shared/wire"
)

// Page sizes of the listing.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// Outcomes the surface answers.
var (
	// ErrNotFound: no such event of the partner's (another partner's, or
	// past its retention, or erased with its user).
	ErrNotFound = errors.New("webhookevents: event not found")
	// ErrNoWebhook: the partner has no webhook URL to send to.
	ErrNoWebhook = errors.New("webhookevents: no webhook URL configured")
)

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

// LimitError: the partner has spent a budget's window.
type LimitError struct {
	// What is limited ("test events", "redeliveries"), and how many an hour.
	What  string
	Limit int
	// RetryAfter is when the next window starts, from now.
	RetryAfter time.Duration
}

func (e *LimitError) Error() string {
	return "webhookevents: at most " + strconv.Itoa(e.Limit) + " " + e.What + " an hour"
}

// budget is partnerID's budget name of limit an hour, in now's window.
func budget(partnerID, name string, limit int, now time.Time) store.Budget {
	start := now.UTC().Truncate(budgetWindow)
	return store.Budget{PartnerID: partnerID, Name: name, Window: start, Until: start.Add(budgetWindow), Limit: limit}
}

// limited is err as the partner sees it: a LimitError for a spent budget.
func limited(err error, b store.Budget, what string, now time.Time) error {
	if errors.Is(err, store.ErrBudgetSpent) {
		return &LimitError{What: what, Limit: b.Limit, RetryAfter: b.Until.Sub(now)}
	}
	return err
}

// Summary is one event as the partner sees it: no payload (the listing
// reads an index that holds none), its delivery state.
type Summary struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	CreatedAt string `json:"createdAt"`
	Status    string `json:"status"`
	Attempts  int    `json:"attempts"`
	// LastAttemptAt is null before the first attempt.
	LastAttemptAt *string `json:"lastAttemptAt"`
	// LastResponseStatus is the HTTP status of the last attempt's answer,
	// null when there was none (no attempt yet, a timeout, a refused
	// connection, an attempt not made while the endpoint was skipped).
	LastResponseStatus *int `json:"lastResponseStatus"`
}

// Page is a page of the listing; NextCursor is null on the last page.
type Page struct {
	Events     []Summary `json:"events"`
	NextCursor *string   `json:"nextCursor"`
}

// Service answers the partner's events API.
type Service struct {
	store   store.Outbox
	now     func() time.Time
	retries webhookqueue.Queue
}

// New is the service over s. retries takes redeliveries; nil when the
// function does not redeliver (Redeliver then fails).
func New(s store.Outbox, now func() time.Time, retries webhookqueue.Queue) *Service {
	return &Service{store: s, now: now, retries: retries}
}

// List returns a page of the partner's events, newest first.
func (s *Service) List(ctx context.Context, partnerID string, q store.OutboxQuery) (Page, error) {
	p, err := s.store.ListOutboxEvents(ctx, partnerID, q)
	if err != nil {
		return Page{}, err
	}
	page := Page{Events: make([]Summary, len(p.Events))}
	for i, st := range p.Events {
		page.Events[i] = summaryOf(st)
	}
	if p.Next != nil {
		c := encodeCursor(*p.Next)
		page.NextCursor = &c
	}
	return page, nil
}

// Redeliver queues one more delivery of the partner's event eventID, with
// the same id and its payload as stored (scrubbed of personal data once it
// was delivered or failed), counted against the partner's hourly budget
// (a *LimitError past it); one already queued is not queued again. It
// answers the event as it stands.
func (s *Service) Redeliver(ctx context.Context, p *partners.Partner, eventID string) (Summary, error) {
	if !outbox.ValidID(eventID) {
		return Summary{}, ErrNotFound
	}
	st, err := s.store.FindOutboxEvent(ctx, p.ID, eventID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Summary{}, ErrNotFound
	case err != nil:
		return Summary{}, err
	case p.Webhook.URL == "":
		return Summary{}, ErrNoWebhook
	case s.retries == nil:
		return Summary{}, errors.New("webhookevents: no retry queue")
	}
	now := s.now()
	b := budget(p.ID, budgetRedeliveries, RedeliveriesPerHour, now)
	k := st.Event.Key()
	switch err := s.store.QueueRedelivery(ctx, k, now, now.Add(-Coalesce), b); {
	case errors.Is(err, store.ErrRedeliveryQueued):
		return summaryOf(st), nil // the one queued is this one
	case errors.Is(err, store.ErrNotFound):
		return Summary{}, ErrNotFound
	case err != nil:
		return Summary{}, limited(err, b, "redeliveries", now)
	}
	m := webhookqueue.Retry{EventID: st.Event.ID, UserID: st.Event.UserID, PartnerID: p.ID, Attempt: 0, NotBefore: now}
	if err := s.retries.Enqueue(ctx, m, 0); err != nil {
		// Not queued: neither marked nor counted (best effort; a mark
		// left behind lapses after Coalesce).
		if cerr := s.store.CancelRedelivery(ctx, k, now, b); cerr != nil {
			slog.ErrorContext(ctx, "redelivery: the mark of a message not queued stays", "eventId", k.ID, "error", logsafe.Code(cerr))
		}
		return Summary{}, err
	}
	return summaryOf(st), nil
}

// testData is a webhook.test event's data.
type testData struct {
	Message string `json:"message"`
}

// SendTest writes a webhook.test event for the partner: the dispatcher
// delivers it as it delivers every event (signed, retried, listed).
func (s *Service) SendTest(ctx context.Context, p *partners.Partner) (Summary, error) {
	if p.Webhook.URL == "" {
		return Summary{}, ErrNoWebhook
	}
	now := s.now()
	ev := outbox.Must(outbox.WebhookTest, p.ID, testData{Message: "A test event, sent at the partner's request."}, now)
	b := budget(p.ID, budgetTestEvents, TestEventsPerHour, now)
	if err := s.store.PutOutboxEvent(ctx, ev, b); err != nil {
		return Summary{}, limited(err, b, "test events", now)
	}
	return summaryOf(store.OutboxState{Event: ev, Status: store.OutboxPending}), nil
}

func summaryOf(st store.OutboxState) Summary {
	v := Summary{ID: st.Event.ID, Type: st.Event.Type, CreatedAt: wire.Time(st.Event.CreatedAt), Status: st.Status, Attempts: st.Attempts}
	if !st.LastAttemptAt.IsZero() {
		at := wire.Time(st.LastAttemptAt)
		v.LastAttemptAt = &at
	}
	if st.LastResponseStatus != 0 {
		code := st.LastResponseStatus
		v.LastResponseStatus = &code
	}
	return v
}

// Statuses are the values of the status filter.
var Statuses = []string{store.OutboxPending, store.OutboxDelivered, store.OutboxFailed}

// QueryParams are the listing's query parameters.
var QueryParams = []string{"type", "status", "limit", "cursor"}

// ParseQuery reads the listing's query parameters (each given once, none
// other: the surface's reading of the query string): type, status, limit
// and cursor. It returns one detail per bad value.
func ParseQuery(vals map[string]string) (store.OutboxQuery, []apierr.Detail) {
	q := store.OutboxQuery{Limit: DefaultLimit}
	var bad []apierr.Detail
	if v, ok := vals["type"]; ok {
		if !slices.Contains(outbox.Types, v) {
			bad = append(bad, apierr.Detail{Field: "type", Issue: "must be one of " + strings.Join(outbox.Types, ", ")})
		}
		q.Type = v
	}
	if v, ok := vals["status"]; ok {
		if !slices.Contains(Statuses, v) {
			bad = append(bad, apierr.Detail{Field: "status", Issue: "must be one of " + strings.Join(Statuses, ", ")})
		}
		q.Status = v
	}
	if v, ok := vals["limit"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit || v != strconv.Itoa(n) {
			bad = append(bad, apierr.Detail{Field: "limit", Issue: "must be an integer from 1 to " + strconv.Itoa(MaxLimit)})
		}
		q.Limit = n
	}
	if v, ok := vals["cursor"]; ok {
		k, valid := decodeCursor(v)
		if !valid {
			bad = append(bad, apierr.Detail{Field: "cursor", Issue: "is not a cursor this API returned (nextCursor)"})
		}
		q.After = &k
	}
	return q, bad
}

// A cursor is the base64url of the last listed event's id, then "." and
// the id of the user it is kept with when there is one: the position in
// the partner's own index. A forged cursor can only move within the
// partner's own events (the query is by partner).
func encodeCursor(k store.EventKey) string {
	s := k.ID
	if k.UserID != "" {
		s += "." + k.UserID
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func decodeCursor(c string) (store.EventKey, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return store.EventKey{}, false
	}
	id, user, hasUser := strings.Cut(string(b), ".")
	if !outbox.ValidID(id) {
		return store.EventKey{}, false
	}
	if hasUser {
		u, ok := users.UserID(user)
		if !ok || u != user {
			return store.EventKey{}, false
		}
	}
	return store.EventKey{ID: id, UserID: user}, true
}
