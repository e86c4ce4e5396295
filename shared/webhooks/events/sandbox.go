package events

import (
	"context"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/kyc"
	"github.com/partner-identity/api/shared/domain/outbox"
	"github.com/partner-identity/api/shared/domain/partners"
)

// The sandbox's scenarios: what partners' integrations meet and seldom
// test, made to happen on demand (test mode only).
const (
	// ScenarioDuplicate delivers an event once more, with its id.
	ScenarioDuplicate = "duplicate_delivery"
	// ScenarioOutOfOrder moves a pending session IN_REVIEW then APPROVED
	// and delivers the older kyc.status_changed again after the newer.
	ScenarioOutOfOrder = "out_of_order"
	// ScenarioLateRejection rejects an approved session.
	ScenarioLateRejection = "late_rejection"
)

// Scenarios are the sandbox's scenarios.
var Scenarios = []string{ScenarioDuplicate, ScenarioOutOfOrder, ScenarioLateRejection}

// Simulate makes scenario happen for test-mode partner p: target is the
// event (ScenarioDuplicate) or the session (the others); k decides the
// sessions. It returns the ids of the events sent or sent again, newest
// first. Conflict (ReasonNoWebhook) before anything is written when an
// event would have no endpoint to go to; the KYC service's errors
// (kyc.SandboxSession's, kyc.ReasonNotPending, kyc.ReasonNotApproved);
// Redeliver's.
func (s *Service) Simulate(ctx context.Context, k *kyc.Service, p *partners.Partner, scenario, target string) ([]string, error) {
	if domain.Livemode(p.ID) {
		return nil, domain.E(domain.Forbidden, domain.ReasonTestModeOnly)
	}
	switch scenario {
	case ScenarioDuplicate:
		st, err := s.Redeliver(ctx, p, target, "")
		if err != nil {
			return nil, err
		}
		return []string{st.Event.ID}, nil
	case ScenarioLateRejection:
		if _, err := k.LateRejection(ctx, p.ID, target); err != nil {
			return nil, err
		}
		return s.sessionEvents(ctx, k, p, target, 1)
	case ScenarioOutOfOrder:
		if !p.Hooked() {
			return nil, domain.E(domain.Conflict, domain.ReasonNoWebhook)
		}
		if err := k.OutOfOrder(ctx, p.ID, target); err != nil {
			return nil, err
		}
		ids, err := s.sessionEvents(ctx, k, p, target, 2)
		if err != nil || len(ids) < 2 {
			return ids, err
		}
		// The older again, after the newer.
		if _, err := s.Redeliver(ctx, p, ids[1], ""); err != nil {
			return nil, err
		}
		return ids, nil
	}
	return nil, domain.InvalidInput(domain.Problem{Field: "scenario", Issue: "must be one of duplicate_delivery, out_of_order, late_rejection"})
}

// sessionEvents are the ids of the newest n kyc.status_changed events of
// partner p about the user of its test-mode session id (just written by a
// simulation), newest first, of the partner's newest 20.
func (s *Service) sessionEvents(ctx context.Context, k *kyc.Service, p *partners.Partner, id string, n int) ([]string, error) {
	sess, err := k.SandboxSession(ctx, p.ID, id)
	if err != nil {
		return nil, err
	}
	page, err := s.List(ctx, p.ID, domain.OutboxQuery{Type: outbox.KYCStatusChanged, Limit: 20})
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

// DuplicateLatest delivers once more the newest event of the user of
// partner p's test-mode session id (the sandbox page's duplicate): its id.
// NotFound when the user has none among the partner's newest 20.
func (s *Service) DuplicateLatest(ctx context.Context, k *kyc.Service, p *partners.Partner, id string) (string, error) {
	sess, err := k.SandboxSession(ctx, p.ID, id)
	if err != nil {
		return "", err
	}
	page, err := s.List(ctx, p.ID, domain.OutboxQuery{Limit: 20})
	if err != nil {
		return "", err
	}
	for _, st := range page.Events {
		if st.Event.UserID == sess.UserID {
			if _, err := s.Redeliver(ctx, p, st.Event.ID, ""); err != nil {
				return "", err
			}
			return st.Event.ID, nil
		}
	}
	return "", domain.ErrNotFound
}
