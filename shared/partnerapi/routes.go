package partnerapi

import (
	"net/http"

	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/kyc"
	"github.com/partner-identity/api/shared/router"
	"github.com/partner-identity/api/shared/users"
)

// New is the surface over a container's dependencies.
func New(d *app.Deps) *API {
	return &API{
		Registry: d.Registry,
		Users:    &users.Service{Store: d.Store, Now: d.Now},
		KYC:      &kyc.Service{Store: d.Store, Now: d.Now, SessionTTL: d.KYCSessionTTL, Retention: d.KYCRetention},
		Keys:     d.Keys,
		TokenTTL: d.UserTokenTTL,
	}
}

func route(name, pattern string, h func(*API) http.Handler) router.Route {
	return router.Route{Name: name, Pattern: pattern, Dialect: Dialect,
		Handler: func(d *app.Deps) http.Handler { return h(New(d)) }}
}

// The routes of the surface, one function each.
var (
	CreateUserRoute             = route("create-user", "POST /api/partner/v2/users", (*API).CreateUser)
	GetUserRoute                = route("get-user", "GET /api/partner/v2/users/{userId}", (*API).GetUser)
	FindUserRoute               = route("find-user", "GET /api/partner/v2/users", (*API).FindUser)
	CreateVerificationLinkRoute = route("create-verification-link", "POST /api/partner/v2/users/{userId}/kyc/verification-link", (*API).CreateVerificationLink)
	CreateUserTokenRoute        = route("create-user-token", "POST /api/partner/v2/users/{userId}/token", (*API).CreateUserToken)
)
