// Package tokenauth authenticates a user token for the surfaces a signed-in
// user calls (User v2, federated identities); each surface maps its
// outcomes to its own error codes.
package tokenauth

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/domain/servicekeys"
	"github.com/partner-identity/api/shared/domain/tokens"
)

// The outcomes of bearer and Token besides success and dependency faults:
// Unauthenticated (no token, an expired one, an invalid one) and Gone (the
// token's user is no more).
var (
	errMissing = domain.E(domain.Unauthenticated, domain.ReasonTokenMissing)
	errExpired = domain.E(domain.Unauthenticated, domain.ReasonTokenExpired)
	errInvalid = domain.E(domain.Unauthenticated, domain.ReasonTokenInvalid)
)

// Bearer takes the token out of an authorization header value
// ("bearer <token>", the scheme in any case): ReasonTokenMissing when
// there is none, ReasonTokenInvalid for another scheme. Every surface that
// reads a bearer token reads it with this.
func Bearer(header string) (string, error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return "", errMissing
	}
	scheme, token, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "bearer") {
		return "", errInvalid
	}
	if token = strings.TrimSpace(token); token == "" {
		return "", errMissing
	}
	return token, nil
}

// Authenticator checks tokens against the service keys, the partner
// registry and the store.
type Authenticator struct {
	partners partners.Lookup
	keys     func(context.Context) (*servicekeys.Keys, error)
	users    domain.Users
	now      func() time.Time
	// verified remembers verified tokens.
	verified *tokens.Verifier
	// keysHeld: the service keys were read once (from then on they are
	// cached, served stale when Secrets Manager fails).
	keysHeld atomic.Bool
}

// New is the authenticator of tokens signed with keys, for the partners of
// registry and the users of s, with now as its clock; a token whose lifetime
// exceeds tokenTTL (the lifetime create-user-token gives, an hour when 0)
// is invalid. It computes Ed25519's verification tables in a goroutine
// (tokens.WarmVerify), beside the rest of the function's start and the
// runtime's first event fetch, rather than in the first request; on one CPU
// it is the same work done earlier.
func New(ps partners.Lookup, keys func(context.Context) (*servicekeys.Keys, error),
	s domain.Users, now func() time.Time, tokenTTL time.Duration) *Authenticator {
	go tokens.WarmVerify()
	return &Authenticator{partners: ps, keys: keys, users: s, now: now, verified: &tokens.Verifier{MaxLifetime: tokenTTL}}
}

// Principal is an authenticated user with its partner.
type Principal struct {
	User    domain.User
	Partner *partners.Partner
}

// Header authenticates the token of an authorization header value
// ("bearer <token>"): Bearer's outcomes, then Token's.
func (a *Authenticator) Header(ctx context.Context, header string) (*Principal, error) {
	return a.HeaderBeside(ctx, header, nil)
}

// HeaderBeside is Header that runs beside at the same time as the reads
// of the token's partner and user, and returns when all are done: a
// route's own read that needs no principal (the federated identities'
// provider) costs no round trip of its own. Like those reads, beside runs
// only for a token that verifies, but in a container's first requests,
// while the keys are on their way (see token); its result is the caller's
// to drop when the token is refused.
func (a *Authenticator) HeaderBeside(ctx context.Context, header string, beside func(context.Context)) (*Principal, error) {
	token, err := Bearer(header)
	if err != nil {
		return nil, err
	}
	return a.token(ctx, token, beside)
}

// Token verifies token and loads its user: Unauthenticated
// (ReasonTokenExpired; ReasonTokenInvalid for a bad signature, algorithm,
// key id, issuer, audience, not yet valid, a partner no longer registered
// or suspended, a user of another partner), Gone; any other error is a
// dependency fault.
func (a *Authenticator) Token(ctx context.Context, token string) (*Principal, error) {
	return a.token(ctx, token, nil)
}

func (a *Authenticator) token(ctx context.Context, token string, beside func(context.Context)) (*Principal, error) {
	// Until the container holds the verification keys (its first
	// requests: the keys' fetch from Secrets Manager is under way), the
	// reads start on what the token says of itself, beside that fetch,
	// and are dropped when it does not verify (or says otherwise); once
	// the keys are held, nothing is read for a token that does not verify.
	var loaded func() (*Principal, error)
	if !a.keysHeld.Load() {
		if pid, sub, ok := tokens.Peek(token); ok {
			loaded = a.load(ctx, pid, sub, beside)
		}
	}
	claims, err := a.verify(ctx, token)
	switch {
	case err != nil && loaded != nil:
		_, _ = loaded() // dropped
		return nil, err
	case err != nil:
		return nil, err
	case loaded != nil:
		return loaded() // read for what the token says, which it has now proved
	}
	return a.load(ctx, claims.PartnerID, claims.Subject, beside)()
}

// verify is token's claims, verified with the service keys.
func (a *Authenticator) verify(ctx context.Context, token string) (*tokens.Claims, error) {
	keys, err := a.keys(ctx)
	if err != nil {
		return nil, err
	}
	a.keysHeld.Store(true)
	claims, err := a.verified.Verify(keys, token, a.now())
	switch {
	case errors.Is(err, tokens.ErrExpired):
		return nil, errExpired
	case err != nil:
		return nil, errInvalid
	}
	return claims, nil
}

// load starts reading partner partnerID and user userID at once (and
// beside), and returns the wait for them: the principal, or the token's
// answer (a removed or suspended partner, a user gone or another
// partner's).
func (a *Authenticator) load(ctx context.Context, partnerID, userID string, beside func(context.Context)) func() (*Principal, error) {
	type read struct {
		u   domain.User
		err error
	}
	user := make(chan read, 1)
	go func() {
		u, err := a.users.GetUser(ctx, userID)
		user <- read{u, err}
	}()
	type found struct {
		p   *partners.Partner
		err error
	}
	partner := make(chan found, 1)
	go func() {
		p, err := a.partners.Partner(ctx, partnerID)
		partner <- found{p, err}
	}()
	done := make(chan struct{})
	if beside != nil {
		go func() {
			defer close(done)
			beside(ctx)
		}()
	} else {
		close(done)
	}
	return func() (*Principal, error) {
		f, got := <-partner, <-user
		<-done
		switch {
		case errors.Is(f.err, domain.ErrNotFound), f.err == nil && !f.p.MayCall(partners.OpUserSession):
			return nil, errInvalid // a removed or suspended partner's tokens die with it
		case f.err != nil:
			return nil, f.err
		}
		switch {
		case errors.Is(got.err, domain.ErrNotFound):
			return nil, domain.ErrGone
		case got.err != nil:
			return nil, got.err
		case got.u.PartnerID != f.p.ID:
			return nil, errInvalid
		}
		return &Principal{User: got.u, Partner: f.p}, nil
	}
}
