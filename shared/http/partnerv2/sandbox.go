package partnerv2

import (
	"net/http"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/jsonmember"
	"github.com/partner-identity/api/shared/domain/kyc"
	"github.com/partner-identity/api/shared/domain/outbox"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/http/apierr"
	"github.com/partner-identity/api/shared/http/httpx"
)

// The sandbox's API: /api/partner/v2/sandbox/..., with a test key only
// (403 TEST_MODE_REQUIRED with a live one), about test-mode objects only
// (403 TEST_MODE_REQUIRED for a live session, whoever asks).

// sandboxPartner is the request's partner, in test mode.
func (a *API) sandboxPartner(r *http.Request) (*partners.Partner, error) {
	p, err := a.partner(r, partners.OpSandbox)
	if err != nil {
		return nil, err
	}
	if domain.Livemode(p.ID) {
		return nil, apierr.TestModeRequired()
	}
	return p, nil
}

// outcomeView is a sandbox decision's answer.
type outcomeView struct {
	SessionID string `json:"sessionId"`
	Outcome   string `json:"outcome"`
	// Result is what the KYC service did with the provider's callback
	// (applied, recorded, stale), or "applied" for an expiry.
	Result   string `json:"result"`
	Status   string `json:"status"`
	Livemode bool   `json:"livemode"`
}

// SandboxOutcome is POST /api/partner/v2/sandbox/kyc-sessions/{sessionId}/outcome:
// {"outcome": "approve" | "reject_final" | "reject_retry" | "resubmit" |
// "review" | "expire"}: the outcome, through the path a provider's result
// takes (a signed callback, the KYC service, the outbox, a webhook to the
// partner's test endpoints); 200 with the session's status after it.
func (a *API) SandboxOutcome(w http.ResponseWriter, r *http.Request) error {
	p, err := a.sandboxPartner(r)
	if err != nil {
		return err
	}
	obj, bad := httpx.ReadObject(r)
	if bad != nil {
		return apierr.InvalidInput(*bad)
	}
	c := jsonmember.Check(obj)
	name, _ := c.Required("outcome")
	c.RejectUnknown("outcome")
	if len(c.Details) > 0 {
		return apierr.InvalidInput(c.Details...)
	}
	o, err := kyc.ParseSandboxOutcome("outcome", name)
	if err != nil {
		return answer(err, apierr.KYCSessionNotFound)
	}
	id := r.PathValue("sessionId")
	res, err := a.d.KYC.Decide(r.Context(), p.ID, id, o)
	if err != nil {
		return answer(err, apierr.KYCSessionNotFound)
	}
	sess, err := a.d.KYC.SandboxSession(r.Context(), p.ID, id)
	if err != nil {
		return answer(err, apierr.KYCSessionNotFound)
	}
	httpx.WritePartnerV2(w, http.StatusOK, outcomeView{SessionID: id, Outcome: string(o), Result: string(res),
		Status: sess.EffectiveStatus(a.d.KYC.Now()), Livemode: false})
	return nil
}

// The sandbox's scenarios (SandboxSimulation).
const (
	scenarioDuplicate     = "duplicate_delivery"
	scenarioOutOfOrder    = "out_of_order"
	scenarioLateRejection = "late_rejection"
)

// simulationView is a simulation's answer: the events it sent or will
// send again.
type simulationView struct {
	Scenario string   `json:"scenario"`
	EventIDs []string `json:"eventIds"`
	Livemode bool     `json:"livemode"`
}

// SandboxSimulation is POST /api/partner/v2/sandbox/simulations: what
// partners' integrations meet and seldom test, on demand (202):
//   - {"scenario": "duplicate_delivery", "eventId": "evt_..."}: the event
//     is delivered once more, with its id (a duplicate);
//   - {"scenario": "out_of_order", "sessionId": "..."}: a pending session
//     goes IN_REVIEW then APPROVED, and the older kyc.status_changed is
//     delivered again after the newer;
//   - {"scenario": "late_rejection", "sessionId": "..."}: an approved
//     session is rejected (a provider's review after its approval).
func (a *API) SandboxSimulation(w http.ResponseWriter, r *http.Request) error {
	p, err := a.sandboxPartner(r)
	if err != nil {
		return err
	}
	obj, bad := httpx.ReadObject(r)
	if bad != nil {
		return apierr.InvalidInput(*bad)
	}
	c := jsonmember.Check(obj)
	scenario, _ := c.Required("scenario")
	var target string
	switch scenario {
	case scenarioDuplicate:
		target, _ = c.Required("eventId")
		c.RejectUnknown("scenario", "eventId")
	case scenarioOutOfOrder, scenarioLateRejection:
		target, _ = c.Required("sessionId")
		c.RejectUnknown("scenario", "sessionId")
	case "":
	default:
		c.Fail("scenario", "must be one of "+scenarioDuplicate+", "+scenarioOutOfOrder+", "+scenarioLateRejection)
	}
	if len(c.Details) > 0 {
		return apierr.InvalidInput(c.Details...)
	}
	ctx := r.Context()
	v := simulationView{Scenario: scenario, EventIDs: []string{}}
	switch scenario {
	case scenarioDuplicate:
		st, err := a.d.Events.Redeliver(ctx, p, target, "")
		if err != nil {
			return answer(err, apierr.EventNotFound)
		}
		v.EventIDs = append(v.EventIDs, st.Event.ID)
	case scenarioLateRejection:
		if _, err := a.d.KYC.LateRejection(ctx, p.ID, target); err != nil {
			return answer(err, apierr.KYCSessionNotFound)
		}
		if v.EventIDs, err = a.sessionEvents(r, p, target, 1); err != nil {
			return err
		}
	case scenarioOutOfOrder:
		if !p.Hooked() {
			return apierr.WebhookNotConfigured() // before anything is written
		}
		if err := a.d.KYC.OutOfOrder(ctx, p.ID, target); err != nil {
			return answer(err, apierr.KYCSessionNotFound)
		}
		ids, err := a.sessionEvents(r, p, target, 2)
		if err != nil {
			return err
		}
		if len(ids) == 2 {
			// The older again, after the newer.
			if _, err := a.d.Events.Redeliver(ctx, p, ids[1], ""); err != nil {
				return answer(err, apierr.EventNotFound)
			}
		}
		v.EventIDs = ids
	}
	httpx.WritePartnerV2(w, http.StatusAccepted, v)
	return nil
}

// sessionEvents are the ids of the newest n kyc.status_changed events of
// partner p about the user of its test-mode session id (just written by a
// simulation), newest first, of the partner's newest 20.
func (a *API) sessionEvents(r *http.Request, p *partners.Partner, id string, n int) ([]string, error) {
	sess, err := a.d.KYC.SandboxSession(r.Context(), p.ID, id)
	if err != nil {
		return nil, answer(err, apierr.KYCSessionNotFound)
	}
	page, err := a.d.Events.List(r.Context(), p.ID, domain.OutboxQuery{Type: outbox.KYCStatusChanged, Limit: 20})
	if err != nil {
		return nil, err
	}
	ids := []string{}
	for _, st := range page.Events {
		if st.Event.UserID == sess.UserID {
			if ids = append(ids, st.Event.ID); len(ids) == n {
				break
			}
		}
	}
	return ids, nil
}
