// Package userapi holds the User v2 surface (/api/v2/user, seed 000): its
// one authentication middleware and its handlers.
package userapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/partner-identity/api/shared/apierr"
	"github.com/partner-identity/api/shared/dialects"
	"github.com/partner-identity/api/shared/httpx"
	"github.com/partner-identity/api/shared/identifiers"
	"github.com/partner-identity/api/shared/partners"
	"github.com/partner-identity/api/shared/servicekeys"
	"github.com/partner-identity/api/shared/store"
	"github.com/partner-identity/api/shared/userauth"
)

// Headers of the surface.
const (
	HeaderUserAuthorization = "User-Authorization"
	HeaderUserIdentifier    = "User-Identifier"
	HeaderAPIKey            = "partner-api-key"
)

// Dialect is this surface's error and success format.
var Dialect dialects.UserV2

// Auth authenticates User v2 requests.
type Auth struct {
	userauth.Authenticator
}

// Principal is the authenticated user, with its partner.
type Principal struct {
	User    store.User
	Partner *partners.Partner
	// ViaToken tells a user token from a partner key with User-Identifier.
	ViaToken bool
}

type principalHandler func(w http.ResponseWriter, r *http.Request, p *Principal, keys *servicekeys.Keys)

// Wrap authenticates a request, one way or the other, before next:
//
//   - User-Authorization: Bearer <user token>: a missing token is ER700, an
//     expired one ER701, any other fault (signature, algorithm, key id,
//     issuer, audience, not yet valid, an unknown partner) ER702; a user that
//     no longer exists is ER709. A User-Identifier sent with the token must
//     be the identifier that user linked (ER707 malformed, ER703 another).
//   - partner-api-key with User-Identifier (the checkout flow): a malformed
//     or unknown key is ER805, no User-Identifier ER704, a malformed one
//     ER707, one not linked for that partner ER705.
//   - both at once is ER803; a User-Identifier with neither is ER806.
//
// Any dependency failure is ER999.
func (a *Auth) Wrap(next principalHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		authz, hasAuthz := header(r, HeaderUserAuthorization)
		key, hasKey := header(r, HeaderAPIKey)
		ident, hasIdent := header(r, HeaderUserIdentifier)
		fail := func(e *apierr.Error) { Dialect.WriteError(w, r, e) }
		switch {
		case hasAuthz && hasKey:
			fail(apierr.ER803)
			return
		case !hasAuthz && !hasKey:
			if hasIdent {
				fail(apierr.ER806)
			} else {
				fail(apierr.ER700)
			}
			return
		}
		keys, err := a.Keys(r.Context())
		if err != nil {
			a.fault(w, r, err)
			return
		}
		var p *Principal
		var e *apierr.Error
		if hasAuthz {
			p, e, err = a.byToken(r.Context(), keys, authz, ident, hasIdent)
		} else {
			p, e, err = a.byPartnerKey(r.Context(), keys, key, ident, hasIdent)
		}
		switch {
		case err != nil:
			a.fault(w, r, err)
			return
		case e != nil:
			fail(e)
			return
		}
		httpx.SetPartner(r, p.Partner.ID)
		next(w, r, p, keys)
	})
}

// header returns a header's value and whether it was given: an empty
// header counts as not sent.
func header(r *http.Request, name string) (string, bool) {
	v := strings.TrimSpace(r.Header.Get(name))
	return v, v != ""
}

func (a *Auth) byToken(ctx context.Context, keys *servicekeys.Keys, authz, ident string, hasIdent bool) (*Principal, *apierr.Error, error) {
	token, err := userauth.Bearer(authz)
	if err == nil {
		var up *userauth.Principal
		if up, err = a.Token(ctx, token); err == nil {
			p := &Principal{User: up.User, Partner: up.Partner, ViaToken: true}
			if hasIdent {
				if identifiers.Check(ident) != nil {
					return nil, apierr.ER707, nil
				}
				if p.User.LinkedIdentifierHash != identifiers.Hash(keys.Pepper, p.Partner.ID, ident) {
					return nil, apierr.ER703, nil
				}
			}
			return p, nil, nil
		}
	}
	switch {
	case errors.Is(err, userauth.ErrMissing):
		return nil, apierr.ER700, nil
	case errors.Is(err, userauth.ErrExpired):
		return nil, apierr.ER701, nil
	case errors.Is(err, userauth.ErrInvalid):
		return nil, apierr.ER702, nil
	case errors.Is(err, userauth.ErrUserGone):
		return nil, apierr.ER709, nil
	}
	return nil, nil, err
}

func (a *Auth) byPartnerKey(ctx context.Context, keys *servicekeys.Keys, key, ident string, hasIdent bool) (*Principal, *apierr.Error, error) {
	reg, err := a.Registry(ctx)
	if err != nil {
		return nil, nil, err
	}
	partner, err := reg.Authenticate(key)
	if err != nil {
		return nil, apierr.ER805, nil
	}
	if !hasIdent {
		return nil, apierr.ER704, nil
	}
	if identifiers.Check(ident) != nil {
		return nil, apierr.ER707, nil
	}
	link, err := a.Store.GetLink(ctx, partner.ID, identifiers.Hash(keys.Pepper, partner.ID, ident))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, apierr.ER705, nil
	case err != nil:
		return nil, nil, err
	}
	u, err := a.Store.GetUser(ctx, link.UserID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, apierr.ER709, nil
	case err != nil:
		return nil, nil, err
	}
	return &Principal{User: u, Partner: partner}, nil, nil
}

func (a *Auth) fault(w http.ResponseWriter, r *http.Request, err error) {
	httpx.SetCause(r, err)
	Dialect.WriteError(w, r, apierr.ER999)
}
