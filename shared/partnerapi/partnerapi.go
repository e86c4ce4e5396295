// Package partnerapi holds the handlers of the Partner v2 surface
// (/api/partner/v2, seeds 001 and 003) and its API key middleware.
package partnerapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/partner-identity/api/shared/apierr"
	"github.com/partner-identity/api/shared/dialects"
	"github.com/partner-identity/api/shared/httpx"
	"github.com/partner-identity/api/shared/kyc"
	"github.com/partner-identity/api/shared/partners"
	"github.com/partner-identity/api/shared/servicekeys"
	"github.com/partner-identity/api/shared/store"
	"github.com/partner-identity/api/shared/tokens"
	"github.com/partner-identity/api/shared/users"
)

// HeaderAPIKey carries the partner's API key.
const HeaderAPIKey = "partner-api-key"

// HeaderReplayed marks a replayed create.
const HeaderReplayed = "Idempotent-Replayed"

// Dialect is this surface's error and success format.
var Dialect dialects.PartnerV2

// API is the Partner v2 surface.
type API struct {
	Registry func(context.Context) (*partners.Registry, error)
	Users    *users.Service
	KYC      *kyc.Service
	// Keys are the service keys (token signing); TokenTTL is a user token's
	// lifetime (tokens.DefaultTTL when 0).
	Keys     func(context.Context) (*servicekeys.Keys, error)
	TokenTTL time.Duration
}

type partnerHandler func(w http.ResponseWriter, r *http.Request, p *partners.Partner)

// authenticated checks the partner-api-key header and the partner's flow
// for op before calling next: 401 with the seed's three messages, 403
// INVALID_PARTNER_FLOW. Presence and format are checked before the registry
// is read, so a malformed key costs no secret fetch.
func (a *API) authenticated(op partners.Operation, next partnerHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(HeaderAPIKey)
		if err := partners.CheckKey(key); err != nil {
			Dialect.WriteError(w, r, keyError(err))
			return
		}
		reg, err := a.Registry(r.Context())
		if err != nil {
			httpx.SetCause(r, err)
			Dialect.WriteError(w, r, apierr.Internal(apierr.MsgInternal))
			return
		}
		p, err := reg.Authenticate(key)
		if err != nil {
			Dialect.WriteError(w, r, keyError(err))
			return
		}
		httpx.SetPartner(r, p.ID)
		if !p.MayCall(op) {
			Dialect.WriteError(w, r, apierr.InvalidPartnerFlow())
			return
		}
		next(w, r, p)
	})
}

func keyError(err error) *apierr.Error {
	switch {
	case errors.Is(err, partners.ErrKeyMissing):
		return apierr.Unauthorized(apierr.MsgAPIKeyMissing)
	case errors.Is(err, partners.ErrKeyFormat):
		return apierr.Unauthorized(apierr.MsgAPIKeyFormat)
	default:
		return apierr.Unauthorized(apierr.MsgAPIKeyInvalid)
	}
}

// CreateUser is POST /api/partner/v2/users.
func (a *API) CreateUser() http.Handler {
	return a.authenticated(partners.OpCreateUser, func(w http.ResponseWriter, r *http.Request, p *partners.Partner) {
		in, ok := decode(w, r, users.ParseCreate)
		if !ok {
			return
		}
		res, err := a.Users.Create(r.Context(), p.ID, in)
		switch {
		case errors.Is(err, users.ErrConflict):
			Dialect.WriteError(w, r, apierr.ExternalUserIDConflict())
		case err != nil:
			httpx.SetCause(r, err)
			Dialect.WriteError(w, r, apierr.Internal(apierr.MsgUserCreationFailed))
		case res.Replayed:
			w.Header().Set(HeaderReplayed, "true")
			Dialect.WriteOK(w, http.StatusOK, res.Data)
		default:
			Dialect.WriteOK(w, http.StatusCreated, res.Data)
		}
	})
}

// GetUser is GET /api/partner/v2/users/{userId}.
func (a *API) GetUser() http.Handler {
	return a.authenticated(partners.OpReadUser, func(w http.ResponseWriter, r *http.Request, p *partners.Partner) {
		id, ok := userIDParam(w, r)
		if !ok {
			return
		}
		u, err := a.Users.Get(r.Context(), p.ID, id)
		a.writeUser(w, r, u, err)
	})
}

// FindUser is GET /api/partner/v2/users?externalUserId=...
func (a *API) FindUser() http.Handler {
	return a.authenticated(partners.OpReadUser, func(w http.ResponseWriter, r *http.Request, p *partners.Partner) {
		q := r.URL.Query()
		for k := range q {
			if k != "externalUserId" {
				Dialect.WriteError(w, r, apierr.InvalidInput(apierr.Detail{Field: k, Issue: "is not a known query parameter"}))
				return
			}
		}
		vals := q["externalUserId"]
		if len(vals) != 1 {
			issue := "is required"
			if len(vals) > 1 {
				issue = "must be given once"
			}
			Dialect.WriteError(w, r, apierr.InvalidInput(apierr.Detail{Field: "externalUserId", Issue: issue}))
			return
		}
		if d := users.CheckExternalUserID(vals[0]); d != nil {
			Dialect.WriteError(w, r, apierr.InvalidInput(*d))
			return
		}
		u, err := a.Users.FindByExternalID(r.Context(), p.ID, vals[0])
		a.writeUser(w, r, u, err)
	})
}

