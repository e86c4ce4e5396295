package kyccallbacks

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/partner-identity/api/shared/adapters/kycproviders"
	"github.com/partner-identity/api/shared/domain/kyc"
	"github.com/partner-identity/api/shared/http/httpx"
)

// Deps are what the callbacks use: the providers' secret (their
// signatures' keys), the KYC service that applies a result, the clock.
type Deps struct {
	Providers func(context.Context) (*kycproviders.Config, error)
	KYC       *kyc.Service
	Now       func() time.Time
}

// API is the providers' callbacks.
type API struct {
	d Deps
	// held: the providers' secret was read once (from then on it is
	// cached, served stale when Secrets Manager fails).
	held atomic.Bool
}

// New is the surface over d.
func New(d Deps) *API { return &API{d: d} }

// The routes, one function each.
var (
	SumsubRoute = httpx.Route[*API]{Name: "kyc-sumsub-webhook", Pattern: "POST /kyc/providers/sumsub/webhook", Handle: (*API).Sumsub}
	HostedRoute = httpx.Route[*API]{Name: "kyc-hosted-webhook", Pattern: "POST /kyc/providers/hosted/webhook", Handle: (*API).Hosted}
	Routes      = []httpx.Route[*API]{SumsubRoute, HostedRoute}
)
