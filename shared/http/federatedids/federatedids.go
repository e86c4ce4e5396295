// Package federatedids holds the federated identities surface
// (/federated-identities, seed 002): JSON:API documents and errors,
// authenticated with Authorization: Bearer <user token>.
package federatedids

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/domain/tokenauth"
	"github.com/partner-identity/api/shared/http/apierr"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/kit/wire"
)

// resourceType is the JSON:API type of a federated identity.
const resourceType = "federated-identities"

// API is the federated identities surface.
type API struct{ d Deps }

// New is the surface over d.
func New(d Deps) *API { return &API{d: d} }

// user checks JSON:API's content negotiation (negotiate), then
// authenticates the user token of the Authorization header: 401
// token-missing, token-expired, token-invalid or user-not-found.
func (a *API) user(r *http.Request) (*tokenauth.Principal, error) {
	return a.userBeside(r, nil)
}

// userBeside is user, running beside next to the reads of the token's
// partner and user (tokenauth.HeaderBeside).
func (a *API) userBeside(r *http.Request, beside func(context.Context)) (*tokenauth.Principal, error) {
	if err := negotiate(r); err != nil {
		return nil, err
	}
	p, err := a.d.Tokens.HeaderBeside(r.Context(), r.Header.Get("Authorization"), beside)
	if err != nil {
		return nil, answer(err)
	}
	if err := httpx.Admit(r, p.Partner.ID, p.Partner.Limits); err != nil {
		return nil, err
	}
	return p, nil
}

// userAndProvider authenticates the user and resolves the
// {identityProvider} path parameter: 404 when no partner has that slug.
// The provider is read beside the token's partner and user
// (tokenauth.HeaderBeside: a cold container waits one round trip for the
// three).
func (a *API) userAndProvider(r *http.Request) (*tokenauth.Principal, *partners.Partner, error) {
	var prov *partners.Partner
	var provErr error
	p, err := a.userBeside(r, func(ctx context.Context) {
		prov, provErr = a.d.Partners.ByIdentityProvider(ctx, r.PathValue("identityProvider"))
	})
	if err != nil {
		return nil, nil, err // the provider, if read, is dropped
	}
	err = provErr
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return nil, nil, apierr.IdentityProviderNotFound()
	case err != nil:
		return nil, nil, err
	}
	// A test user's identity is with the provider's test side.
	return p, prov.InModeOf(p.Partner.ID), nil
}

// SetIdentity is PUT /federated-identities/{identityProvider}: the user's
// identity with the provider, whose subject is the (hashed) identifier the
// user linked from the provider's partner. 204, again 204 with no change;
// 401 missing-linked-identity without that link.
func (a *API) SetIdentity(w http.ResponseWriter, r *http.Request) error {
	p, prov, err := a.userAndProvider(r)
	if err != nil {
		return err
	}
	if _, err := fieldset(r, false); err != nil {
		return err
	}
	if err := a.d.Federation.Set(r.Context(), p.User, prov); err != nil {
		return answer(err)
	}
	httpx.WriteJSONAPINoContent(w)
	return nil
}

// DeleteIdentity is DELETE /federated-identities/{identityProvider}: 204, or
// 404 when none is set.
func (a *API) DeleteIdentity(w http.ResponseWriter, r *http.Request) error {
	p, prov, err := a.userAndProvider(r)
	if err != nil {
		return err
	}
	if _, err := fieldset(r, false); err != nil {
		return err
	}
	if err := a.d.Federation.Delete(r.Context(), p.User.ID, prov); err != nil {
		return answer(err)
	}
	httpx.WriteJSONAPINoContent(w)
	return nil
}

// resource is a federated identity as a JSON:API resource.
type resource struct {
	Type       string     `json:"type"`
	ID         string     `json:"id"`
	Attributes attributes `json:"attributes"`
}

// attributes are those of a federated identity; a sparse fieldset leaves
// out those it does not name (none is ever empty).
type attributes struct {
	IdentityProvider string `json:"identityProvider,omitempty"`
	Subject          string `json:"subject,omitempty"`
	CreatedAt        string `json:"createdAt,omitempty"`
}

// only keeps the attributes chosen names (all when chosen is nil).
func (at attributes) only(chosen map[string]bool) attributes {
	if chosen == nil {
		return at
	}
	if !chosen["identityProvider"] {
		at.IdentityProvider = ""
	}
	if !chosen["subject"] {
		at.Subject = ""
	}
	if !chosen["createdAt"] {
		at.CreatedAt = ""
	}
	return at
}

// ListIdentities is GET /federated-identities: the user's identities as a
// JSON:API collection, with the attributes a sparse fieldset
// (fields[federated-identities]) chooses.
func (a *API) ListIdentities(w http.ResponseWriter, r *http.Request) error {
	p, err := a.user(r)
	if err != nil {
		return err
	}
	chosen, err := fieldset(r, true)
	if err != nil {
		return err
	}
	list, err := a.d.Federation.List(r.Context(), p.User.ID)
	if err != nil {
		return err
	}
	data := make([]resource, 0, len(list))
	for _, fi := range list {
		data = append(data, resource{Type: resourceType, ID: fi.Provider, Attributes: attributes{
			IdentityProvider: fi.Provider, Subject: fi.Subject, CreatedAt: wire.Time(fi.CreatedAt)}.only(chosen)})
	}
	httpx.WriteJSONAPI(w, http.StatusOK, map[string]any{"data": data})
	return nil
}

// mediaType is JSON:API's media type.
const mediaType = "application/vnd.api+json"

// negotiate applies JSON:API 1.1's content negotiation, server side: a
// Content-Type of the JSON:API media type with a parameter other than ext
// or profile, or with an extension (this API supports none), is 415; an
// Accept whose every instance of the media type is so modified is 406. A
// profile is ignored, as JSON:API allows; other media types and */* are
// left to HTTP (the answer is JSON:API regardless).
func negotiate(r *http.Request) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, params, err := mime.ParseMediaType(ct); err == nil && mt == mediaType && !acceptable(params) {
			return apierr.UnsupportedMediaType()
		}
	}
	instances, ok := 0, false
	for _, accept := range r.Header.Values("Accept") {
		for _, part := range strings.Split(accept, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil || mt != mediaType {
				continue
			}
			instances++
			delete(params, "q") // a weight is Accept's, not the media type's
			ok = ok || acceptable(params)
		}
	}
	if instances > 0 && !ok {
		return apierr.NotAcceptable()
	}
	return nil
}

// acceptable: no parameter but profile, and ext, if present, empty.
func acceptable(params map[string]string) bool {
	for k, v := range params {
		switch {
		case k == "profile":
		case k == "ext" && strings.TrimSpace(v) == "":
		default:
			return false
		}
	}
	return true
}
