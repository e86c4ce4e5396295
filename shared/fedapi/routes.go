package fedapi

import (
	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/router"
	"github.com/partner-identity/api/shared/userauth"
)

// New is the surface over a container's dependencies.
func New(d *app.Deps) *API { return &API{Auth: userauth.New(d)} }

// The routes of the surface, one function each.
var (
	SetIdentityRoute    = router.Of("set-federated-identity", "PUT /federated-identities/{identityProvider}", Dialect, New, (*API).SetIdentity)
	DeleteIdentityRoute = router.Of("delete-federated-identity", "DELETE /federated-identities/{identityProvider}", Dialect, New, (*API).DeleteIdentity)
	ListIdentitiesRoute = router.Of("list-federated-identities", "GET /federated-identities", Dialect, New, (*API).ListIdentities)
)
