package partnerv2

import (
	"context"

	"github.com/partner-identity/api/shared/domain"
	"net/http"

	"github.com/partner-identity/api/shared/domain/jsonmember"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/http/apierr"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/webhooks/events"
)

// ListWebhookEvents is GET /api/partner/v2/webhooks/events: the partner's
// own events, newest first, a page at a time.
func (a *API) ListWebhookEvents(w http.ResponseWriter, r *http.Request) error {
	vals, bad := httpx.Query(r, events.QueryParams...)
	q, invalid := events.ParseQuery(vals)
	if bad = append(bad, invalid...); len(bad) > 0 {
		return a.keyFirst(r, partners.OpWebhookEvents, apierr.InvalidInput(bad...))
	}
	_, page, authErr, err := overlapped(a, r, partners.OpWebhookEvents, func(ctx context.Context, p *partners.Partner) (events.Page, error) {
		return a.d.Events.List(ctx, p.ID, q)
	})
	switch {
	case authErr != nil:
		return authErr
	case err != nil:
		return err
	}
	v := eventsPage{Events: make([]eventView, len(page.Events))}
	for i, st := range page.Events {
		v.Events[i] = eventViewOf(st)
	}
	if page.NextCursor != "" {
		v.NextCursor = &page.NextCursor
	}
	httpx.WritePartnerV2(w, http.StatusOK, v)
	return nil
}

// RedeliverWebhookEvent is POST
// /api/partner/v2/webhooks/events/{eventId}/redeliver: 202, one more
// delivery of the event, with the same id, queued.
func (a *API) RedeliverWebhookEvent(w http.ResponseWriter, r *http.Request) error {
	p, err := a.partner(r, partners.OpWebhookEvents)
	if err != nil {
		return err
	}
	endpoint, err := redeliveryEndpoint(r)
	if err != nil {
		return err
	}
	st, err := a.d.Events.Redeliver(r.Context(), p, r.PathValue("eventId"), endpoint)
	return writeAccepted(w, st, err)
}

// redeliveryEndpoint is the endpoint a redelivery names in its body
// ({"endpointId": "we_..."}), "" for none (no body, or {}).
func redeliveryEndpoint(r *http.Request) (string, error) {
	obj, bad := httpx.ReadOptionalObject(r)
	switch {
	case bad != nil:
		return "", apierr.InvalidInput(*bad)
	case obj == nil:
		return "", nil
	}
	c := jsonmember.Check(obj)
	id, _, _ := c.Optional("endpointId")
	c.RejectUnknown("endpointId")
	if len(c.Details) > 0 {
		return "", apierr.InvalidInput(c.Details...)
	}
	return id, nil
}

// SendTestWebhook is POST /api/partner/v2/webhooks/test: 202, a signed
// webhook.test event on its way to the partner's endpoint.
func (a *API) SendTestWebhook(w http.ResponseWriter, r *http.Request) error {
	_, st, authErr, err := overlapped(a, r, partners.OpWebhookEvents, a.d.Events.SendTest)
	if authErr != nil {
		return authErr
	}
	return writeAccepted(w, st, err)
}

// writeAccepted answers a redelivery or a test event.
func writeAccepted(w http.ResponseWriter, st domain.OutboxState, err error) error {
	if err != nil {
		return answer(err, apierr.EventNotFound)
	}
	httpx.WritePartnerV2(w, http.StatusAccepted, eventViewOf(st))
	return nil
}
