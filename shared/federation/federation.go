// Package federation is the federated identities domain (seed 002): a
// user's identity with an identity provider (a partner's identityProvider
// slug), whose subject is the hashed identifier the user linked from that
// partner, set, deleted and listed, each change with its outbox event.
package federation

import (
	"context"
	"errors"
	"time"

	"github.com/partner-identity/api/shared/outbox"
	"github.com/partner-identity/api/shared/partners"
	"github.com/partner-identity/api/shared/store"
)

// Outcomes besides success and store faults.
var (
	// ErrMissingLink: the user holds no linked identifier from the
	// provider's partner (or its link changed meanwhile).
	ErrMissingLink = errors.New("federation: no linked identity from the provider's partner")
	// ErrUserGone: the user no longer exists.
	ErrUserGone = errors.New("federation: user not found")
	// ErrNotSet: the user has no identity with the provider.
	ErrNotSet = errors.New("federation: no identity with the provider")
)

// Service sets, deletes and lists federated identities.
type Service struct {
	store store.FederatedIdentities
	now   func() time.Time
}

// New is the service over s, with now as its clock.
func New(s store.FederatedIdentities, now func() time.Time) *Service {
	return &Service{store: s, now: now}
}

// Set sets u's identity with provider prov: its subject is the identifier u
// linked from prov's partner (a user holds the link of its own partner
// only). Setting it again changes nothing and writes no event.
func (s *Service) Set(ctx context.Context, u store.User, prov *partners.Partner) error {
	if prov.ID != u.PartnerID || u.LinkedIdentifierHash == "" {
		return ErrMissingLink
	}
	now := s.now().UTC()
	_, err := s.store.PutFederatedIdentity(ctx, store.FederatedIdentity{
		UserID: u.ID, Provider: prov.IdentityProvider, PartnerID: prov.ID,
		Subject: u.LinkedIdentifierHash, CreatedAt: now,
	}, event(outbox.FederatedIdentitySet, u.ID, prov, now))
	switch {
	case errors.Is(err, store.ErrStaleUser):
		return ErrMissingLink // the link changed meanwhile
	case errors.Is(err, store.ErrNotFound):
		return ErrUserGone
	}
	return err
}

// Delete removes the user's identity with prov: ErrNotSet when there is none.
func (s *Service) Delete(ctx context.Context, userID string, prov *partners.Partner) error {
	deleted, err := s.store.DeleteFederatedIdentity(ctx, userID, prov.IdentityProvider,
		event(outbox.FederatedIdentityDelete, userID, prov, s.now()))
	switch {
	case err != nil:
		return err
	case !deleted:
		return ErrNotSet
	}
	return nil
}

// List is the user's identities.
func (s *Service) List(ctx context.Context, userID string) ([]store.FederatedIdentity, error) {
	return s.store.ListFederatedIdentities(ctx, userID)
}

func event(typ, userID string, prov *partners.Partner, now time.Time) store.OutboxEvent {
	return outbox.Must(typ, prov.ID, map[string]string{"userId": userID, "identityProvider": prov.IdentityProvider}, now)
}
