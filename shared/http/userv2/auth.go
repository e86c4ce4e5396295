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
)

// authenticator authenticates User v2 requests.
type authenticator struct {
	tokens   *tokenauth.Authenticator
	partners partners.Lookup
	keys     func(context.Context) (*servicekeys.Keys, error)
	links    domain.Links
	users    domain.Users
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
//   - both at once is ER803; a User-Identifier with neither is ER806.
//
// Any dependency failure is returned as it is (ER999).
func (a *authenticator) authenticate(r *http.Request) (*principal, error) {
	authz, hasAuthz := header(r, headerUserAuthorization)
	key, hasKey := header(r, headerAPIKey)
	ident, hasIdent := header(r, headerUserIdentifier)
	switch {
	case hasAuthz && hasKey:
		return nil, apierr.ER803()
	case !hasAuthz && !hasKey && hasIdent:
		return nil, apierr.ER806()
	case !hasAuthz && !hasKey:
		return nil, apierr.ER700()
	}
	keys, err := a.keys(r.Context())
	if err != nil {
		return nil, err
	}
	pepper, err := keys.IdentifierPepper()
	if err != nil {
		return nil, err
	}
	var p *principal
	if hasAuthz {
		p, err = a.byToken(r.Context(), pepper, authz, ident, hasIdent)
	} else {
		p, err = a.byPartnerKey(r.Context(), pepper, key, ident, hasIdent)
	}
	if err != nil {
		return nil, err
	}
	httpx.SetPartner(r, p.Partner.ID)
	return p, nil
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

func (a *authenticator) byPartnerKey(ctx context.Context, pepper []byte, key, ident string, hasIdent bool) (*principal, error) {
	partner, err := a.partners.Authenticate(ctx, key)
	if _, refused := domain.As(err); err != nil && !refused {
		return nil, err // the store's fault: ER999
	}
	switch {
	case err != nil, !partner.MayCall(partners.OpUserSession): // unknown, or a suspended partner's
		return nil, apierr.ER805()
	case !hasIdent:
		return nil, apierr.ER704()
	case identifiers.Check(ident) != nil:
		return nil, apierr.ER707()
	}
	link, err := a.links.GetLink(ctx, partner.ID, identifiers.Hash(pepper, partner.ID, ident))
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return nil, apierr.ER705()
	case err != nil:
		return nil, err
	}
	u, err := a.users.GetUser(ctx, link.UserID)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return nil, apierr.ER709()
	case err != nil:
		return nil, err
	}
	return &principal{User: u, Partner: partner}, nil
}
