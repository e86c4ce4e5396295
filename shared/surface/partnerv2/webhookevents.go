package partnerv2

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/partner-identity/api/shared/apierr"
	"github.com/partner-identity/api/shared/dialects"
	"github.com/partner-identity/api/shared/httpx"
	"github.com/partner-identity/api/shared/partners"
	"github.com/partner-identity/api/shared/webhookevents"
)

// ListWebhookEvents is GET /api/partner/v2/webhooks/events: the partner's
// own events, newest first, a page at a time.
func (a *API) ListWebhookEvents(w http.ResponseWriter, r *http.Request) error {
	p, err := a.partner(r, partners.OpWebhookEvents)
	if err != nil {
		return err
	}
	vals, bad := httpx.Query(r, webhookevents.QueryParams...)
	q, invalid := webhookevents.ParseQuery(vals)
	if bad = append(bad, invalid...); len(bad) > 0 {
		return apierr.InvalidInput(bad...)
	}
	page, err := a.events.List(r.Context(), p.ID, q)
	if err != nil {
		return apierr.Internal(apierr.MsgInternal).WithCause(err)
	}
	dialects.WritePartnerV2(w, http.StatusOK, page)
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
	v, err := a.events.Redeliver(r.Context(), p, r.PathValue("eventId"))
	return writeAccepted(w, v, err)
}

// SendTestWebhook is POST /api/partner/v2/webhooks/test: 202, a signed
// webhook.test event on its way to the partner's endpoint.
func (a *API) SendTestWebhook(w http.ResponseWriter, r *http.Request) error {
	p, err := a.partner(r, partners.OpWebhookEvents)
	if err != nil {
		return err
	}
	v, err := a.events.SendTest(r.Context(), p)
	return writeAccepted(w, v, err)
}

// writeAccepted answers a redelivery or a test event.
func writeAccepted(w http.ResponseWriter, v webhookevents.Summary, err error) error {
	var limit *webhookevents.LimitError
	switch {
	case errors.As(err, &limit):
		return apierr.TooManyRequests(fmt.Sprintf("Too many %s: at most %d an hour", limit.What, limit.Limit), limit.RetryAfter)
	case errors.Is(err, webhookevents.ErrNotFound):
		return apierr.EventNotFound()
	case errors.Is(err, webhookevents.ErrNoWebhook):
		return apierr.WebhookNotConfigured()
	case err != nil:
		return apierr.Internal(apierr.MsgInternal).WithCause(err)
	}
	dialects.WritePartnerV2(w, http.StatusAccepted, v)
	return nil
}
