// Package sandboxapi builds the sandbox's page (shared/http/sandboxpage)
// over a container's dependencies, and starts its functions.
package sandboxapi

import (
	"github.com/partner-identity/api/shared/domain/kyc"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/http/sandboxpage"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/lambda/callbackapi"
	"github.com/partner-identity/api/shared/lambda/lambdarun"
	"github.com/partner-identity/api/shared/webhooks/events"
	"github.com/partner-identity/api/shared/webhooks/queue"
)

// Needs are what the page reads over the network: the table (the session)
// and the KYC providers' secret (its form token; the decisions' signed
// callbacks).
const Needs = app.NeedTable | app.NeedKYCProviders

// NeedsOf are route name's needs: the decisions' function sends the
// simulations' redeliveries to the retry queue too.
func NeedsOf(name string) app.Needs {
	if name == sandboxpage.DecisionRoute.Name {
		return Needs | app.NeedQueue
	}
	return Needs
}

// New is the page over d; retries takes the simulations' deliveries (nil
// for the page's function, which queues none).
func New(d *app.Deps, retries queue.Queue) *sandboxpage.API {
	return sandboxpage.New(sandboxpage.Deps{
		KYC: kyc.New(kyc.Deps{Store: d.Store, Now: d.Now, SessionTTL: d.KYCSessionTTL, Retention: d.KYCRetention,
			SandboxCallbacks: callbackapi.SandboxCallbacks(d)}),
		Events:    events.New(d.Store, d.Now, retries),
		Partners:  d.Partners,
		Providers: d.KYCProviders,
		Now:       d.Now,
		Enabled:   d.Sandbox,
	})
}

// Main is the main of rt's function; retries (dispatch.RetryQueue for the
// decisions' function) builds its queue over the container.
func Main(rt httpx.Route[*sandboxpage.API], retries func(*app.Deps) queue.Queue) {
	d := app.MustFromEnv()
	var q queue.Queue
	if retries != nil {
		q = retries(d)
	}
	lambdarun.Serve(d, NeedsOf(rt.Name), rt.On(New(d, q)))
}