func (a *API) writeUser(w http.ResponseWriter, r *http.Request, u store.User, err error) {
	switch {
	case err == nil:
		Dialect.WriteOK(w, http.StatusOK, users.ViewOf(u, a.Users.Now()))
	case errors.Is(err, store.ErrNotFound):
		Dialect.WriteError(w, r, apierr.UserNotFound())
	case errors.Is(err, users.ErrNotOwned):
		Dialect.WriteError(w, r, apierr.Unauthorized(apierr.MsgUserNotOfPartner))
	default:
		httpx.SetCause(r, err)
		Dialect.WriteError(w, r, apierr.Internal(apierr.MsgInternal))
	}
}

// CreateVerificationLink is POST /api/partner/v2/users/{userId}/kyc/verification-link.
func (a *API) CreateVerificationLink() http.Handler {
	return a.authenticated(partners.OpOpenKYCSession, func(w http.ResponseWriter, r *http.Request, p *partners.Partner) {
		in, ok := decode(w, r, kyc.ParseLink)
		if !ok {
			return
		}
		id, ok := userIDParam(w, r)
		if !ok {
			return
		}
		link, err := a.KYC.Open(r.Context(), p, id, in)
		switch {
		case err == nil:
			Dialect.WriteOK(w, http.StatusCreated, link)
		case errors.Is(err, kyc.ErrTemplateNotConfigured):
			Dialect.WriteError(w, r, apierr.KYCTemplateNotConfigured(in.Country))
		case errors.Is(err, kyc.ErrUserNotFound):
			Dialect.WriteError(w, r, apierr.UserNotFound())
		case errors.Is(err, kyc.ErrNotOwned):
			Dialect.WriteError(w, r, apierr.Unauthorized(apierr.MsgUserNotOfPartner))
		case errors.Is(err, kyc.ErrWrongUserType):
			Dialect.WriteError(w, r, apierr.InvalidVerificationType())
		default:
			httpx.SetCause(r, err)
			Dialect.WriteError(w, r, apierr.Internal(apierr.MsgVerificationLinkFailed))
		}
	})
}

// UserToken is the answer of CreateUserToken.
type UserToken struct {
	Token     string `json:"token"`
	TokenType string `json:"tokenType"`
	ExpiresAt string `json:"expiresAt"`
}

// CreateUserToken is POST /api/partner/v2/users/{userId}/token: a user
// token for the partner's widget, for one of the partner's own users.
func (a *API) CreateUserToken() http.Handler {
	return a.authenticated(partners.OpMintUserToken, func(w http.ResponseWriter, r *http.Request, p *partners.Partner) {
		id, ok := userIDParam(w, r)
		if !ok {
			return
		}
		u, err := a.Users.Get(r.Context(), p.ID, id)
		if err != nil {
			a.writeUser(w, r, u, err)
			return
		}
		keys, err := a.Keys(r.Context())
		if err != nil {
			httpx.SetCause(r, err)
			Dialect.WriteError(w, r, apierr.Internal(apierr.MsgUserTokenFailed))
			return
		}
		t, err := tokens.Mint(keys, u.ID, p.ID, a.Users.Now(), a.TokenTTL)
		if err != nil {
			httpx.SetCause(r, err)
			Dialect.WriteError(w, r, apierr.Internal(apierr.MsgUserTokenFailed))
			return
		}
		Dialect.WriteOK(w, http.StatusCreated, UserToken{Token: t.Token, TokenType: "Bearer", ExpiresAt: t.ExpiresAt.Format(time.RFC3339)})
	})
}

// decode reads a strict JSON body and applies parse, answering 400
// INVALID_USER_INPUT_ERROR (one detail per bad field) when either fails.
func decode[T any](w http.ResponseWriter, r *http.Request, parse func(map[string]json.RawMessage) (T, []apierr.Detail)) (T, bool) {
	obj, bad := httpx.ReadObject(r)
	if bad != nil {
		Dialect.WriteError(w, r, apierr.InvalidInput(*bad))
		var zero T
		return zero, false
	}
	in, details := parse(obj)
	if len(details) > 0 {
		Dialect.WriteError(w, r, apierr.InvalidInput(details...))
		return in, false
	}
	return in, true
}

// userIDParam is the {userId} path value; one that cannot be a user id is
// 404 without a lookup.
func userIDParam(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("userId")
	if !users.ValidUserID(id) {
		Dialect.WriteError(w, r, apierr.UserNotFound())
		return "", false
	}
	return id, true
}
