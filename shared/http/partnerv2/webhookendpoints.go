package partnerv2

import (
	"net/http"

	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/http/apierr"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/kit/wire"
)

// The partner's own webhook endpoints: /api/partner/v2/webhooks/endpoints.
// Every change is made as the operator's command makes its own
// (partners.Admin: validated, the URL checked against the dialling
// policy, audited with the calling key's id as the actor, made again on a
// concurrent change); a signing secret is shown once, when it is made.

// endpointView is a webhook endpoint as its partner sees it.
type endpointView struct {
	ID            string   `json:"id"`
	URL           string   `json:"url"`
	EnabledEvents []string `json:"enabledEvents"`
	// Description is null when there is none.
	Description *string `json:"description"`
	Disabled    bool    `json:"disabled"`
	// CreatedAt is null for the endpoint the operator set before
	// endpoints had dates.
	CreatedAt *string `json:"createdAt"`
}

// newEndpointView is an endpoint just made, with its signing secret,
// shown this once.
type newEndpointView struct {
	endpointView
	Secret string `json:"secret"`
}

type endpointsView struct {
	Endpoints []endpointView `json:"endpoints"`
	// Max is how many endpoints the partner may hold.
	Max int `json:"maxEndpoints"`
}

// rotatedView is a rotation's answer: the new secret, shown this once,
// and until when the replaced one keeps signing beside it (null: it
// stopped at once, there being none).
type rotatedView struct {
	EndpointID              string  `json:"endpointId"`
	Secret                  string  `json:"secret"`
	PreviousSecretExpiresAt *string `json:"previousSecretExpiresAt"`
}

type deletedEndpointView struct {
	ID        string `json:"id"`
	DeletedAt string `json:"deletedAt"`
}

func endpointViewOf(e partners.Endpoint) endpointView {
	v := endpointView{ID: e.ID, URL: e.URL, EnabledEvents: e.Events(), Disabled: e.Disabled}
	if e.Description != "" {
		d := e.Description
		v.Description = &d
	}
	if !e.CreatedAt.IsZero() {
		at := wire.Time(e.CreatedAt)
		v.CreatedAt = &at
	}
	return v
}

// changed drops this container's copy of partner id after a change of its
// endpoints: its next request here sees the change at once (in other
// containers within the partners' cache, a minute).
func (a *API) changed(id string) {
	if f, ok := a.d.Partners.(interface{ ForgetPartner(string) }); ok {
		f.ForgetPartner(id)
	}
}

// endpointCaller is the request's partner, allowed its webhooks, and the
// digest of the key it called with (the audit's actor).
func (a *API) endpointCaller(r *http.Request) (*partners.Partner, string, error) {
	return a.authenticated(r, partners.OpWebhookEvents)
}

// ListWebhookEndpoints is GET /api/partner/v2/webhooks/endpoints: the
// partner's endpoints, the operator's first.
func (a *API) ListWebhookEndpoints(w http.ResponseWriter, r *http.Request) error {
	p, _, err := a.endpointCaller(r)
	if err != nil {
		return err
	}
	list, err := a.d.Admin.ListEndpoints(r.Context(), p.ID)
	if err != nil {
		return answer(err, apierr.WebhookEndpointNotFound)
	}
	v := endpointsView{Endpoints: make([]endpointView, len(list)), Max: partners.MaxEndpoints}
	for i, e := range list {
		v.Endpoints[i] = endpointViewOf(e)
	}
	httpx.WritePartnerV2(w, http.StatusOK, v)
	return nil
}

// CreateWebhookEndpoint is POST /api/partner/v2/webhooks/endpoints: 201,
// a new endpoint with its signing secret, shown this once; 409
// WEBHOOK_ENDPOINT_LIMIT_REACHED at partners.MaxEndpoints.
func (a *API) CreateWebhookEndpoint(w http.ResponseWriter, r *http.Request) error {
	p, digest, err := a.endpointCaller(r)
	if err != nil {
		return err
	}
	in, err := endpointInput(r, true)
	if err != nil {
		return err
	}
	e, secret, err := a.d.Admin.CreateEndpoint(r.Context(), digest, p.ID, in)
	if err != nil {
		return answer(err, apierr.WebhookEndpointNotFound)
	}
	a.changed(p.ID)
	httpx.WritePartnerV2(w, http.StatusCreated, newEndpointView{endpointView: endpointViewOf(e), Secret: secret})
	return nil
}

