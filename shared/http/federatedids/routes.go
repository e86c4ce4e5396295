package federatedids

import (
	"github.com/partner-identity/api/shared/domain/federation"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/domain/tokenauth"
	"github.com/partner-identity/api/shared/http/httpx"
)

// Deps are what the surface's handlers use: the user tokens'
// authentication and the federated identities.
type Deps struct {
	Tokens     *tokenauth.Authenticator
	Federation *federation.Service
	Partners   partners.Lookup // the identity providers
}

// The routes of the surface, one function each; every 500 is the
// dialect's internal-server-error.
var (
	SetIdentityRoute    = httpx.Route[*API]{Name: "set-federated-identity", Pattern: "PUT /federated-identities/{identityProvider}", Handle: (*API).SetIdentity}
	DeleteIdentityRoute = httpx.Route[*API]{Name: "delete-federated-identity", Pattern: "DELETE /federated-identities/{identityProvider}", Handle: (*API).DeleteIdentity}
	ListIdentitiesRoute = httpx.Route[*API]{Name: "list-federated-identities", Pattern: "GET /federated-identities", Handle: (*API).ListIdentities}
	Routes              = []httpx.Route[*API]{SetIdentityRoute, DeleteIdentityRoute, ListIdentitiesRoute}
)
