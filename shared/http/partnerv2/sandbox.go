package partnerv2

import (
	"net/http"
	"strings"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/jsonmember"
	"github.com/partner-identity/api/shared/domain/kyc"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/http/apierr"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/kit/wire"
	"github.com/partner-identity/api/shared/webhooks/events"
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
	// DueAt is a delayed outcome's time (absent otherwise).
	DueAt *string `json:"dueAt,omitempty"`
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
	o, delay, problems := kyc.ParseOutcomeRequest(obj)
	if len(problems) > 0 {
		return apierr.InvalidInput(problems...)
	}
	id := r.PathValue("sessionId")
	if delay > 0 {
		due, sess, err := a.d.KYC.ScheduleOutcome(r.Context(), p.ID, id, o, delay)
		if err != nil {
			return answer(err, apierr.KYCSessionNotFound)
		}
		dueAt := wire.Time(due)
		httpx.WritePartnerV2(w, http.StatusAccepted, outcomeView{SessionID: id, Outcome: string(o), Result: "scheduled",
			Status: sess.EffectiveStatus(a.d.KYC.Now()), DueAt: &dueAt})
		return nil
	}
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

// simulationView is a simulation's answer: the events it sent or will
// send again.
type simulationView struct {
	Scenario string   `json:"scenario"`
	EventIDs []string `json:"eventIds"`
	Livemode bool     `json:"livemode"`
}

// SandboxSimulation is POST /api/partner/v2/sandbox/simulations: what
// partners' integrations meet and seldom test, on demand (202; the
// scenarios of events.Simulate):
//   - {"scenario": "duplicate_delivery", "eventId": "evt_..."};
//   - {"scenario": "out_of_order", "sessionId": "..."};
//   - {"scenario": "late_rejection", "sessionId": "..."}.
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
	case events.ScenarioDuplicate:
		target, _ = c.Required("eventId")
		c.RejectUnknown("scenario", "eventId")
	case events.ScenarioOutOfOrder, events.ScenarioLateRejection:
		target, _ = c.Required("sessionId")
		c.RejectUnknown("scenario", "sessionId")
	case "":
	default:
		c.Fail("scenario", "must be one of "+strings.Join(events.Scenarios, ", "))
	}
	if len(c.Details) > 0 {
		return apierr.InvalidInput(c.Details...)
	}
	ids, err := a.d.Events.Simulate(r.Context(), a.d.KYC, p, scenario, target)
	if err != nil {
		notFound := apierr.KYCSessionNotFound
		if scenario == events.ScenarioDuplicate {
			notFound = apierr.EventNotFound
		}
		return answer(err, notFound)
	}
	httpx.WritePartnerV2(w, http.StatusAccepted, simulationView{Scenario: scenario, EventIDs: ids})
	return nil
}

// wipeView is a wipe's answer.
type wipeView struct {
	RequestedAt string `json:"requestedAt"`
	Livemode    bool   `json:"livemode"`
}

// WipeSandboxData is DELETE /api/partner/v2/sandbox/data: 202, and the
// cleanup's next run (every few minutes) deletes every test-mode user the
// partner made, with its sessions, links, identities and personal events.
// Asking again while one waits is one wipe. No body.
func (a *API) WipeSandboxData(w http.ResponseWriter, r *http.Request) error {
	p, err := a.sandboxPartner(r)
	if err != nil {
		return err
	}
	if err := noBody(r); err != nil {
		return err
	}
	at, err := a.d.KYC.RequestWipe(r.Context(), p.ID)
	if err != nil {
		return answer(err, apierr.KYCSessionNotFound)
	}
	httpx.WritePartnerV2(w, http.StatusAccepted, wipeView{RequestedAt: wire.Time(at)})
	return nil
}
