// Package userapi builds the User v2 surface (shared/http/userv2) over a
// container's dependencies, and starts its functions.
package userapi

import (
	"github.com/partner-identity/api/shared/domain/identifiers"
	"github.com/partner-identity/api/shared/domain/tokenauth"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/http/userv2"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/lambda/lambdarun"
)

// Needs are what every route of the surface reads over the network: the
// service keys (the token, the pepper), the registry (the partner) and
// the table.
const Needs = app.NeedServiceKeys | app.NeedTable | app.NeedSecondTableConn

// New is the surface over d.
func New(d *app.Deps) *userv2.API {
	return userv2.New(userv2.Deps{
		Partners: d.Partners, Keys: d.Keys, Store: d.Store, Now: d.Now,
		Tokens:       tokenauth.New(d.Partners, d.Keys, d.Store, d.Now, d.TokenMaxLifetime),
		Linker:       identifiers.NewLinker(d.Store, d.Now, d.Keys),
		AccessTokens: d.AccessTokens(),
	})
}

// Main is the main of rt's function.
func Main(rt httpx.Route[*userv2.API]) {
	d := app.MustFromEnv()
	lambdarun.Serve(d, Needs, rt.On(New(d)))
}
