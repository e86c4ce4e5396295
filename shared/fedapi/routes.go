package fedapi

import (
	"net/http"

	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/router"
	"github.com/partner-identity/api/shared/userauth"
)

// New is the surface over a container's dependencies.
func New(d *app.Deps) *API { return &API{Auth: userauth.New(d)} }

func route(name, pattern string, h func(*API) http.Handler) router.Route {
	return router.Route{Name: name, Pattern: pattern, Dialect: Dialect,
		Handler: func(d *app.Deps) http.Handler { return h(New(d)) }}
}

// The routes of the surface, one function each.
var (
	SetIdentityRoute    = route("set-federated-identity", "PUT /federated-identities/{identityProvider}", (*API).SetIdentity)
	DeleteIdentityRoute = route("delete-federated-identity", "DELETE /federated-identities/{identityProvider}", (*API).DeleteIdentity)
	ListIdentitiesRoute = route("list-federated-identities", "GET /federated-identities", (*API).ListIdentities)
)
