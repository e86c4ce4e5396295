// Package fedapi holds the federated identities surface
// (/federated-identities, seed 002): JSON:API documents and errors,
// authenticated with Authorization: Bearer <user token>.
package fedapi

import (
	"errors"
	"net/http"
	"time"

	"github.com/partner-identity/api/shared/apierr"
	"github.com/partner-identity/api/shared/dialects"
	"github.com/partner-identity/api/shared/httpx"
	"github.com/partner-identity/api/shared/outbox"
	"github.com/partner-identity/api/shared/partners"
	"github.com/partner-identity/api/shared/store"
	"github.com/partner-identity/api/shared/userauth"
)

// Dialect is this surface's format.
var Dialect dialects.JSONAPI

// ResourceType is the JSON:API type of a federated identity.
const ResourceType = "federated-identities"

// API is the federated identities surface.
type API struct {
	Auth userauth.Authenticator
}

type handler func(w http.ResponseWriter, r *http.Request, p *userauth.Principal, reg *partners.Registry)

// authenticated verifies the user token of the Authorization header:
// 401 token-missing, token-expired, token-invalid or user-not-found.
func (a *API) authenticated(next handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, err := userauth.Bearer(r.Header.Get("Authorization"))
		var p *userauth.Principal
		if err == nil {
			p, err = a.Auth.Token(r.Context(), token)
		}
		switch {
		case err == nil:
			httpx.SetPartner(r, p.Partner.ID)
			next(w, r, p, p.Registry)
		case errors.Is(err, userauth.ErrMissing):
			Dialect.WriteError(w, r, apierr.TokenMissing)
		case errors.Is(err, userauth.ErrExpired):
			Dialect.WriteError(w, r, apierr.TokenExpired)
		case errors.Is(err, userauth.ErrInvalid):
			Dialect.WriteError(w, r, apierr.TokenInvalid)
		case errors.Is(err, userauth.ErrUserGone):
			Dialect.WriteError(w, r, apierr.TokenUserGone)
		default:
			a.fault(w, r, err)
		}
	})
}

func (a *API) fault(w http.ResponseWriter, r *http.Request, err error) {
	httpx.SetCause(r, err)
	Dialect.WriteError(w, r, apierr.JSONAPIInternal)
}

// provider resolves the {identityProvider} path parameter: 404 when no
// partner has that slug.
func provider(w http.ResponseWriter, r *http.Request, reg *partners.Registry) (*partners.Partner, bool) {
	p, ok := reg.ByIdentityProvider(r.PathValue("identityProvider"))
	if !ok {
		Dialect.WriteError(w, r, apierr.IdentityProviderNotFound)
	}
	return p, ok
}

// SetIdentity is PUT /federated-identities/{identityProvider}: the user's
// identity with the provider, whose subject is the (hashed) identifier the
// user linked from the provider's partner. 204, again 204 with no change;
// 401 missing-linked-identity without that link.
func (a *API) SetIdentity() http.Handler {
	return a.authenticated(func(w http.ResponseWriter, r *http.Request, p *userauth.Principal, reg *partners.Registry) {
		prov, ok := provider(w, r, reg)
		if !ok {
			return
		}
		// A user holds the link of its own partner only.
		if prov.ID != p.User.PartnerID || p.User.LinkedIdentifierHash == "" {
			Dialect.WriteError(w, r, apierr.MissingLinkedIdentity)
			return
		}
		now := a.Auth.Now().UTC()
		ev := outbox.Must(outbox.FederatedIdentitySet, prov.ID, map[string]string{
			"userId": p.User.ID, "identityProvider": prov.IdentityProvider,
		}, now)
		_, err := a.Auth.Store.PutFederatedIdentity(r.Context(), store.FederatedIdentity{
			UserID: p.User.ID, Provider: prov.IdentityProvider, PartnerID: prov.ID,
			Subject: p.User.LinkedIdentifierHash, CreatedAt: now,
		}, ev)
		switch {
		case err == nil:
			Dialect.WriteNoContent(w)
		case errors.Is(err, store.ErrStaleUser):
			Dialect.WriteError(w, r, apierr.MissingLinkedIdentity) // the link changed meanwhile
		case errors.Is(err, store.ErrNotFound):
			Dialect.WriteError(w, r, apierr.TokenUserGone)
		default:
			a.fault(w, r, err)
		}
	})
}

// DeleteIdentity is DELETE /federated-identities/{identityProvider}: 204, or
// 404 when none is set.
func (a *API) DeleteIdentity() http.Handler {
	return a.authenticated(func(w http.ResponseWriter, r *http.Request, p *userauth.Principal, reg *partners.Registry) {
		prov, ok := provider(w, r, reg)
		if !ok {
			return
		}
		ev := outbox.Must(outbox.FederatedIdentityDelete, prov.ID, map[string]string{
			"userId": p.User.ID, "identityProvider": prov.IdentityProvider,
		}, a.Auth.Now())
		deleted, err := a.Auth.Store.DeleteFederatedIdentity(r.Context(), p.User.ID, prov.IdentityProvider, ev)
		switch {
		case err != nil:
			a.fault(w, r, err)
		case !deleted:
			Dialect.WriteError(w, r, apierr.FederatedIdentityNotFound)
		default:
			Dialect.WriteNoContent(w)
		}
	})
}

// Resource is a federated identity as a JSON:API resource.
type Resource struct {
	Type       string     `json:"type"`
	ID         string     `json:"id"`
	Attributes Attributes `json:"attributes"`
}

// Attributes of a federated identity.
type Attributes struct {
	IdentityProvider string `json:"identityProvider"`
	Subject          string `json:"subject"`
	CreatedAt        string `json:"createdAt"`
}

// ListIdentities is GET /federated-identities: the user's identities as a
// JSON:API collection.
func (a *API) ListIdentities() http.Handler {
	return a.authenticated(func(w http.ResponseWriter, r *http.Request, p *userauth.Principal, _ *partners.Registry) {
		list, err := a.Auth.Store.ListFederatedIdentities(r.Context(), p.User.ID)
		if err != nil {
			a.fault(w, r, err)
			return
		}
		data := make([]Resource, 0, len(list))
		for _, fi := range list {
			data = append(data, Resource{Type: ResourceType, ID: fi.Provider, Attributes: Attributes{
				IdentityProvider: fi.Provider, Subject: fi.Subject, CreatedAt: fi.CreatedAt.UTC().Format(time.RFC3339Nano)}})
		}
		Dialect.WriteOK(w, http.StatusOK, map[string]any{"data": data})
	})
}
