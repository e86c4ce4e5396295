// Package callbackapi builds the KYC providers' callbacks
// (shared/http/kyccallbacks) over a container's dependencies, and starts
// their functions.
package callbackapi

import (
	"net/http"

	"github.com/partner-identity/api/shared/adapters/kycproviders"
	"github.com/partner-identity/api/shared/domain/kyc"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/http/kyccallbacks"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/lambda/lambdarun"
)

// Needs are what the callbacks read over the network: the providers'
// secret (their signatures) and the table.
const Needs = app.NeedKYCProviders | app.NeedTable

// New is the surface over d.
func New(d *app.Deps) *kyccallbacks.API {
	return kyccallbacks.New(kyccallbacks.Deps{Providers: d.KYCProviders, Now: d.Now,
		KYC: kyc.New(kyc.Deps{Store: d.Store, Now: d.Now, SessionTTL: d.KYCSessionTTL, Retention: d.KYCRetention})})
}

// Sandbox is the sandbox's callback handler over d: the callbacks'
// Sandbox, behind the per-request machinery (its own log line), handed
// the sandbox's signed callbacks in process (kycproviders.SandboxCallbacks).
func Sandbox(d *app.Deps) http.Handler {
	return httpx.Wrap(httpx.WrapRoute{Name: "kyc-sandbox-callback", Dialect: httpx.ForPath(kycproviders.SandboxCallbackPath)}, New(d).Sandbox)
}

// SandboxCallbacks are the KYC service's sandbox callbacks over d.
func SandboxCallbacks(d *app.Deps) kycproviders.SandboxCallbacks {
	return kycproviders.SandboxCallbacks{Providers: d.KYCProviders, Handler: Sandbox(d), Now: d.Now}
}

// Main is the main of rt's function.
func Main(rt httpx.Route[*kyccallbacks.API]) {
	d := app.MustFromEnv()
	lambdarun.Serve(d, Needs, rt.On(New(d)))
}
