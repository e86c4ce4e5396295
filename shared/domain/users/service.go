package users

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/outbox"
	"github.com/partner-identity/api/shared/domain/servicekeys"
	"github.com/partner-identity/api/shared/domain/tokens"
	"github.com/partner-identity/api/shared/kit/metrics"
)

// Store is what the service needs of the store.
type Store interface {
	domain.Users
	domain.Erasure
}

// Service creates, reads, erases and mints tokens for the users of partners.
type Service struct {
	store    Store
	now      func() time.Time
	keys     func(context.Context) (*servicekeys.Keys, error)
	tokenTTL time.Duration
}

// New is the service over the users of s, with now as its clock, keys to
// sign user tokens and tokenTTL their lifetime (tokens.DefaultTTL when 0).
func New(s Store, now func() time.Time, keys func(context.Context) (*servicekeys.Keys, error), tokenTTL time.Duration) *Service {
	return &Service{store: s, now: now, keys: keys, tokenTTL: tokenTTL}
}

// Created is the result of a create: the response (the caller's rendering
// of the user it created, kept with the user's guard, so that every replay
// answers it byte for byte) and whether it is a replay.
type Created struct {
	Response []byte
	Replayed bool
}

// Render is how a caller answers a created user (the guard keeps the
// answer for the replays): the domain knows no wire format.
type Render func(u domain.User, now time.Time) ([]byte, error)

// Create registers a user once per (partner, externalUserId): the first call
// writes the user with its guard, which keeps render's answer; the same
// request again returns that answer; another request under the same
// externalUserId is a Conflict (ReasonExternalUserID).
func (s *Service) Create(ctx context.Context, partnerID string, in CreateInput, render Render) (Created, error) {
	now := s.now().UTC()
	u := domain.User{
		ID: NewUserID(domain.Livemode(partnerID)), PartnerID: partnerID, ExternalUserID: in.ExternalUserID,
		Type: in.Type, Method: in.Method, Identifier: in.Identifier,
		Alias: in.Alias, HasAlias: in.HasAlias, KYCStatus: domain.KYCNotStarted,
		CreatedAt: now, UpdatedAt: now,
	}
	data, err := render(u, now)
	if err != nil {
		return Created{}, err
	}
	hash := in.Hash()
	ev := outbox.MustPersonal(outbox.UserCreated, partnerID, u.ID, map[string]string{
		"userId": u.ID, "externalUserId": u.ExternalUserID, "type": u.Type, "kycStatus": u.KYCStatus,
	}, now)
	existing, err := s.store.CreateUser(ctx, u, domain.Guard{
		PartnerID: partnerID, ExternalUserID: in.ExternalUserID, UserID: u.ID,
		RequestHash: hash, Response: data, CreatedAt: now,
	}, ev)
	if err != nil {
		return Created{}, err
	}
	if existing == nil {
		metrics.Count(ctx, metrics.UsersCreated, 1)
		return Created{Response: data}, nil
	}
	if existing.RequestHash != hash {
		metrics.Count(ctx, metrics.UserConflicts, 1)
		return Created{}, domain.E(domain.Conflict, domain.ReasonExternalUserID)
	}
	metrics.Count(ctx, metrics.UserReplays, 1)
	return Created{Response: existing.Response, Replayed: true}, nil
}

// Get is the partner's user id: NotFound, or NotOwned when the user
// belongs to another partner.
func (s *Service) Get(ctx context.Context, partnerID, id string) (domain.User, error) {
	return s.owned(ctx, partnerID, id)
}

// FindByExternalID is the partner's user registered under externalUserID.
func (s *Service) FindByExternalID(ctx context.Context, partnerID, externalUserID string) (domain.User, error) {
	g, err := s.store.GetGuard(ctx, partnerID, externalUserID)
	if err != nil {
		return domain.User{}, err
	}
	return s.Get(ctx, partnerID, g.UserID)
}

// Now is the service's clock (a read renders the user as of it).
func (s *Service) Now() time.Time { return s.now() }

// SigningError is a failure to sign a user token: the service keys could
// not be read, or the signature failed.
type SigningError struct{ Err error }

func (e *SigningError) Error() string { return "users: user token: " + e.Err.Error() }
func (e *SigningError) Unwrap() error { return e.Err }

// MintToken is a user token for the partner's user id: Get's errors, or a
// *SigningError.
func (s *Service) MintToken(ctx context.Context, partnerID, id string) (tokens.Minted, error) {
	u, err := s.owned(ctx, partnerID, id)
	if err != nil {
		return tokens.Minted{}, err
	}
	keys, err := s.keys(ctx)
	if err != nil {
		return tokens.Minted{}, &SigningError{err}
	}
	t, err := tokens.Mint(keys, u.ID, partnerID, s.now(), s.tokenTTL)
	if err != nil {
		return tokens.Minted{}, &SigningError{err}
	}
	return t, nil
}

func (s *Service) owned(ctx context.Context, partnerID, id string) (domain.User, error) {
	u, err := s.store.GetUser(ctx, id)
	if err != nil {
		return domain.User{}, err
	}
	if u.PartnerID != partnerID {
		return domain.User{}, domain.ErrNotOwned
	}
	return u, nil
}

// Delete erases the partner's user id (domain.Erasure) and reports it with a
// user.deleted event of ids only: NotFound, or NotOwned when
// the user belongs to another partner. An erased user is not found by any
// other call; erasing it again finishes what a stopped erasure left and
// otherwise changes nothing.
func (s *Service) Delete(ctx context.Context, partnerID, id string) error {
	now := s.now().UTC()
	ev := outbox.Must(outbox.UserDeleted, partnerID, map[string]string{"userId": id}, now)
	if err := s.store.EraseUser(ctx, partnerID, id, ev, now); err != nil {
		return err
	}
	metrics.Count(ctx, metrics.UsersErased, 1)
	return nil
}

// NewUserID is a random (version 4) UUID, marked as a test-mode user's
// when live is false (domain.MarkRandom).
func NewUserID(live bool) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	domain.MarkRandom(b[:], live)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
