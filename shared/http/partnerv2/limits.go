package partnerv2

import (
	"net/http"

	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/domain/ratelimit"
	"github.com/partner-identity/api/shared/http/httpx"
)

// limitView is one of the partner's rate budgets as the API shows it.
type limitView struct {
	Budget string `json:"budget"`
	// Rate is requests a second, sustained; Burst the most at once;
	// WindowSeconds how long the burst takes to come back (the
	// RateLimit-Policy's w); Custom: the operator set this partner's own.
	Rate          float64  `json:"rate"`
	Burst         int      `json:"burst"`
	WindowSeconds int64    `json:"windowSeconds"`
	Custom        bool     `json:"custom"`
	Operations    []string `json:"operations"`
}

type limitsView struct {
	Limits []limitView `json:"limits"`
}

// budgetOperations names what draws on each budget.
var budgetOperations = map[string][]string{
	ratelimit.Default:      {"every request not listed under another budget"},
	ratelimit.KYCLinks:     {"POST /api/partner/v2/users/{userId}/kyc/verification-link"},
	ratelimit.WebhookTests: {"POST /api/partner/v2/webhooks/test", "POST /api/partner/v2/webhooks/events/{eventId}/redeliver"},
	ratelimit.Tokens:       {"POST /api/partner/v2/users/{userId}/token", "POST /oauth2/token"},
}

// GetLimits is GET /api/partner/v2/limits: the partner's rate budgets,
// its own where the operator set them, else the defaults. The request
// itself draws on the default budget, like any other (its headers say
// what remains).
func (a *API) GetLimits(w http.ResponseWriter, r *http.Request) error {
	p, err := a.partner(r, partners.OpReadLimits)
	if err != nil {
		return err
	}
	v := limitsView{Limits: make([]limitView, len(ratelimit.Budgets))}
	for i, b := range ratelimit.Budgets {
		pol := p.Limits.For(b)
		_, custom := p.Limits[b]
		v.Limits[i] = limitView{Budget: b, Rate: pol.Rate, Burst: pol.Burst, WindowSeconds: httpx.Seconds(pol.Window()),
			Custom: custom, Operations: budgetOperations[b]}
	}
	httpx.WritePartnerV2(w, http.StatusOK, v)
	return nil
}
