// Package userv2 holds the User v2 surface (/api/v2/user, seed 000): its
// one authentication middleware and its handlers.
package userv2

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/identifiers"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/domain/servicekeys"
	"github.com/partner-identity/api/shared/domain/tokenauth"
	"github.com/partner-identity/api/shared/http/apierr"
	"github.com/partner-identity/api/shared/http/httpx"
)

// Headers of the surface.
const (
	headerUserAuthorization = "User-Authorization"
	headerUserIdentifier    = "User-Identifier"
	headerAPIKey            = "partner-api-key"
	// headerAuthorization carries a partner access token (Bearer), in
	// place of partner-api-key.
	headerAuthorization = "Authorization"
)

// authenticator authenticates User v2 requests.
type authenticator struct {
	tokens       *tokenauth.Authenticator
	partners     partners.Lookup
	accessTokens *partners.AccessTokens
	keys         func(context.Context) (*servicekeys.Keys, error)
	links        domain.Links
	users        domain.Users
}

// principal is the authenticated user, with its partner.
type principal struct {
	User    domain.User
	Partner *partners.Partner
	// ViaToken tells a user token from a partner key with User-Identifier.
	ViaToken bool
}

// authenticate authenticates a request, one way or the other:
//
//   - User-Authorization: Bearer <user token>: a missing token is ER700, an
//     expired one ER701, any other fault (signature, algorithm, key id,
//     issuer, audience, not yet valid, an unknown or suspended partner)
//     ER702; a user that no longer exists is ER709. A User-Identifier sent
//     with the token must be the identifier that user linked (ER707
//     malformed, ER703 another).
//   - partner-api-key with User-Identifier (the checkout flow): a malformed
//     or unknown key, or a suspended partner's, is ER805, no
//     User-Identifier ER704, a malformed one ER707, one not linked for that
//     partner ER705.
//   - Authorization: Bearer <partner access token> with User-Identifier,
//     as the key: no token after Bearer is ER802, an expired token ER801,
//     any other fault (signature, audience, a user token, another scheme,
//     a revoked key, a removed or suspended partner) ER800; then as the
//     key.
//   - two of these at once is ER803; a User-Identifier with none is ER806.
//
// Any dependency failure is returned as it is (ER999).
func (a *authenticator) authenticate(r *http.Request) (*principal, error) {
	authz, hasAuthz := header(r, headerUserAuthorization)
	key, hasKey := header(r, headerAPIKey)
	bearer, hasBearer := header(r, headerAuthorization)
	ident, hasIdent := header(r, headerUserIdentifier)
	switch n := count(hasAuthz, hasKey, hasBearer); {
	case n > 1:
		return nil, apierr.ER803()
	case n == 0 && hasIdent:
		return nil, apierr.ER806()
	case n == 0:
		return nil, apierr.ER700()
	}
	// A partner key (or access token) is read while the pepper comes: a
	// cold container's first request waits for both at once.
	var checked chan keyChecked
	switch {
	case hasKey:
		checked = make(chan keyChecked, 1)
		go func() {
			p, err := a.partners.Authenticate(r.Context(), key)
			checked <- keyChecked{p: p, err: err}
		}()
	case hasBearer:
		token, err := accessToken(bearer)
		if err != nil {
			return nil, err
		}
		checked = make(chan keyChecked, 1)
		go func() {
			p, _, err := a.accessTokens.Authenticate(r.Context(), token)
			checked <- keyChecked{p: p, err: err, viaToken: true}
		}()
	}
	p, err := a.principal(r.Context(), authz, key, ident, hasAuthz, hasIdent, checked)
	if err != nil {
		return nil, err
	}
	if err := httpx.Admit(r, p.Partner.ID, p.Partner.Limits); err != nil {
		return nil, err
	}
	return p, nil
}

// keyChecked is a partner key's lookup, or a partner access token's
// (viaToken).
type keyChecked struct {
	p        *partners.Partner
	err      error
	viaToken bool
}

// count is how many of the credentials were sent.
func count(sent ...bool) int {
	n := 0
	for _, s := range sent {
		if s {
			n++
		}
	}
	return n
}

