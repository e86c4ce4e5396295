// Package callbackapi builds the KYC providers' callbacks
// (shared/http/kyccallbacks) over a container's dependencies, and starts
// their functions.
package callbackapi

import (
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

// Main is the main of rt's function.
func Main(rt httpx.Route[*kyccallbacks.API]) {
	d := app.MustFromEnv()
	lambdarun.Serve(d, Needs, rt.On(New(d)))
}
