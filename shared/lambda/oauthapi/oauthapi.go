// Package oauthapi builds the token endpoint (shared/http/oauth) over a
// container's dependencies, and starts its function.
package oauthapi

import (
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/http/oauth"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/lambda/lambdarun"
)

// Needs are what the endpoint reads over the network: the partner's key
// (the table) and the token signing keys.
const Needs = app.NeedTable | app.NeedSigningKeys

// New is the endpoint over d.
func New(d *app.Deps) *oauth.API {
	return oauth.New(oauth.Deps{Tokens: d.AccessTokens(), Now: d.Now})
}

// Main is the main of rt's function.
func Main(rt httpx.Route[*oauth.API]) {
	d := app.MustFromEnv()
	lambdarun.Serve(d, Needs, rt.On(New(d)))
}
