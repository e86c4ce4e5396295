// Package wellknown holds the API's published documents under
// /.well-known/ (RFC 8615): the JWK Set of the keys that verify the
// tokens the API mints (RFC 7517), for partners that check a token
// offline.
package wellknown

import (
	"context"
	"net/http"
	"strconv"

	"github.com/partner-identity/api/shared/domain/servicekeys"
	"github.com/partner-identity/api/shared/http/httpx"
)

// Deps are what the documents are made of: the service keys (their
// public halves only are published).
type Deps struct {
	Keys func(context.Context) (*servicekeys.Keys, error)
}

// API serves the documents.
type API struct{ d Deps }

// New is the surface over d.
func New(d Deps) *API { return &API{d: d} }

// The routes, one function each.
var (
	JWKSRoute = httpx.Route[*API]{Name: "jwks", Pattern: "GET /.well-known/jwks.json", Handle: (*API).JWKS}
	Routes    = []httpx.Route[*API]{JWKSRoute}
)

// MaxAge is how long a client or a cache may keep the JWK Set, in
// seconds. A new key is published before it signs (README, "Rotating the
// token keys"): a function holds the service keys up to 5 minutes, a
// client the set up to MaxAge more.
const MaxAge = 300

// contentType is RFC 7517's media type of a JWK Set.
const contentType = "application/jwk-set+json"

// JWKS is GET /.well-known/jwks.json: the verification keys of user
// tokens and partner tokens (one key set signs both; their audiences tell
// them apart), each kty OKP, crv Ed25519, with its kid, use sig and alg
// EdDSA: every key that may still verify a live token. Public, without a
// credential; cacheable for MaxAge seconds. A query string is ignored.
func (a *API) JWKS(w http.ResponseWriter, r *http.Request) error {
	keys, err := a.d.Keys(r.Context())
	if err != nil {
		return err
	}
	// Public keys, the same for everyone: unlike every other answer, a
	// cache may keep them.
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(MaxAge))
	httpx.WriteJSON(w, http.StatusOK, contentType, keys.JWKS())
	return nil
}