// accessToken is the partner access token of an Authorization header:
// ER802 when there is none after Bearer, ER800 for another scheme.
func accessToken(header string) (string, error) {
	token, err := tokenauth.Bearer(header)
	if e, ok := domain.As(err); ok {
		if e.Reason == domain.ReasonTokenMissing {
			return "", apierr.ER802()
		}
		return "", apierr.ER800()
	}
	return token, nil
}

// principal is the request's principal, by token or by partner key (its
// lookup under way on checked, which principal waits for whatever it
// answers).
func (a *authenticator) principal(ctx context.Context, authz, key, ident string, hasAuthz, hasIdent bool, checked chan keyChecked) (*principal, error) {
	keys, err := a.keys(ctx)
	var pepper []byte
	if err == nil {
		pepper, err = keys.IdentifierPepper()
	}
	switch {
	case err != nil && checked != nil:
		<-checked
		return nil, err
	case err != nil:
		return nil, err
	case hasAuthz:
		return a.byToken(ctx, pepper, authz, ident, hasIdent)
	}
	return a.byPartnerKey(ctx, pepper, key, ident, hasIdent, checked)
}

// header returns a header's value and whether it was given: an empty
// header counts as not sent.
func header(r *http.Request, name string) (string, bool) {
	v := strings.TrimSpace(r.Header.Get(name))
	return v, v != ""
}

func (a *authenticator) byToken(ctx context.Context, pepper []byte, authz, ident string, hasIdent bool) (*principal, error) {
	up, err := a.tokens.Header(ctx, authz)
	if err != nil {
		return nil, answer(err)
	}
	if hasIdent {
		if identifiers.Check(ident) != nil {
			return nil, apierr.ER707()
		}
		if up.User.LinkedIdentifierHash != identifiers.Hash(pepper, up.Partner.ID, ident) {
			return nil, apierr.ER703()
		}
	}
	return &principal{User: up.User, Partner: up.Partner, ViaToken: true}, nil
}

func (a *authenticator) byPartnerKey(ctx context.Context, pepper []byte, key, ident string, hasIdent bool, checked chan keyChecked) (*principal, error) {
	// A key the container does not hold yet that names its partner: the
	// identifier's link and its user are read for that partner while the
	// key is (reads only, dropped unless the key proves to be that
	// partner's).
	type read struct {
		u   domain.User
		err error
	}
	var ahead *read
	if claim := partners.ColdClaim(a.partners, key); claim != "" && hasIdent && identifiers.Check(ident) == nil {
		ahead = &read{}
		ahead.u, ahead.err = a.linkedUser(ctx, claim, pepper, ident)
	}
	c := <-checked
	partner, err := c.p, c.err
	e, refused := domain.As(err)
	if err != nil && !refused {
		return nil, err // the store's fault: ER999
	}
	switch {
	case c.viaToken && err != nil && e.Reason == domain.ReasonTokenExpired:
		return nil, apierr.ER801()
	case c.viaToken && (err != nil || !partner.MayCall(partners.OpUserSession)): // invalid, or a suspended partner's
		return nil, apierr.ER800()
	case err != nil, !partner.MayCall(partners.OpUserSession): // unknown, or a suspended partner's
		return nil, apierr.ER805()
	case !hasIdent:
		return nil, apierr.ER704()
	case identifiers.Check(ident) != nil:
		return nil, apierr.ER707()
	}
	var u domain.User
	if ahead != nil && partners.KeyClaim(key) == partner.ID {
		u, err = ahead.u, ahead.err
	} else {
		u, err = a.linkedUser(ctx, partner.ID, pepper, ident)
	}
	if err != nil {
		return nil, err
	}
	return &principal{User: u, Partner: partner}, nil
}

// linkedUser is the user partnerID's identifier ident is linked to:
// ER705 when none, ER709 when that user is gone.
func (a *authenticator) linkedUser(ctx context.Context, partnerID string, pepper []byte, ident string) (domain.User, error) {
	link, err := a.links.GetLink(ctx, partnerID, identifiers.Hash(pepper, partnerID, ident))
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return domain.User{}, apierr.ER705()
	case err != nil:
		return domain.User{}, err
	}
	u, err := a.users.GetUser(ctx, link.UserID)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return domain.User{}, apierr.ER709()
	case err != nil:
		return domain.User{}, err
	}
	return u, nil
}
