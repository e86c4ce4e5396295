// Package sandboxpage is the sandbox's page (test mode): the page a
// test-mode session's kycLink opens, where a person decides the session as
// its provider would, or makes the partner's test endpoint meet the cases
// integrations seldom test. It is the stand-in provider page of make run,
// served by the deployed API. It never acts on a live session.
package sandboxpage

import (
	"context"
	"time"

	"github.com/partner-identity/api/shared/adapters/kycproviders"
	"github.com/partner-identity/api/shared/domain/kyc"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/webhooks/events"
)

// Deps are what the page uses.
type Deps struct {
	// KYC reads and decides the sessions (its sandbox callbacks set).
	KYC *kyc.Service
	// Events makes the simulations' deliveries (a retry queue: the
	// decision's function only).
	Events *events.Service
	// Partners finds the session's partner (its test side).
	Partners partners.Lookup
	// Providers is the KYC providers' secret, whose hosted secret keys the
	// page's form tokens.
	Providers func(context.Context) (*kycproviders.Config, error)
	Now       func() time.Time
	// Enabled: test mode is on (off, the page shows nothing).
	Enabled bool
}

// API is the sandbox's page.
type API struct{ d Deps }

// New is the page over d.
func New(d Deps) *API { return &API{d: d} }

// The routes: the page, and its form's decisions.
var (
	PageRoute     = httpx.Route[*API]{Name: "sandbox-kyc-page", Pattern: "GET /sandbox/kyc/{sessionId}", Handle: (*API).Page}
	DecisionRoute = httpx.Route[*API]{Name: "sandbox-kyc-decision", Pattern: "POST /sandbox/kyc/{sessionId}", Handle: (*API).Decide}
	Routes        = []httpx.Route[*API]{PageRoute, DecisionRoute}
)
