package partners

import (
	"context"
	"errors"
	"maps"

	"github.com/partner-identity/api/shared/domain"
)

// A partner's test side (domain.TestSuffix) is a partner record of its
// own: its test keys, its test webhook endpoints (and their secrets), its
// budgets. What it shares with its live partner, the live one decides:
// its name, flow, standing and KYC templates are the live partner's, set
// on the test side when it is made and each time the live partner's
// change (mirror). It has no identity provider of its own (a test user's
// federated identities name the live partner's provider, whose test side
// the federation service finds).

// testSideOf is the test side of live, keeping own's (the test side as
// stored; nil for a new one) endpoints and limits.
func testSideOf(live *Partner, own *Partner) *Partner {
	p := &Partner{ID: domain.TestPartnerOf(live.ID), Name: live.Name, Flow: live.Flow, Standing: live.Standing,
		KYCTemplates: maps.Clone(live.KYCTemplates)}
	if own != nil {
		p.Webhook, p.WebhookEndpoints, p.Limits = own.Webhook, own.WebhookEndpoints, own.Limits
	}
	return p
}

// mirrored tells whether p and q agree on what a test side takes from its
// live partner.
func mirrored(p, q *Partner) bool {
	return p.Name == q.Name && p.Flow == q.Flow && p.Standing == q.Standing && maps.Equal(p.KYCTemplates, q.KYCTemplates)
}

// EnsureTestSide makes live partner liveID's test side when it has none
// (a partner made before test mode): nothing when it exists. NotFound when
// the live partner does not.
func (a *Admin) EnsureTestSide(ctx context.Context, actor, liveID string) error {
	_, err := a.store.GetPartner(ctx, domain.TestPartnerOf(liveID))
	if !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	rec, err := a.store.GetPartner(ctx, liveID)
	if err != nil {
		return err
	}
	live, err := FromRecord(rec)
	if err != nil {
		return err
	}
	_, err = a.saveTestSide(ctx, actor, live, nil)
	if domain.ReasonOf(err) == domain.ReasonPartnerExists {
		return nil // made meanwhile
	}
	return err
}

// saveTestSide writes live's new test side with keys.
func (a *Admin) saveTestSide(ctx context.Context, actor string, live *Partner, keys []domain.APIKey) (domain.PartnerRecord, error) {
	p := testSideOf(live, nil)
	if err := Validate(p, a.inLambda); err != nil {
		return domain.PartnerRecord{}, invalid("partner", err)
	}
	now := a.now().UTC()
	rec := domain.PartnerRecord{ID: p.ID, Settings: p.Settings(), Keys: keys, Active: !p.Suspended(), Hooked: p.Hooked(),
		Rev: 1, CreatedAt: now, UpdatedAt: now}
	return rec, a.store.SavePartner(ctx, nil, rec, a.audit(actor, p.ID, "create test side", ""))
}

// mirror gives live's test side, if it has one, what it takes from live
// (after a change of live).
func (a *Admin) mirror(ctx context.Context, actor string, live *Partner) error {
	_, err := a.change(ctx, actor, domain.TestPartnerOf(live.ID), "mirror live partner", "", func(p *Partner, _ *[]domain.APIKey) error {
		*p = *testSideOf(live, p)
		return nil
	})
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	return err
}

// keyOwner is the partner whose keys a key of mode is made among, for a
// caller of partner callerID: its own side for its own mode; a live
// partner's test side for "test" (a live key may issue test keys); a test
// side may not issue live keys (Forbidden, ReasonLiveFromTest).
func keyOwner(callerID, mode string) (string, error) {
	switch {
	case mode == "" || (mode == ModeLive) == domain.Livemode(callerID):
		return callerID, nil
	case mode == ModeTest:
		return domain.TestPartnerOf(callerID), nil
	}
	return "", domain.E(domain.Forbidden, ReasonLiveFromTest)
}

// ReasonLiveFromTest is a test key's request for a live key (Forbidden).
const ReasonLiveFromTest = domain.Reason("live_from_test")

// CreateKeyIn issues a new key of mode ("live", "test"; "" the caller's)
// for the partner callerID calls as, with the key whose digest is caller:
// a live partner's test key goes to its test side, made first if it has
// none. The key and its record, as CreateKey.
func (a *Admin) CreateKeyIn(ctx context.Context, caller, callerID, mode string) (KeyInfo, string, error) {
	owner, err := keyOwner(callerID, mode)
	if err != nil {
		return KeyInfo{}, "", err
	}
	if owner != callerID {
		if err := a.EnsureTestSide(ctx, "partner api", callerID); err != nil {
			return KeyInfo{}, "", err
		}
	}
	return a.CreateKey(ctx, caller, owner)
}

// InModeOf is p (a live partner, found by its identity provider) in the
// mode of partner id: p itself for a live id, else a copy of p that is its
// test side (a test user's federated identity is its test side's, its
// events the test side's).
func (p *Partner) InModeOf(id string) *Partner {
	if domain.Livemode(id) || !domain.Livemode(p.ID) {
		return p
	}
	q := *p
	q.ID = domain.TestPartnerOf(p.ID)
	return &q
}
