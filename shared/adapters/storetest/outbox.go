package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/outbox"
)

// runOutbox runs the outbox part: delivery attempts, the payload's personal
// data leaving it once final, the partner's listing and lookup.
func runOutbox(t *testing.T, newStore func(t *testing.T) domain.Store) {
	ctx := context.Background()
	base := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

	// write stores n events for partner, a millisecond apart, alternating
	// a personal user.created (kept with a user) and a webhook.test.
	write := func(t *testing.T, s domain.Store, partner string, n int, from time.Time) []domain.OutboxEvent {
		var evs []domain.OutboxEvent
		for i := range n {
			at := from.Add(time.Duration(i) * time.Millisecond)
			var ev domain.OutboxEvent
			if i%2 == 0 {
				id := partner + "-user-" + at.Format("150405.000")
				ev = outbox.MustPersonal(outbox.UserCreated, partner, id, map[string]string{"userId": id, "externalUserId": "ext-secret-" + id}, at)
				u, g := fixture(id, partner, "ext-secret-"+id, at)
				if _, err := s.CreateUser(ctx, u, g, ev); err != nil {
					t.Fatal(err)
				}
			} else {
				ev = outbox.Must(outbox.WebhookTest, partner, map[string]string{"message": "test"}, at)
				if err := s.PutOutboxEvent(ctx, ev, domain.Budget{}); err != nil {
					t.Fatal(err)
				}
			}
			evs = append(evs, ev)
		}
		return evs
	}

	// record writes d as event k's delivery to its endpoint, on the state
	// as read now.
	record := func(t *testing.T, s domain.Store, k domain.EventKey, d domain.Delivery, r domain.OutboxRecord) error {
		t.Helper()
		st, err := s.OutboxStatus(ctx, k)
		if err != nil {
			return err
		}
		st.SetDelivery(d)
		r.State = st
		return s.RecordDeliveries(ctx, k, st.Rev, r)
	}

	t.Run("deliveries per endpoint are recorded on the revision read; a settled event loses its personal data", func(t *testing.T) {
		s := newStore(t)
		ev := write(t, s, "p1", 1, base)[0]
		st, err := s.OutboxStatus(ctx, ev.Key())
		if err != nil || st.Status != domain.OutboxPending || st.Attempts != 0 || st.Rev != 0 || len(st.Deliveries) != 0 ||
			string(st.Event.Payload) != string(ev.Payload) || st.Event.Scrubbed == nil {
			t.Fatalf("new event: %+v %v", st, err)
		}
		at := base.Add(time.Second)
		a := domain.Delivery{EndpointID: "we_default", Status: domain.OutboxPending, Attempts: 1, Scheduled: 1, LastAttemptAt: at, LastResponseStatus: 500}
		b := domain.Delivery{EndpointID: "we_00000000000000b1", Status: domain.OutboxDelivered, Attempts: 1, Scheduled: 1, LastAttemptAt: at.Add(time.Millisecond), LastResponseStatus: 204}
		if err := record(t, s, ev.Key(), a, domain.OutboxRecord{}); err != nil {
			t.Fatal(err)
		}
		// A write on the revision read before another's: stale, nothing written.
		st.SetDelivery(b)
		if err := s.RecordDeliveries(ctx, ev.Key(), 0, domain.OutboxRecord{State: st}); !errors.Is(err, domain.E(domain.Stale, domain.ReasonStaleAttempt)) {
			t.Fatalf("on a stale revision: %v", err)
		}
		if err := record(t, s, ev.Key(), b, domain.OutboxRecord{}); err != nil {
			t.Fatal(err)
		}
		st, _ = s.OutboxStatus(ctx, ev.Key())
		if st.Rev != 2 || len(st.Deliveries) != 2 || st.Delivery("we_default") != a || st.Delivery(b.EndpointID) != b ||
			st.Status != domain.OutboxPending || st.Attempts != 2 || st.Scheduled != 1 || st.LastResponseStatus != 204 ||
			!st.LastAttemptAt.Equal(b.LastAttemptAt) || !strings.Contains(string(st.Event.Payload), "ext-secret") {
			t.Fatalf("two endpoints, one pending: %+v", st)
		}
		a.Status, a.Attempts, a.Scheduled, a.LastAttemptAt, a.LastResponseStatus, a.DeadLettered = domain.OutboxFailed, 8, 8, at.Add(time.Hour), 503, true
		if err := record(t, s, ev.Key(), a, domain.OutboxRecord{Scrubbed: st.Event.Scrubbed, RedeliveryMade: true}); err != nil {
			t.Fatal(err)
		}
		st, _ = s.OutboxStatus(ctx, ev.Key())
		if st.Status != domain.OutboxFailed || !st.DeadLettered || st.Attempts != 9 || st.Scheduled != 8 || st.LastResponseStatus != 503 ||
			strings.Contains(string(st.Event.Payload), "ext-secret") || !strings.Contains(string(st.Event.Payload), ev.ID) || st.Event.Scrubbed != nil || !st.Settled() {
			t.Fatalf("settled, one failed: %+v %s", st, st.Event.Payload)
		}
		if page, err := s.ListOutboxEvents(ctx, "p1", domain.OutboxQuery{Limit: 5, Status: domain.OutboxFailed}); err != nil || len(page.Events) != 1 ||
			len(page.Events[0].Deliveries) != 2 || page.Events[0].Delivery(b.EndpointID) != b {
			t.Fatalf("listed with its deliveries: %+v %v", page, err)
		}
		missing := domain.EventKey{ID: outbox.NewID(base)}
		if err := s.RecordDeliveries(ctx, missing, 0, domain.OutboxRecord{State: st}); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("a missing event: %v", err)
		}
		if _, err := s.OutboxStatus(ctx, missing); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("a missing event's status: %v", err)
		}
	})

	t.Run("a partner lists its own events, newest first, in pages, filtered", func(t *testing.T) {
		s := newStore(t)
		mine := write(t, s, "p1", 5, base)
		write(t, s, "p2", 3, base.Add(time.Millisecond/2))
		if err := record(t, s, mine[1].Key(), domain.Delivery{EndpointID: "we_default", Status: domain.OutboxDelivered, Attempts: 1, Scheduled: 1,
			LastAttemptAt: base, LastResponseStatus: 200}, domain.OutboxRecord{}); err != nil {
			t.Fatal(err)
		}
		var got []string
		q := domain.OutboxQuery{Limit: 2}
		for pages := 0; ; pages++ {
			page, err := s.ListOutboxEvents(ctx, "p1", q)
			if err != nil || len(page.Events) > 2 || pages > 5 {
				t.Fatalf("page %d: %+v %v", pages, page, err)
			}
			for _, e := range page.Events {
				if e.Event.PartnerID != "p1" || e.Event.Payload != nil {
					t.Fatalf("listed %+v", e)
				}
				got = append(got, e.Event.ID)
			}
			if page.Next == nil {
				break
			}
			q.After = page.Next
		}
		want := []string{mine[4].ID, mine[3].ID, mine[2].ID, mine[1].ID, mine[0].ID}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("listed %v, want newest first %v", got, want)
		}
		tests, err := s.ListOutboxEvents(ctx, "p1", domain.OutboxQuery{Limit: 10, Type: outbox.WebhookTest})
		if err != nil || len(tests.Events) != 2 || tests.Events[0].Event.ID != mine[3].ID || tests.Events[1].Event.ID != mine[1].ID {
			t.Fatalf("by type: %+v %v", tests, err)
		}
		delivered, err := s.ListOutboxEvents(ctx, "p1", domain.OutboxQuery{Limit: 10, Status: domain.OutboxDelivered})
		if err != nil || len(delivered.Events) != 1 || delivered.Events[0].Event.ID != mine[1].ID || delivered.Events[0].Attempts != 1 ||
			delivered.Events[0].LastResponseStatus != 200 || delivered.Events[0].Status != domain.OutboxDelivered {
			t.Fatalf("by status: %+v %v", delivered, err)
		}
		pending, err := s.ListOutboxEvents(ctx, "p1", domain.OutboxQuery{Limit: 10, Status: domain.OutboxPending, Type: outbox.UserCreated})
		if err != nil || len(pending.Events) != 3 {
			t.Fatalf("pending user.created: %+v %v", pending, err)
		}
		if st, err := s.FindOutboxEvent(ctx, "p1", mine[2].ID); err != nil || st.Event.ID != mine[2].ID || st.Event.UserID != mine[2].UserID {
			t.Fatalf("find: %+v %v", st, err)
		}
		if _, err := s.FindOutboxEvent(ctx, "p2", mine[2].ID); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("another partner's event: %v", err)
		}
		if page, err := s.ListOutboxEvents(ctx, "p3", domain.OutboxQuery{Limit: 10}); err != nil || len(page.Events) != 0 || page.Next != nil {
			t.Fatalf("a partner without events: %+v %v", page, err)
		}
	})

	t.Run("many events page newest first under every filter, each cursor stable while newer events arrive", func(t *testing.T) {
		s := newStore(t)
		types := []string{outbox.WebhookTest, outbox.KYCStatusChanged, outbox.UserCreated}
		var evs []domain.OutboxEvent
		status := map[string]string{}
		for i := range 150 {
			ev := outbox.Must(types[i%3], "p1", map[string]string{"userId": "u"}, base.Add(time.Duration(i)*time.Millisecond))
			if i%5 == 0 {
				ev = outbox.MustPersonal(types[i%3], "p1", "u-many", map[string]string{"externalUserId": "x"}, ev.CreatedAt)
			}
			if err := s.PutOutboxEvent(ctx, ev, domain.Budget{}); err != nil {
				t.Fatal(err)
			}
			evs = append(evs, ev)
			status[ev.ID] = domain.OutboxPending
			d := domain.Delivery{EndpointID: "we_default", Attempts: 1, Scheduled: 1, LastAttemptAt: ev.CreatedAt, LastResponseStatus: 204}
			switch {
			case i%7 == 3:
				d.Status, d.LastResponseStatus = domain.OutboxFailed, 500
			case i%4 != 1:
				d.Status = domain.OutboxDelivered
			default:
				continue // left pending
			}
			if err := record(t, s, ev.Key(), d, domain.OutboxRecord{}); err != nil {
				t.Fatal(err)
			}
			status[ev.ID] = d.Status
		}
		other := outbox.Must(outbox.WebhookTest, "p2", map[string]string{"userId": "u"}, base.Add(time.Hour))
		if err := s.PutOutboxEvent(ctx, other, domain.Budget{}); err != nil {
			t.Fatal(err)
		}
		for _, q := range []domain.OutboxQuery{{Limit: 7}, {Limit: 100}, {Limit: 1, Status: domain.OutboxFailed}, {Limit: 6, Status: domain.OutboxPending},
			{Limit: 9, Status: domain.OutboxDelivered}, {Limit: 8, Type: outbox.KYCStatusChanged},
			{Limit: 4, Type: outbox.UserCreated, Status: domain.OutboxFailed}, {Limit: 5, Type: outbox.WebhookTest, Status: domain.OutboxPending}} {
			var want []string
			for i := len(evs) - 1; i >= 0; i-- {
				if (q.Type == "" || evs[i].Type == q.Type) && (q.Status == "" || status[evs[i].ID] == q.Status) {
					want = append(want, evs[i].ID)
				}
			}
			var got []string
			var added []domain.OutboxEvent
			for pages := 0; ; pages++ {
				page, err := s.ListOutboxEvents(ctx, "p1", q)
				if err != nil || len(page.Events) > q.Limit || pages > 200 {
					t.Fatalf("%+v, page %d: %d events, %v", q, pages, len(page.Events), err)
				}
				for _, e := range page.Events {
					if e.Status != status[e.Event.ID] || e.Event.PartnerID != "p1" || e.Event.Payload != nil {
						t.Fatalf("%+v: listed %+v (status %s)", q, e, status[e.Event.ID])
					}
					got = append(got, e.Event.ID)
				}
				if page.Next == nil {
					break
				}
				q.After = page.Next
				// A newer event between two pages is not in the next ones.
				if pages == 0 {
					typ := q.Type
					if typ == "" {
						typ = outbox.WebhookTest
					}
					newer := outbox.Must(typ, "p1", map[string]string{"userId": "u"}, base.Add(time.Hour+time.Duration(len(evs))*time.Millisecond))
					if err := s.PutOutboxEvent(ctx, newer, domain.Budget{}); err != nil {
						t.Fatal(err)
					}
					added = append(added, newer)
				}
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("%+v: listed %d events, want %d newest first:\n got %v\nwant %v", q, len(got), len(want), got, want)
			}
			for _, ev := range added {
				evs = append(evs, ev)
				status[ev.ID] = domain.OutboxPending
			}
		}
	})

	t.Run("a budget counts across calls, per partner, name and window, and a spent one writes nothing", func(t *testing.T) {
		s := newStore(t)
		window := base.Truncate(time.Hour)
		b := domain.Budget{PartnerID: "p1", Name: "webhook-test", Window: window, Until: window.Add(time.Hour), Limit: 3}
		put := func(b domain.Budget, i int) (domain.OutboxEvent, error) {
			ev := outbox.Must(outbox.WebhookTest, b.PartnerID, map[string]string{"message": "budget"}, base.Add(time.Duration(i)*time.Millisecond))
			return ev, s.PutOutboxEvent(ctx, ev, b)
		}
		for i := range 3 {
			if _, err := put(b, i); err != nil {
				t.Fatalf("event %d of 3: %v", i+1, err)
			}
		}
		ev, err := put(b, 3)
		if !errors.Is(err, domain.ErrLimited) {
			t.Fatalf("the 4th of 3: %v", err)
		}
		if _, err := s.OutboxStatus(ctx, ev.Key()); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("a refused event was written: %v", err)
		}
		other := b
		other.PartnerID = "p2"
		next := b
		next.Window, next.Until = b.Until, b.Until.Add(time.Hour)
		kind := b
		kind.Name = "webhook-redelivery"
		for name, b := range map[string]domain.Budget{"another partner": other, "the next window": next, "another kind": kind} {
			if _, err := put(b, 10); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		ev = outbox.Must(outbox.WebhookTest, "p1", map[string]string{"message": "uncounted"}, base.Add(time.Second))
		if err := s.PutOutboxEvent(ctx, ev, domain.Budget{}); err != nil {
			t.Fatalf("uncounted: %v", err)
		}
	})

	t.Run("a redelivery is marked once while queued, counted, and unmarked when made or cancelled", func(t *testing.T) {
		s := newStore(t)
		evs := write(t, s, "p1", 2, base)
		window := base.Truncate(time.Hour)
		b := domain.Budget{PartnerID: "p1", Name: "webhook-redelivery", Window: window, Until: window.Add(time.Hour), Limit: 2}
		at := base.Add(time.Minute)
		k := evs[0].Key()
		if err := s.QueueRedelivery(ctx, k, at, at.Add(-15*time.Minute), b); err != nil {
			t.Fatal(err)
		}
		// Again while queued: coalesced, not counted.
		for i := range 3 {
			later := at.Add(time.Duration(i+1) * time.Second)
			if err := s.QueueRedelivery(ctx, k, later, later.Add(-15*time.Minute), b); !errors.Is(err, domain.E(domain.Conflict, domain.ReasonRedeliveryQueued)) {
				t.Fatalf("again while queued: %v", err)
			}
		}
		// Made: the mark goes; queued again, counted (the second of 2).
		if err := record(t, s, k, domain.Delivery{EndpointID: "we_default", Status: domain.OutboxDelivered, Attempts: 1, LastAttemptAt: at.Add(time.Minute)},
			domain.OutboxRecord{RedeliveryMade: true}); err != nil {
			t.Fatal(err)
		}
		at2 := at.Add(2 * time.Minute)
		if err := s.QueueRedelivery(ctx, k, at2, at2.Add(-15*time.Minute), b); err != nil {
			t.Fatalf("after it was made: %v", err)
		}
		// The budget is spent: another event's redelivery is refused, unmarked.
		k2 := evs[1].Key()
		if err := s.QueueRedelivery(ctx, k2, at2, at2.Add(-15*time.Minute), b); !errors.Is(err, domain.ErrLimited) {
			t.Fatalf("past the budget: %v", err)
		}
		// Cancelled (its message not queued): unmarked, and the unit back.
		if err := s.CancelRedelivery(ctx, k, at2, b); err != nil {
			t.Fatal(err)
		}
		if err := s.QueueRedelivery(ctx, k2, at2, at2.Add(-15*time.Minute), b); err != nil {
			t.Fatalf("after a cancel gave a unit back: %v", err)
		}
		// A mark older than since lapses (its message was lost).
		b.Limit = 10
		at3 := at2.Add(20 * time.Minute)
		if err := s.QueueRedelivery(ctx, k2, at3, at3.Add(-15*time.Minute), b); err != nil {
			t.Fatalf("after the mark lapsed: %v", err)
		}
		if err := s.QueueRedelivery(ctx, domain.EventKey{ID: "evt_missing"}, at3, at3, b); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("no such event: %v", err)
		}
	})
}
