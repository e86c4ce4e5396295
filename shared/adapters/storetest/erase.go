package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/domain"
)

// eraseMarkers are the personal values of the erased user in runErasure:
// none may be stored anywhere after its erasure.
var eraseMarkers = []string{"erase-ext-marker", "erase-mail-marker@example.com", "Erase Alias Marker", "erase-hash-marker", "erase-raw-identifier-marker", "ZZ-erase-country"}

// runErasure runs the erasure part of the suite. contents is everything s
// stores, as text (a scan of the table, a dump of the maps).
func runErasure(t *testing.T, newStore func(t *testing.T) domain.Store, contents func(t *testing.T, s domain.Store) string) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	personal := func(id, user, data string) domain.OutboxEvent {
		return domain.OutboxEvent{ID: id, Type: "user.identifier_linked", PartnerID: "p1", UserID: user,
			Payload: []byte(`{"identifier":"` + data + `"}`), CreatedAt: now, RetainUntil: now.Add(time.Hour)}
	}
	idsOnly := func(id, user string) domain.OutboxEvent {
		return domain.OutboxEvent{ID: id, Type: "federated_identity.set", PartnerID: "p1",
			Payload: []byte(`{"userId":"` + user + `"}`), CreatedAt: now, RetainUntil: now.Add(time.Hour)}
	}
	// seed writes a user of p1 with every kind of item: its guard, a link,
	// a federated identity, sessions (one pending and sessions more),
	// events kept with it and one of ids only.
	seed := func(t *testing.T, s domain.Store, id string, sessions int) {
		t.Helper()
		u, g := fixture(id, "p1", "erase-ext-marker", now)
		u.Identifier, u.Alias = "erase-mail-marker@example.com", "Erase Alias Marker"
		created := personal("created-"+id, id, "erase-ext-marker")
		if _, err := s.CreateUser(ctx, u, g, created); err != nil {
			t.Fatal(err)
		}
		if err := s.LinkIdentifier(ctx, id, "p1", "erase-hash-marker", "", "", personal("linked-"+id, id, "erase-raw-identifier-marker"), now); err != nil {
			t.Fatal(err)
		}
		fi := domain.FederatedIdentity{UserID: id, Provider: "acme", PartnerID: "p1", Subject: "erase-hash-marker", CreatedAt: now}
		if _, err := s.PutFederatedIdentity(ctx, fi, idsOnly("fedid-"+id, id)); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < sessions; i++ {
			sess := domain.KYCSession{ID: fmt.Sprintf("%s-s%03d", id, i), UserID: id, PartnerID: "p1", Country: "ZZ-erase-country",
				TemplateID: "t", Status: domain.KYCPending, CreatedAt: now, ExpiresAt: now.Add(time.Hour), RetainUntil: now.Add(48 * time.Hour)}
			ev := personal(fmt.Sprintf("opened-%s-%d", id, i), id, "ZZ-erase-country")
			if rej, err := s.OpenKYCSession(ctx, sess, now, ev); rej != nil || err != nil {
				t.Fatalf("open %d: %v %v", i, rej, err)
			}
			closeOpen(t, s, id, sess.ID) // more sessions than a user holds open at once
		}
	}
	deleted := func(id string) domain.OutboxEvent {
		return domain.OutboxEvent{ID: "deleted-" + id, Type: "user.deleted", PartnerID: "p1",
			Payload: []byte(`{"userId":"` + id + `"}`), CreatedAt: now, RetainUntil: now.Add(time.Hour)}
	}
	noMarkers := func(t *testing.T, s domain.Store) {
		t.Helper()
		all := contents(t, s)
		for _, m := range eraseMarkers {
			if strings.Contains(all, m) {
				t.Errorf("%q is still stored after the erasure", m)
			}
		}
	}
	erasedReads := func(t *testing.T, s domain.Store, id string, sessions int) {
		t.Helper()
		if _, err := s.GetUser(ctx, id); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("GetUser: %v, want ErrNotFound", err)
		}
		if _, err := s.GetGuard(ctx, "p1", "erase-ext-marker"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("GetGuard: %v", err)
		}
		if _, err := s.GetLink(ctx, "p1", "erase-hash-marker"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("GetLink: %v", err)
		}
		if l, err := s.ListFederatedIdentities(ctx, id); len(l) != 0 || err != nil {
			t.Errorf("federated identities: %v %v", l, err)
		}
		for i := 0; i < sessions; i++ {
			if _, err := s.GetKYCSession(ctx, fmt.Sprintf("%s-s%03d", id, i)); !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("session %d: %v", i, err)
			}
		}
		for _, k := range []domain.EventKey{{UserID: id, ID: "created-" + id}, {UserID: id, ID: "linked-" + id}, {UserID: id, ID: "opened-" + id + "-0"}} {
			if _, err := s.OutboxStatus(ctx, k); !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("event %s kept with the user: %v, want erased", k.ID, err)
			}
		}
		if _, err := s.OutboxStatus(ctx, domain.EventKey{ID: "fedid-" + id}); err != nil {
			t.Errorf("an event of ids only: %v, want kept", err)
		}
		if _, err := s.OutboxStatus(ctx, domain.EventKey{ID: "deleted-" + id}); err != nil {
			t.Errorf("the user.deleted event: %v", err)
		}
	}

	t.Run("erase leaves a tombstone and nothing personal", func(t *testing.T) {
		s := newStore(t)
		seed(t, s, "e1", 2)
		if err := s.EraseUser(ctx, "p1", "e1", deleted("e1"), now); err != nil {
			t.Fatal(err)
		}
		erasedReads(t, s, "e1", 2)
		noMarkers(t, s)
	})

	t.Run("a user of more items than a transaction takes", func(t *testing.T) {
		s := newStore(t)
		const sessions = 40 // 40 sessions, 40 references, 40 events: 120 items and more
		seed(t, s, "e2", sessions)
		if err := s.EraseUser(ctx, "p1", "e2", deleted("e2"), now); err != nil {
			t.Fatal(err)
		}
		erasedReads(t, s, "e2", sessions)
		noMarkers(t, s)
	})

	t.Run("the erased user takes no write, its keys are free", func(t *testing.T) {
		s := newStore(t)
		seed(t, s, "e3", 1)
		if err := s.EraseUser(ctx, "p1", "e3", deleted("e3"), now); err != nil {
			t.Fatal(err)
		}
		sess := domain.KYCSession{ID: "late", UserID: "e3", PartnerID: "p1", Country: "MX", TemplateID: "t",
			Status: domain.KYCPending, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if rej, err := s.OpenKYCSession(ctx, sess, now, anEvent()); rej != nil || !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("open a session: %v %v, want ErrNotFound", rej, err)
		}
		if err := s.LinkIdentifier(ctx, "e3", "p1", "other-hash", "", "", anEvent(), now); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("link: %v, want ErrNotFound", err)
		}
		fi := domain.FederatedIdentity{UserID: "e3", Provider: "acme", PartnerID: "p1", Subject: "erase-hash-marker", CreatedAt: now}
		if _, err := s.PutFederatedIdentity(ctx, fi, anEvent()); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("federated identity: %v, want ErrNotFound", err)
		}
		// Its identifier and its externalUserId go to new users.
		u, g := fixture("e3-new", "p1", "erase-ext-marker", now)
		if existing, err := s.CreateUser(ctx, u, g, anEvent()); existing != nil || err != nil {
			t.Fatalf("the externalUserId again: %v %v", existing, err)
		}
		if err := s.LinkIdentifier(ctx, "e3-new", "p1", "erase-hash-marker", "", "", anEvent(), now); err != nil {
			t.Fatalf("the identifier to another user: %v", err)
		}
		if l, err := s.GetLink(ctx, "p1", "erase-hash-marker"); err != nil || l.UserID != "e3-new" {
			t.Fatalf("link %+v %v", l, err)
		}
		// Erasing e3 again leaves the new user's guard and link alone.
		before := contents(t, s)
		if err := s.EraseUser(ctx, "p1", "e3", deleted("e3-again"), now); err != nil {
			t.Fatalf("erase again: %v", err)
		}
		if after := contents(t, s); after != before {
			t.Fatalf("erasing an erased user changed the store")
		}
		if _, err := s.GetUser(ctx, "e3-new"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("another partner's user and no user", func(t *testing.T) {
		s := newStore(t)
		seed(t, s, "e4", 1)
		before := contents(t, s)
		if err := s.EraseUser(ctx, "p2", "e4", deleted("e4-p2"), now); !errors.Is(err, domain.ErrNotOwned) {
			t.Fatalf("another partner's: %v, want ErrNotOwned", err)
		}
		if err := s.EraseUser(ctx, "p1", "nobody", deleted("nobody"), now); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("nobody: %v, want ErrNotFound", err)
		}
		if contents(t, s) != before {
			t.Fatal("a refused erasure changed the store")
		}
		if err := s.EraseUser(ctx, "p1", "e4", deleted("e4"), now); err != nil {
			t.Fatal(err)
		}
		// Another partner's tombstone is not found, as its user was not.
		if err := s.EraseUser(ctx, "p2", "e4", deleted("e4-p2b"), now); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("another partner's tombstone: %v, want ErrNotFound", err)
		}
	})
}
