package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/domain"
)

// runFederatedIdentities runs the federated-identity part of the suite.
func runFederatedIdentities(t *testing.T, newStore func(t *testing.T) domain.Store) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	ev := func(id string) domain.OutboxEvent {
		return domain.OutboxEvent{ID: id, Type: "user.identifier_linked", PartnerID: "p1", Payload: []byte(`{}`), CreatedAt: now}
	}
	fi := func(subject string) domain.FederatedIdentity {
		return domain.FederatedIdentity{UserID: "a", Provider: "acme", PartnerID: "p1", Subject: subject, CreatedAt: now}
	}

	t.Run("set needs the link, is idempotent, and falls with the link", func(t *testing.T) {
		s := newStore(t)
		u, g := fixture("a", "p1", "ext-a", now)
		if _, err := s.CreateUser(ctx, u, g, anEvent()); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PutFederatedIdentity(ctx, fi("h1"), anEvent()); !errors.Is(err, domain.E(domain.Stale, domain.ReasonStaleUser)) {
			t.Fatalf("without a link: %v", err)
		}
		if _, err := s.PutFederatedIdentity(ctx, domain.FederatedIdentity{UserID: "nobody", Provider: "acme", PartnerID: "p1", Subject: "h1"}, anEvent()); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("missing user: %v", err)
		}
		if err := s.LinkIdentifier(ctx, "a", "p1", "h1", "", "acme", ev("e1"), now); err != nil {
			t.Fatal(err)
		}
		if changed, err := s.PutFederatedIdentity(ctx, fi("h1"), anEvent()); !changed || err != nil {
			t.Fatalf("first set: %v %v", changed, err)
		}
		if changed, err := s.PutFederatedIdentity(ctx, fi("h1"), anEvent()); changed || err != nil {
			t.Fatalf("second set: %v %v, want unchanged", changed, err)
		}
		list, err := s.ListFederatedIdentities(ctx, "a")
		if err != nil || len(list) != 1 || list[0] != fi("h1") {
			t.Fatalf("list %+v %v", list, err)
		}
		// Replacing the link removes the identity that rested on it.
		if err := s.LinkIdentifier(ctx, "a", "p1", "h2", "h1", "acme", ev("e2"), now); err != nil {
			t.Fatal(err)
		}
		if list, _ := s.ListFederatedIdentities(ctx, "a"); len(list) != 0 {
			t.Fatalf("identity on the replaced link survived: %+v", list)
		}
		if _, err := s.PutFederatedIdentity(ctx, fi("h1"), anEvent()); !errors.Is(err, domain.E(domain.Stale, domain.ReasonStaleUser)) {
			t.Fatalf("set on the old link: %v", err)
		}
		if changed, err := s.PutFederatedIdentity(ctx, fi("h2"), anEvent()); !changed || err != nil {
			t.Fatalf("set on the new link: %v %v", changed, err)
		}
	})

	t.Run("delete", func(t *testing.T) {
		s := newStore(t)
		u, g := fixture("a", "p1", "ext-a", now)
		if _, err := s.CreateUser(ctx, u, g, anEvent()); err != nil {
			t.Fatal(err)
		}
		if err := s.LinkIdentifier(ctx, "a", "p1", "h1", "", "acme", ev("e3"), now); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PutFederatedIdentity(ctx, fi("h1"), anEvent()); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.DeleteFederatedIdentity(ctx, "a", "acme", anEvent()); !ok || err != nil {
			t.Fatalf("delete: %v %v", ok, err)
		}
		if ok, err := s.DeleteFederatedIdentity(ctx, "a", "acme", anEvent()); ok || err != nil {
			t.Fatalf("second delete: %v %v", ok, err)
		}
		if list, err := s.ListFederatedIdentities(ctx, "a"); err != nil || len(list) != 0 {
			t.Fatalf("list after delete: %+v %v", list, err)
		}
	})
}
