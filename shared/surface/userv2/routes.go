package userv2

import (
	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/identifiers"
	"github.com/partner-identity/api/shared/router"
	"github.com/partner-identity/api/shared/tokenauth"
	"github.com/partner-identity/api/shared/users"
)

// newAPI is the surface over a container's dependencies.
func newAPI(d *app.Deps) *API {
	return &API{
		auth: &authenticator{
			tokens:   tokenauth.New(d.Registry, d.Keys, d.Store, d.Now, d.TokenMaxLifetime),
			registry: d.Registry, keys: d.Keys, links: d.Store, users: d.Store,
		},
		linker: identifiers.NewLinker(d.Store, d.Now, d.Keys),
		users:  users.New(d.Store, d.Now, d.SigningKeys, d.UserTokenTTL),
	}
}

// needs are what every route of the surface reads: the service keys (the
// token, the pepper), the registry (the partner) and the table.
const needs = app.NeedRegistry | app.NeedServiceKeys | app.NeedTable

// The routes of the surface, one function each; every 500 is ER999.
var (
	LinkIdentifierRoute = router.Of("link-identifier", "POST /api/v2/user/link-identifier", "", newAPI, (*API).LinkIdentifier).Needing(needs)
	UserInfoRoute       = router.Of("user-info", "GET /api/v2/user/info", "", newAPI, (*API).UserInfo).Needing(needs)
)
