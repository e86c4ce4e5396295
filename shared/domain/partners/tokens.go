package partners

import (
	"context"
	"crypto/subtle"
	"errors"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/servicekeys"
	"github.com/partner-identity/api/shared/domain/tokens"
)

// AccessTokenTTL is a partner access token's lifetime (shorter when its
// key expires sooner).
const AccessTokenTTL = time.Hour

// The answers of the access tokens besides success and dependency faults.
var (
	// ErrClientInvalid: the client credentials grant's client_id and
	// client_secret are not a partner's id and one of its live keys.
	ErrClientInvalid = domain.E(domain.Unauthenticated, domain.ReasonKeyInvalid)
	errTokenInvalid  = domain.E(domain.Unauthenticated, domain.ReasonTokenInvalid)
	errTokenExpired  = domain.E(domain.Unauthenticated, domain.ReasonTokenExpired)
	errUserToken     = domain.E(domain.Unauthenticated, domain.ReasonUserCredential)
	errFlow          = domain.E(domain.Forbidden, "")
)

// AccessTokens are partner access tokens: issued for one of a partner's
// live keys (Issue), accepted wherever the key is (Authenticate) while the
// key is live and the partner may call; a revoked key or a suspension
// ends its tokens within the partners' cache (CacheTTL).
type AccessTokens struct {
	partners Lookup
	// verifying are the verification keys (the service keys secret);
	// signing the signing keys (only the token function reads them).
	verifying, signing func(context.Context) (*servicekeys.Keys, error)
	now                func() time.Time

	// A partner calls with one token many times in its hour: its
	// signature is checked once per container (tokens.Memory); the key's
	// and the partner's standing on every request.
	memory tokens.Memory[tokens.PartnerClaims]
	verify func(*servicekeys.Keys, string, time.Time) (*tokens.PartnerClaims, error)
}

// NewAccessTokens is the access tokens of the partners of l, signed with
// signing's key and verified with verifying's.
func NewAccessTokens(l Lookup, verifying, signing func(context.Context) (*servicekeys.Keys, error), now func() time.Time) *AccessTokens {
	if now == nil {
		now = time.Now
	}
	return &AccessTokens{partners: l, verifying: verifying, signing: signing, now: now, verify: tokens.VerifyPartner}
}

// Issue is the client credentials grant: clientID is a partner's id (the
// live one's, in either mode) and secret one of its unexpired keys (a test
// key: a test-mode token) (ErrClientInvalid otherwise, in the same
// answer whichever is wrong); a suspended partner is Forbidden. The token
// is valid for AccessTokenTTL, never past its key's expiry.
func (t *AccessTokens) Issue(ctx context.Context, clientID, secret string) (tokens.Minted, error) {
	return t.IssueAdmitted(ctx, clientID, secret, nil)
}

// IssueAdmitted is Issue that asks admit (when not nil) about the
// authenticated partner before it mints: admit's error is returned as it
// is, and nothing is minted.
func (t *AccessTokens) IssueAdmitted(ctx context.Context, clientID, secret string, admit func(*Partner) error) (tokens.Minted, error) {
	p, err := t.partners.Authenticate(ctx, secret) // a malformed key is refused before any read
	if _, refused := domain.As(err); err != nil {
		if refused {
			return tokens.Minted{}, ErrClientInvalid
		}
		return tokens.Minted{}, err
	}
	key, listed := p.KeyByDigest(KeyDigest(secret))
	// The client id is the partner's id in both modes: the secret, a live
	// or a test key, tells the mode.
	if subtle.ConstantTimeCompare([]byte(domain.LivePartnerOf(p.ID)), []byte(clientID)) != 1 || !listed {
		return tokens.Minted{}, ErrClientInvalid
	}
	if !p.MayCall(OpAccessToken) {
		return tokens.Minted{}, errFlow
	}
	if admit != nil {
		if err := admit(p); err != nil {
			return tokens.Minted{}, err
		}
	}
	keys, err := t.signing(ctx)
	if err != nil {
		return tokens.Minted{}, err
	}
	return tokens.MintPartner(keys, p.ID, key.ID, t.now(), AccessTokenTTL, key.ExpiresAt)
}

// Authenticate is the partner of a partner access token and the digest of
// the key it was issued for: Unauthenticated with ReasonTokenExpired,
// ReasonUserCredential (a valid user token: a user's credential, not a
// partner's) or ReasonTokenInvalid (a bad signature, key id, audience,
// issuer; a partner removed; its key revoked or expired). The caller
// checks the partner's flow, as for a key.
func (t *AccessTokens) Authenticate(ctx context.Context, token string) (*Partner, string, error) {
	keys, err := t.verifying(ctx)
	if err != nil {
		return nil, "", err
	}
	now := t.now()
	claims, err := t.memory.Verify(keys, token, now, t.verify)
	switch {
	case errors.Is(err, tokens.ErrExpired):
		return nil, "", errTokenExpired
	case errors.Is(err, tokens.ErrUserToken):
		return nil, "", errUserToken
	case err != nil:
		return nil, "", errTokenInvalid
	}
	p, err := t.partners.Partner(ctx, claims.PartnerID)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return nil, "", errTokenInvalid
	case err != nil:
		return nil, "", err
	}
	key, live := p.LiveKey(claims.KeyID, now)
	if s, ok := t.partners.(sinceReader); !live && ok {
		// A key newer than what the container holds of its partner: the
		// partner as read after the token was issued (a second's margin:
		// iat is in whole seconds).
		if p, err = s.PartnerSince(ctx, claims.PartnerID, claims.IssuedAt.Add(time.Second)); err != nil {
			if errors.Is(err, domain.ErrNotFound) {
				return nil, "", errTokenInvalid
			}
			return nil, "", err
		}
		key, live = p.LiveKey(claims.KeyID, now)
	}
	if !live {
		return nil, "", errTokenInvalid
	}
	return p, key.Digest, nil
}

// sinceReader reads a partner as of a time (Directory.PartnerSince).
type sinceReader interface {
	PartnerSince(ctx context.Context, id string, since time.Time) (*Partner, error)
}
