// Package federation is the federated identities domain (seed 002): a
// user's identity with an identity provider (a partner's identityProvider
// slug), whose subject is the hashed identifier the user linked from that
// partner, set, deleted and listed, each change with its outbox event.
package federation

import (
	"context"
	"errors"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/outbox"
	"github.com/partner-identity/api/shared/domain/partners"
)

// errMissingLink: the user holds no linked identifier from the provider's
// partner (or its link changed meanwhile).
func errMissingLink() error { return domain.E(domain.Conflict, domain.ReasonMissingLink) }

// Service sets, deletes and lists federated identities.
type Service struct {
	store domain.FederatedIdentities
	now   func() time.Time
}

// New is the service over s, with now as its clock.
func New(s domain.FederatedIdentities, now func() time.Time) *Service {
	return &Service{store: s, now: now}
}

// Set sets u's identity with provider prov: its subject is the identifier u
// linked from prov's partner (a user holds the link of its own partner
// only): Conflict (ReasonMissingLink) without one, Gone when the user is
// no more. Setting it again changes nothing and writes no event.
func (s *Service) Set(ctx context.Context, u domain.User, prov *partners.Partner) error {
	if prov.ID != u.PartnerID || u.LinkedIdentifierHash == "" {
		return errMissingLink()
	}
	now := s.now().UTC()
	_, err := s.store.PutFederatedIdentity(ctx, domain.FederatedIdentity{
		UserID: u.ID, Provider: prov.IdentityProvider, PartnerID: prov.ID,
		Subject: u.LinkedIdentifierHash, CreatedAt: now,
	}, event(outbox.FederatedIdentitySet, u.ID, prov, now))
	switch {
	case errors.Is(err, domain.ErrStale):
		return errMissingLink() // the link changed meanwhile
	case errors.Is(err, domain.ErrNotFound):
		return domain.ErrGone
	}
	return err
}

// Delete removes the user's identity with prov: NotFound (ReasonNotSet)
// when there is none.
func (s *Service) Delete(ctx context.Context, userID string, prov *partners.Partner) error {
	deleted, err := s.store.DeleteFederatedIdentity(ctx, userID, prov.IdentityProvider,
		event(outbox.FederatedIdentityDelete, userID, prov, s.now()))
	switch {
	case err != nil:
		return err
	case !deleted:
		return domain.E(domain.NotFound, domain.ReasonNotSet)
	}
	return nil
}

// List is the user's identities.
func (s *Service) List(ctx context.Context, userID string) ([]domain.FederatedIdentity, error) {
	return s.store.ListFederatedIdentities(ctx, userID)
}

func event(typ, userID string, prov *partners.Partner, now time.Time) domain.OutboxEvent {
	return outbox.Must(typ, prov.ID, map[string]string{"userId": userID, "identityProvider": prov.IdentityProvider}, now)
}
