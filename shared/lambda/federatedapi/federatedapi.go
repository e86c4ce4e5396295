// Package federatedapi builds the federated identities surface
// (shared/http/federatedids) over a container's dependencies, and starts
// its functions.
package federatedapi

import (
	"github.com/partner-identity/api/shared/domain/federation"
	"github.com/partner-identity/api/shared/domain/tokenauth"
	"github.com/partner-identity/api/shared/http/federatedids"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/lambda/lambdarun"
)

// Needs are what every route of the surface reads over the network: the
// service keys (the token), the registry (the token's partner) and the
// table.
const Needs = app.NeedServiceKeys | app.NeedTable | app.NeedSecondTableConn | app.NeedThirdTableConn

// New is the surface over d.
func New(d *app.Deps) *federatedids.API {
	return federatedids.New(federatedids.Deps{
		Tokens:     tokenauth.New(d.Partners, d.Keys, d.Store, d.Now, d.TokenMaxLifetime),
		Partners:   d.Partners,
		Federation: federation.New(d.Store, d.Now),
	})
}

// Main is the main of rt's function.
func Main(rt httpx.Route[*federatedids.API]) {
	d := app.MustFromEnv()
	lambdarun.Serve(d, Needs, rt.On(New(d)))
}
