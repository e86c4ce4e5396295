package userapi

import (
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

// The routes of the surface, one function each.
var (
	LinkIdentifierRoute = router.Of("link-identifier", "POST /api/v2/user/link-identifier", Dialect, New, (*API).LinkIdentifier)
	UserInfoRoute       = router.Of("user-info", "GET /api/v2/user/info", Dialect, New, (*API).UserInfo)
)