// GetWebhookEndpoint is GET /api/partner/v2/webhooks/endpoints/{endpointId}.
func (a *API) GetWebhookEndpoint(w http.ResponseWriter, r *http.Request) error {
	p, _, err := a.endpointCaller(r)
	if err != nil {
		return err
	}
	e, err := a.d.Admin.GetEndpoint(r.Context(), p.ID, r.PathValue("endpointId"))
	if err != nil {
		return answer(err, apierr.WebhookEndpointNotFound)
	}
	httpx.WritePartnerV2(w, http.StatusOK, endpointViewOf(e))
	return nil
}

// UpdateWebhookEndpoint is PATCH
// /api/partner/v2/webhooks/endpoints/{endpointId}: the members given
// change, the others stay.
func (a *API) UpdateWebhookEndpoint(w http.ResponseWriter, r *http.Request) error {
	p, digest, err := a.endpointCaller(r)
	if err != nil {
		return err
	}
	in, err := endpointInput(r, false)
	if err != nil {
		return err
	}
	e, err := a.d.Admin.UpdateEndpoint(r.Context(), digest, p.ID, r.PathValue("endpointId"), in)
	if err != nil {
		return answer(err, apierr.WebhookEndpointNotFound)
	}
	a.changed(p.ID)
	httpx.WritePartnerV2(w, http.StatusOK, endpointViewOf(e))
	return nil
}

// DeleteWebhookEndpoint is DELETE
// /api/partner/v2/webhooks/endpoints/{endpointId}: it receives nothing
// from then on (within the partners' cache, a minute).
func (a *API) DeleteWebhookEndpoint(w http.ResponseWriter, r *http.Request) error {
	p, digest, err := a.endpointCaller(r)
	if err != nil {
		return err
	}
	id := r.PathValue("endpointId")
	if err := a.d.Admin.DeleteEndpoint(r.Context(), digest, p.ID, id); err != nil {
		return answer(err, apierr.WebhookEndpointNotFound)
	}
	a.changed(p.ID)
	httpx.WritePartnerV2(w, http.StatusOK, deletedEndpointView{ID: id, DeletedAt: wire.Time(a.d.Users.Now())})
	return nil
}

// RotateWebhookEndpointSecret is POST
// /api/partner/v2/webhooks/endpoints/{endpointId}/rotate-secret: 201, a
// new signing secret, shown this once; the replaced one keeps signing
// beside it for 24 hours. No body.
func (a *API) RotateWebhookEndpointSecret(w http.ResponseWriter, r *http.Request) error {
	p, digest, err := a.endpointCaller(r)
	if err != nil {
		return err
	}
	if err := noBody(r); err != nil {
		return err
	}
	id := r.PathValue("endpointId")
	secret, prev, err := a.d.Admin.RotateEndpointSecret(r.Context(), digest, p.ID, id)
	if err != nil {
		return answer(err, apierr.WebhookEndpointNotFound)
	}
	v := rotatedView{EndpointID: id, Secret: secret}
	if !prev.ExpiresAt.IsZero() {
		at := wire.Time(prev.ExpiresAt)
		v.PreviousSecretExpiresAt = &at
	}
	httpx.WritePartnerV2(w, http.StatusCreated, v)
	return nil
}

// endpointInput is the request's endpoint (partners.ParseEndpoint).
func endpointInput(r *http.Request, creating bool) (partners.EndpointInput, error) {
	obj, bad := httpx.ReadOptionalObject(r)
	switch {
	case bad != nil:
		return partners.EndpointInput{}, apierr.InvalidInput(*bad)
	case obj == nil && creating:
		return partners.EndpointInput{}, apierr.InvalidInput(apierr.Detail{Field: "body", Issue: "is required"})
	case obj == nil:
		return partners.EndpointInput{}, nil
	}
	in, problems := partners.ParseEndpoint(obj, creating)
	if len(problems) > 0 {
		return partners.EndpointInput{}, apierr.InvalidInput(problems...)
	}
	return in, nil
}
