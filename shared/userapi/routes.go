package userapi

import (
	"net/http"

	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/identifiers"
	"github.com/partner-identity/api/shared/router"
	"github.com/partner-identity/api/shared/userauth"
)

// New is the surface over a container's dependencies.
func New(d *app.Deps) *API {
	return &API{
		Auth:   &Auth{Authenticator: userauth.New(d)},
		Linker: &identifiers.Linker{Store: d.Store, Now: d.Now},
	}
}

func route(name, pattern string, h func(*API) http.Handler) router.Route {
	return router.Route{Name: name, Pattern: pattern, Dialect: Dialect,
		Handler: func(d *app.Deps) http.Handler { return h(New(d)) }}
}

// The routes of the surface, one function each.
var (
	LinkIdentifierRoute = route("link-identifier", "POST /api/v2/user/link-identifier", (*API).LinkIdentifier)
	UserInfoRoute       = route("user-info", "GET /api/v2/user/info", (*API).UserInfo)
)
