// Package storetest is the conformance suite every domain.Store
// implementation passes: memstore in memory, dynamostore on moto_server.
// Run is its one entry point.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/domain"
)

// Harness is what the suite needs of an implementation.
type Harness struct {
	// New returns an empty store; each subtest gets its own.
	New func(t *testing.T) domain.Store
	// Complete marks a session APPROVED behind the store's back while it
	// stays in the pending index, as a provider's completion racing the
	// cleanup would look.
	Complete func(t *testing.T, s domain.Store, id string)
	// LinkEvents counts the user.identifier_linked events s has written.
	LinkEvents func(t *testing.T, s domain.Store) int
	// Contents is everything s stores, as text, for a search of personal
	// values: every key and value, payloads as their bytes.
	Contents func(t *testing.T, s domain.Store) string
}

// Run runs the whole suite against h.
func Run(t *testing.T, h Harness) {
	t.Run("users", func(t *testing.T) { runUsers(t, h.New) })
	t.Run("kyc", func(t *testing.T) { runKYC(t, h.New, h.Complete) })
	t.Run("kyc status", func(t *testing.T) { runKYCStatus(t, h.New, h.Contents) })
	t.Run("links", func(t *testing.T) {
		runLinks(t, func(t *testing.T) (domain.Store, func() int) {
			s := h.New(t)
			return s, func() int { return h.LinkEvents(t, s) }
		})
	})
	t.Run("federated identities", func(t *testing.T) { runFederatedIdentities(t, h.New) })
	t.Run("erasure", func(t *testing.T) { runErasure(t, h.New, h.Contents) })
	t.Run("outbox", func(t *testing.T) { runOutbox(t, h.New) })
	t.Run("partners", func(t *testing.T) { runPartners(t, h.New) })
	t.Run("rates", func(t *testing.T) { runRates(t, h.New) })
}

// runUsers runs the users part: create, replay, guards.
func runUsers(t *testing.T, newStore func(t *testing.T) domain.Store) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

	t.Run("create writes user and guard", func(t *testing.T) {
		s := newStore(t)
		u, g := fixture("u1", "p1", "ext-1", now)
		existing, err := s.CreateUser(ctx, u, g, anEvent())
		if err != nil || existing != nil {
			t.Fatalf("create: existing=%v err=%v", existing, err)
		}
		got, err := s.GetUser(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, u) {
			t.Fatalf("user round trip:\n got %+v\nwant %+v", got, u)
		}
		gg, err := s.GetGuard(ctx, "p1", "ext-1")
		if err != nil {
			t.Fatal(err)
		}
		if gg.UserID != u.ID || gg.RequestHash != g.RequestHash || string(gg.Response) != string(g.Response) || !gg.CreatedAt.Equal(now) {
			t.Fatalf("guard round trip: %+v", gg)
		}
	})

	t.Run("optional fields absent stay absent", func(t *testing.T) {
		s := newStore(t)
		u, g := fixture("u2", "p1", "ext-2", now)
		u.Identifier, u.Alias, u.HasAlias, u.Method = "", "", false, "NONE"
		if _, err := s.CreateUser(ctx, u, g, anEvent()); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetUser(ctx, u.ID)
		if err != nil || !reflect.DeepEqual(got, u) {
			t.Fatalf("got %+v, %v", got, err)
		}
	})

	t.Run("second create returns the first guard and writes nothing", func(t *testing.T) {
		s := newStore(t)
		u1, g1 := fixture("u3", "p1", "ext-3", now)
		if _, err := s.CreateUser(ctx, u1, g1, anEvent()); err != nil {
			t.Fatal(err)
		}
		u2, g2 := fixture("u4", "p1", "ext-3", now.Add(time.Second))
		g2.RequestHash = "other"
		existing, err := s.CreateUser(ctx, u2, g2, anEvent())
		if err != nil {
			t.Fatal(err)
		}
		if existing == nil || existing.UserID != "u3" || existing.RequestHash != g1.RequestHash || string(existing.Response) != string(g1.Response) {
			t.Fatalf("existing guard: %+v", existing)
		}
		if _, err := s.GetUser(ctx, "u4"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("second user must not be written, got %v", err)
		}
	})

	t.Run("guards are per partner", func(t *testing.T) {
		s := newStore(t)
		u1, g1 := fixture("u5", "p1", "same", now)
		u2, g2 := fixture("u6", "p2", "same", now)
		if e, err := s.CreateUser(ctx, u1, g1, anEvent()); err != nil || e != nil {
			t.Fatal(e, err)
		}
		if e, err := s.CreateUser(ctx, u2, g2, anEvent()); err != nil || e != nil {
			t.Fatalf("another partner's externalUserId must not collide: %v %v", e, err)
		}
	})

	t.Run("missing records are ErrNotFound", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.GetUser(ctx, "nobody"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("GetUser: %v", err)
		}
		if _, err := s.GetGuard(ctx, "p1", "nobody"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("GetGuard: %v", err)
		}
	})

	t.Run("50 concurrent creates of one externalUserId write one user", func(t *testing.T) {
		s := newStore(t)
		const n = 50
		var wg sync.WaitGroup
		created := make([]bool, n)
		winners := make([]string, n)
		errs := make([]error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				u, g := fixture(fmt.Sprintf("race-%d", i), "p1", "raced", now)
				existing, err := s.CreateUser(ctx, u, g, anEvent())
				errs[i] = err
				if existing == nil {
					created[i], winners[i] = true, u.ID
				} else {
					winners[i] = existing.UserID
				}
			}(i)
		}
		wg.Wait()
		nCreated := 0
		for i := 0; i < n; i++ {
			if errs[i] != nil {
				t.Fatalf("create %d: %v", i, errs[i])
			}
			if created[i] {
				nCreated++
			}
			if winners[i] != winners[0] {
				t.Fatalf("creates disagree on the user: %s vs %s", winners[i], winners[0])
			}
		}
		if nCreated != 1 {
			t.Fatalf("%d creates wrote, want exactly 1", nCreated)
		}
		for i := 0; i < n; i++ {
			id := fmt.Sprintf("race-%d", i)
			_, err := s.GetUser(ctx, id)
			if (id == winners[0]) != (err == nil) {
				t.Fatalf("user %s: %v (winner %s)", id, err, winners[0])
			}
		}
	})
}

func fixture(id, partner, ext string, now time.Time) (domain.User, domain.Guard) {
	u := domain.User{
		ID: id, PartnerID: partner, ExternalUserID: ext, Type: "INDIVIDUAL", Method: "EMAIL",
		Identifier: "someone@example.com", Alias: "Someone", HasAlias: true,
		KYCStatus: domain.KYCNotStarted, CreatedAt: now, UpdatedAt: now,
	}
	g := domain.Guard{PartnerID: partner, ExternalUserID: ext, UserID: id, RequestHash: "hash-" + ext,
		Response: []byte(`{"userId":"` + id + `"}`), CreatedAt: now}
	return u, g
}

var eventSeq atomic.Int64

// anEvent is a fresh outbox event for a write under test.
func anEvent() domain.OutboxEvent {
	n := eventSeq.Add(1)
	return domain.OutboxEvent{ID: fmt.Sprintf("evt-%d-%d", time.Now().UnixNano(), n), Type: "test.event", PartnerID: "p1",
		Payload: []byte(`{}`), CreatedAt: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
}
