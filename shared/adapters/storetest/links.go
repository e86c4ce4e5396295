package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/domain"
)

// CountLinkEvents counts the user.identifier_linked events among evs.
func CountLinkEvents(evs []domain.OutboxEvent) int {
	n := 0
	for _, ev := range evs {
		if ev.Type == "user.identifier_linked" {
			n++
		}
	}
	return n
}

// runLinks runs the identifier-link part of the suite; outbox counts the
// store's user.identifier_linked events.
func runLinks(t *testing.T, newStore func(t *testing.T) (domain.Store, func() int)) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	seed := func(t *testing.T, s domain.Store, ids ...string) {
		for _, id := range ids {
			u, g := fixture(id, "p1", "ext-"+id, now)
			if _, err := s.CreateUser(ctx, u, g, anEvent()); err != nil {
				t.Fatal(err)
			}
		}
	}
	n := 0
	ev := func() domain.OutboxEvent {
		n++
		return domain.OutboxEvent{ID: fmt.Sprintf("ev-%d-%d", time.Now().UnixNano(), n), Type: "user.identifier_linked",
			PartnerID: "p1", Payload: []byte(`{"identifier":"raw"}`), CreatedAt: now, RetainUntil: now.Add(time.Hour)}
	}

	t.Run("link, replace, and the old link is gone", func(t *testing.T) {
		s, outbox := newStore(t)
		seed(t, s, "a")
		if err := s.LinkIdentifier(ctx, "a", "p1", "h1", "", "", ev(), now); err != nil {
			t.Fatal(err)
		}
		if l, err := s.GetLink(ctx, "p1", "h1"); err != nil || l.UserID != "a" || !l.LinkedAt.Equal(now) {
			t.Fatalf("link h1: %+v %v", l, err)
		}
		if u, _ := s.GetUser(ctx, "a"); u.LinkedIdentifierHash != "h1" || !u.LinkedAt.Equal(now) {
			t.Fatalf("user after link: %+v", u)
		}
		later := now.Add(time.Minute)
		if err := s.LinkIdentifier(ctx, "a", "p1", "h2", "h1", "", ev(), later); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetLink(ctx, "p1", "h1"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("old link still there: %v", err)
		}
		if l, _ := s.GetLink(ctx, "p1", "h2"); l.UserID != "a" {
			t.Fatalf("new link %+v", l)
		}
		if u, _ := s.GetUser(ctx, "a"); u.LinkedIdentifierHash != "h2" || !u.UpdatedAt.Equal(later) {
			t.Fatalf("user after replace: %+v", u)
		}
		if got := outbox(); got != 2 {
			t.Fatalf("outbox events %d, want 2", got)
		}
	})

	t.Run("refusals write nothing", func(t *testing.T) {
		s, outbox := newStore(t)
		seed(t, s, "a", "b")
		if err := s.LinkIdentifier(ctx, "a", "p1", "h1", "", "", ev(), now); err != nil {
			t.Fatal(err)
		}
		for name, call := range map[string]func() error{
			"taken by another user": func() error { return s.LinkIdentifier(ctx, "b", "p1", "h1", "", "", ev(), now) },
			"stale old link":        func() error { return s.LinkIdentifier(ctx, "a", "p1", "h3", "not-mine", "", ev(), now) },
			"missing user":          func() error { return s.LinkIdentifier(ctx, "zz", "p1", "h4", "", "", ev(), now) },
			"another partner's user": func() error {
				return s.LinkIdentifier(ctx, "b", "p2", "h5", "", "", ev(), now)
			},
		} {
			err := call()
			want := map[string]error{"taken by another user": domain.E(domain.Conflict, domain.ReasonIdentifierTaken), "stale old link": domain.E(domain.Stale, domain.ReasonStaleUser),
				"missing user": domain.ErrNotFound, "another partner's user": domain.E(domain.Stale, domain.ReasonStaleUser)}[name]
			if !errors.Is(err, want) {
				t.Errorf("%s: %v, want %v", name, err, want)
			}
		}
		if u, _ := s.GetUser(ctx, "b"); u.LinkedIdentifierHash != "" {
			t.Fatalf("user b changed: %+v", u)
		}
		if u, _ := s.GetUser(ctx, "a"); u.LinkedIdentifierHash != "h1" {
			t.Fatalf("user a changed: %+v", u)
		}
		for _, h := range []string{"h3", "h4", "h5"} {
			if _, err := s.GetLink(ctx, "p1", h); !errors.Is(err, domain.ErrNotFound) {
				t.Fatalf("refused link %s written", h)
			}
		}
		if got := outbox(); got != 1 {
			t.Fatalf("outbox events %d, want 1 (refusals write none)", got)
		}
	})

	t.Run("two users racing for one identifier: one link", func(t *testing.T) {
		s, outbox := newStore(t)
		seed(t, s, "a", "b")
		var wg sync.WaitGroup
		errs := map[string]error{}
		var mu sync.Mutex
		events := map[string]domain.OutboxEvent{"a": ev(), "b": ev()}
		for _, id := range []string{"a", "b"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.LinkIdentifier(ctx, id, "p1", "shared", "", "", events[id], now)
				mu.Lock()
				errs[id] = err
				mu.Unlock()
			}()
		}
		wg.Wait()
		l, err := s.GetLink(ctx, "p1", "shared")
		if err != nil {
			t.Fatal(err)
		}
		loser := map[string]string{"a": "b", "b": "a"}[l.UserID]
		if errs[l.UserID] != nil || !errors.Is(errs[loser], domain.E(domain.Conflict, domain.ReasonIdentifierTaken)) {
			t.Fatalf("winner %s: %v; loser %s: %v", l.UserID, errs[l.UserID], loser, errs[loser])
		}
		if u, _ := s.GetUser(ctx, loser); u.LinkedIdentifierHash != "" {
			t.Fatalf("loser recorded the link: %+v", u)
		}
		if got := outbox(); got != 1 {
			t.Fatalf("outbox events %d, want 1", got)
		}
	})
}
