// Package userauth authenticates a user token for the surfaces a signed-in
// user calls (User v2, federated identities); each surface maps its
// outcomes to its own error codes.
package userauth

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/partners"
	"github.com/partner-identity/api/shared/servicekeys"
	"github.com/partner-identity/api/shared/store"
	"github.com/partner-identity/api/shared/tokens"
)

// Outcomes of Bearer and Token besides success and dependency faults.
var (
	ErrMissing  = errors.New("userauth: no token")
	ErrExpired  = errors.New("userauth: token expired")
	ErrInvalid  = errors.New("userauth: token invalid")
	ErrUserGone = errors.New("userauth: the token's user does not exist")
)

// Bearer takes the token out of an authorization header value
// ("Bearer <token>"): ErrMissing when there is none, ErrInvalid for another
// scheme.
func Bearer(header string) (string, error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return "", ErrMissing
	}
	scheme, token, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "Bearer") {
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
	Registry func(context.Context) (*partners.Registry, error)
	Keys     func(context.Context) (*servicekeys.Keys, error)
	Store    store.Store
	Now      func() time.Time
	// Tokens remembers verified tokens (nil: every token is verified).
	Tokens *tokens.Verifier
}

// New is the authenticator over a container's dependencies. It computes
// Ed25519's verification tables in a goroutine (tokens.WarmVerify), beside
// the rest of the function's start and the runtime's first event fetch,
// rather than in the first request; on one CPU it is the same work done
// earlier.
func New(d *app.Deps) Authenticator {
	go tokens.WarmVerify()
	return Authenticator{Registry: d.Registry, Keys: d.Keys, Store: d.Store, Now: d.Now, Tokens: &tokens.Verifier{}}
}

// Principal is an authenticated user with its partner.
type Principal struct {
	User    store.User
	Partner *partners.Partner
	// Registry is the partner registry the token was checked against.
	Registry *partners.Registry
}

// Token verifies token and loads its user: ErrExpired, ErrInvalid (bad
// signature, algorithm, key id, issuer, audience, not yet valid, a partner
// no longer registered, a user of another partner), ErrUserGone; any other
// error is a dependency fault.
func (a *Authenticator) Token(ctx context.Context, token string) (*Principal, error) {
	keys, err := a.Keys(ctx)
	if err != nil {
		return nil, err
	}
	verify := tokens.Verify
	if a.Tokens != nil {
		verify = a.Tokens.Verify
	}
	claims, err := verify(keys, token, a.Now())
	switch {
	case errors.Is(err, tokens.ErrExpired):
		return nil, ErrExpired
	case err != nil:
		return nil, ErrInvalid
	}
	reg, err := a.Registry(ctx)
	if err != nil {
		return nil, err
	}
	partner, ok := reg.Partner(claims.PartnerID)
	if !ok {
		return nil, ErrInvalid // a removed partner's tokens die with it
	}
	u, err := a.Store.GetUser(ctx, claims.Subject)
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
