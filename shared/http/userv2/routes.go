package userv2

import (
	"context"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/identifiers"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/domain/servicekeys"
	"github.com/partner-identity/api/shared/domain/tokenauth"
	"github.com/partner-identity/api/shared/http/httpx"
)

// Deps are what the surface's handlers use, and nothing else.
type Deps struct {
	// Partners is the partner registry (a partner's key with
	// User-Identifier); Keys hold the identifier pepper; Tokens
	// authenticate user tokens.
	Partners partners.Lookup
	Keys     func(context.Context) (*servicekeys.Keys, error)
	Tokens   *tokenauth.Authenticator
	// Store reads links and users; Linker links identifiers.
	Store interface {
		domain.Links
		domain.Users
	}
	Linker *identifiers.Linker
	Now    func() time.Time
	// AccessTokens check partner access tokens (Authorization: Bearer),
	// accepted in place of the partner's key.
	AccessTokens *partners.AccessTokens
}

// API is the User v2 surface.
type API struct {
	auth *authenticator
	d    Deps
}

// New is the surface over d.
func New(d Deps) *API {
	return &API{d: d, auth: &authenticator{tokens: d.Tokens, partners: d.Partners, accessTokens: d.AccessTokens,
		keys: d.Keys, links: d.Store, users: d.Store}}
}

// The routes of the surface, one function each; every 500 is ER999.
var (
	LinkIdentifierRoute = httpx.Route[*API]{Name: "link-identifier", Pattern: "POST /api/v2/user/link-identifier", Handle: (*API).LinkIdentifier}
	UserInfoRoute       = httpx.Route[*API]{Name: "user-info", Pattern: "GET /api/v2/user/info", Handle: (*API).UserInfo}
	Routes              = []httpx.Route[*API]{LinkIdentifierRoute, UserInfoRoute}
)
