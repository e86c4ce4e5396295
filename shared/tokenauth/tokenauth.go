// Package tokenauth authenticates a user token for the surfaces a signed-in
// user calls (User v2, federated identities); each surface maps its
// outcomes to its own error codes.
package tokenauth

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/partner-identity/api/shared/partners"
	"github.com/partner-identity/api/shared/servicekeys"
	"github.com/partner-identity/api/shared/store"
	"github.com/partner-identity/api/shared/tokens"
)

// Outcomes of bearer and Token besides success and dependency faults.
var (
	ErrMissing  = errors.New("tokenauth: no token")
	ErrExpired  = errors.New("tokenauth: token expired")
	ErrInvalid  = errors.New("tokenauth: token invalid")
	ErrUserGone = errors.New("tokenauth: the token's user does not exist")
)

// bearer takes the token out of an authorization header value
// ("bearer <token>"): ErrMissing when there is none, ErrInvalid for another
// scheme.
func bearer(header string) (string, error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return "", ErrMissing
	}
	scheme, token, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "bearer") {
		return "", ErrInvalid
	}
	if token = strings.TrimSpace(token); token == "" {
		return "", ErrMissing
	}
	return token, nil
}

// Authenticator checks tokens against the service keys, the partner
// registry and the store.
type Authenticator struct {
	registry func(context.Context) (*partners.Registry, error)
	keys     func(context.Context) (*servicekeys.Keys, error)
	users    store.Users
	now      func() time.Time
	// verified remembers verified tokens.
	verified *tokens.Verifier
}

// New is the authenticator of tokens signed with keys, for the partners of
// registry and the users of s, with now as its clock; a token whose lifetime
// exceeds tokenTTL (the lifetime create-user-token gives, an hour when 0)
// is invalid. It computes Ed25519's verification tables in a goroutine
// (tokens.WarmVerify), beside the rest of the function's start and the
// runtime's first event fetch, rather than in the first request; on one CPU
// it is the same work done earlier.
func New(registry func(context.Context) (*partners.Registry, error), keys func(context.Context) (*servicekeys.Keys, error),
	s store.Users, now func() time.Time, tokenTTL time.Duration) *Authenticator {
	go tokens.WarmVerify()
	return &Authenticator{registry: registry, keys: keys, users: s, now: now, verified: &tokens.Verifier{MaxLifetime: tokenTTL}}
}

// Principal is an authenticated user with its partner.
type Principal struct {
	User    store.User
	Partner *partners.Partner
	// Registry is the partner registry the token was checked against.
	Registry *partners.Registry
}

// Header authenticates the token of an authorization header value
// ("bearer <token>"): bearer's outcomes, then Token's.
func (a *Authenticator) Header(ctx context.Context, header string) (*Principal, error) {
	token, err := bearer(header)
	if err != nil {
		return nil, err
	}
	return a.Token(ctx, token)
}

// Token verifies token and loads its user: ErrExpired, ErrInvalid (bad
// signature, algorithm, key id, issuer, audience, not yet valid, a partner
// no longer registered or suspended, a user of another partner),
// ErrUserGone; any other error is a dependency fault.
func (a *Authenticator) Token(ctx context.Context, token string) (*Principal, error) {
	keys, err := a.keys(ctx)
	if err != nil {
		return nil, err
	}
	claims, err := a.verified.Verify(keys, token, a.now())
	switch {
	case errors.Is(err, tokens.ErrExpired):
		return nil, ErrExpired
	case err != nil:
		return nil, ErrInvalid
	}
	reg, err := a.registry(ctx)
	if err != nil {
		return nil, err
	}
	partner, ok := reg.Partner(claims.PartnerID)
	if !ok || !partner.MayCall(partners.OpUserSession) {
		return nil, ErrInvalid // a removed or suspended partner's tokens die with it
	}
	u, err := a.users.GetUser(ctx, claims.Subject)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, ErrUserGone
	case err != nil:
		return nil, err
	case u.PartnerID != partner.ID:
		return nil, ErrInvalid
	}
	return &Principal{User: u, Partner: partner, Registry: reg}, nil
}
