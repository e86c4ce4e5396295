package federatedids

import (
	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/federation"
	"github.com/partner-identity/api/shared/router"
	"github.com/partner-identity/api/shared/tokenauth"
)

// newAPI is the surface over a container's dependencies.
func newAPI(d *app.Deps) *API {
	return &API{
		auth:       tokenauth.New(d.Registry, d.Keys, d.Store, d.Now, d.TokenMaxLifetime),
		federation: federation.New(d.Store, d.Now),
	}
}

// needs are what every route of the surface reads: the service keys (the
// token), the registry (the token's partner) and the table.
const needs = app.NeedRegistry | app.NeedServiceKeys | app.NeedTable

// The routes of the surface, one function each; every 500 is the
// dialect's internal-server-error.
var (
	SetIdentityRoute    = router.Of("set-federated-identity", "PUT /federated-identities/{identityProvider}", "", newAPI, (*API).SetIdentity).Needing(needs)
	DeleteIdentityRoute = router.Of("delete-federated-identity", "DELETE /federated-identities/{identityProvider}", "", newAPI, (*API).DeleteIdentity).Needing(needs)
	ListIdentitiesRoute = router.Of("list-federated-identities", "GET /federated-identities", "", newAPI, (*API).ListIdentities).Needing(needs)
)
