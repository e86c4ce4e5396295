package partnerapi

import (
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

// The routes of the surface, one function each.
var (
	CreateUserRoute             = router.Of("create-user", "POST /api/partner/v2/users", Dialect, New, (*API).CreateUser)
	GetUserRoute                = router.Of("get-user", "GET /api/partner/v2/users/{userId}", Dialect, New, (*API).GetUser)
	FindUserRoute               = router.Of("find-user", "GET /api/partner/v2/users", Dialect, New, (*API).FindUser)
	CreateVerificationLinkRoute = router.Of("create-verification-link", "POST /api/partner/v2/users/{userId}/kyc/verification-link", Dialect, New, (*API).CreateVerificationLink)
	CreateUserTokenRoute        = router.Of("create-user-token", "POST /api/partner/v2/users/{userId}/token", Dialect, New, (*API).CreateUserToken)
)
