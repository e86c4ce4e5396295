package users

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/partner-identity/api/shared/metrics"
	"github.com/partner-identity/api/shared/outbox"
	"github.com/partner-identity/api/shared/servicekeys"
	"github.com/partner-identity/api/shared/store"
	"github.com/partner-identity/api/shared/tokens"
	"github.com/partner-identity/api/shared/wire"
)

// View is a user as the Partner v2 surface shows it.
type View struct {
	UserID         string  `json:"userId"`
	ExternalUserID string  `json:"externalUserId"`
	Type           string  `json:"type"`
	Method         string  `json:"method"`
	Identifier     *string `json:"identifier"`
	Alias          *string `json:"alias"`
	KYCStatus      string  `json:"kycStatus"`
	CreatedAt      string  `json:"createdAt"`
	UpdatedAt      string  `json:"updatedAt"`
}

// viewAt renders a stored user as of now (a pending KYC whose session has
// expired reads EXPIRED).
func viewAt(u store.User, now time.Time) View {
	v := View{
		UserID: u.ID, ExternalUserID: u.ExternalUserID, Type: u.Type, Method: u.Method,
		KYCStatus: u.EffectiveKYCStatus(now),
		CreatedAt: wire.Time(u.CreatedAt),
		UpdatedAt: wire.Time(u.UpdatedAt),
	}
	if u.Identifier != "" {
		id := u.Identifier
		v.Identifier = &id
	}
	if u.HasAlias {
		a := u.Alias
		v.Alias = &a
	}
	return v
}

// Outcomes of Create.
var (
	// ErrConflict: the externalUserId was registered with another request.
	ErrConflict = errors.New("users: externalUserId registered with a different request")
	// ErrNotOwned: the user belongs to another partner.
	ErrNotOwned = errors.New("users: user belongs to another partner")
)

// Store is what the service needs of the store.
type Store interface {
	store.Users
	store.Erasure
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

// Created is the result of a create: the response data (the user's view as
// JSON, byte for byte the same on every replay) and whether it is a replay.
type Created struct {
	Data     json.RawMessage
	Replayed bool
}

// Create registers a user once per (partner, externalUserId): the first call
// writes the user with its guard; the same request again returns the first
// response; another request under the same externalUserId is ErrConflict.
func (s *Service) Create(ctx context.Context, partnerID string, in CreateInput) (Created, error) {
	now := s.now().UTC()
	u := store.User{
		ID: NewUserID(), PartnerID: partnerID, ExternalUserID: in.ExternalUserID,
		Type: in.Type, Method: in.Method, Identifier: in.Identifier,
		Alias: in.Alias, HasAlias: in.HasAlias, KYCStatus: store.KYCNotStarted,
		CreatedAt: now, UpdatedAt: now,
	}
	data, err := wire.Marshal(viewAt(u, now))
	if err != nil {
		return Created{}, err
	}
	hash := in.Hash()
	ev := outbox.MustPersonal(outbox.UserCreated, partnerID, u.ID, map[string]string{
		"userId": u.ID, "externalUserId": u.ExternalUserID, "type": u.Type, "kycStatus": u.KYCStatus,
	}, now)
	existing, err := s.store.CreateUser(ctx, u, store.Guard{
		PartnerID: partnerID, ExternalUserID: in.ExternalUserID, UserID: u.ID,
		RequestHash: hash, Response: data, CreatedAt: now,
	}, ev)
	if err != nil {
		return Created{}, err
	}
	if existing == nil {
		metrics.Count(ctx, metrics.UsersCreated, 1)
		return Created{Data: data}, nil
	}
	if existing.RequestHash != hash {
		metrics.Count(ctx, metrics.UserConflicts, 1)
		return Created{}, ErrConflict
	}
	metrics.Count(ctx, metrics.UserReplays, 1)
	return Created{Data: existing.Response, Replayed: true}, nil
}

// ViewOf is u as the API shows it, as of now.
func (s *Service) ViewOf(u store.User) View { return viewAt(u, s.now()) }

// Get is the partner's user id: store.ErrNotFound, or ErrNotOwned when the
// user belongs to another partner.
func (s *Service) Get(ctx context.Context, partnerID, id string) (View, error) {
	u, err := s.owned(ctx, partnerID, id)
	if err != nil {
		return View{}, err
	}
	return s.ViewOf(u), nil
}

// FindByExternalID is the partner's user registered under externalUserID.
func (s *Service) FindByExternalID(ctx context.Context, partnerID, externalUserID string) (View, error) {
	g, err := s.store.GetGuard(ctx, partnerID, externalUserID)
	if err != nil {
		return View{}, err
	}
	return s.Get(ctx, partnerID, g.UserID)
}

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

func (s *Service) owned(ctx context.Context, partnerID, id string) (store.User, error) {
	u, err := s.store.GetUser(ctx, id)
	if err != nil {
		return store.User{}, err
	}
	if u.PartnerID != partnerID {
		return store.User{}, ErrNotOwned
	}
	return u, nil
}

// Delete erases the partner's user id (store.Erasure) and reports it with a
// user.deleted event of ids only: store.ErrNotFound, or ErrNotOwned when
// the user belongs to another partner. An erased user is not found by any
// other call; erasing it again finishes what a stopped erasure left and
// otherwise changes nothing.
func (s *Service) Delete(ctx context.Context, partnerID, id string) error {
	now := s.now().UTC()
	ev := outbox.Must(outbox.UserDeleted, partnerID, map[string]string{"userId": id}, now)
	err := s.store.EraseUser(ctx, partnerID, id, ev, now)
	switch {
	case errors.Is(err, store.ErrNotOwned):
		return ErrNotOwned
	case err != nil:
		return err
	}
	metrics.Count(ctx, metrics.UsersErased, 1)
	return nil
}

// NewUserID is a random (version 4) UUID.
func NewUserID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
