// Package oauth is the token endpoint of the OAuth 2.0 client credentials
// grant (RFC 6749 section 4.4): POST /oauth2/token exchanges a partner's
// id and one of its live API keys for a partner access token, accepted
// wherever the key is. Errors are RFC 6749 section 5.2's.
package oauth

import (
	"math"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/domain/ratelimit"
	"github.com/partner-identity/api/shared/http/apierr"
	"github.com/partner-identity/api/shared/http/httpx"
)

// Deps are what the endpoint uses: the partners' access tokens.
type Deps struct {
	Tokens *partners.AccessTokens
	Now    func() time.Time
}

// API is the token endpoint.
type API struct{ d Deps }

// New is the endpoint over d.
func New(d Deps) *API {
	if d.Now == nil {
		d.Now = time.Now
	}
	return &API{d: d}
}

// The routes, one function each.
var (
	TokenRoute = httpx.Route[*API]{Name: "oauth2-token", Pattern: "POST /oauth2/token", Budget: ratelimit.Tokens, Handle: (*API).Token}
	Routes     = []httpx.Route[*API]{TokenRoute}
)

// tokenResponse is RFC 6749 section 5.1's successful response.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// Token is POST /oauth2/token: a form-encoded body
// (application/x-www-form-urlencoded) with grant_type=client_credentials;
// the client authenticated with HTTP Basic (client_id and client_secret,
// each form-encoded, as RFC 6749 section 2.3.1 says) or with client_id and
// client_secret in the body, never both. 200 {"access_token",
// "token_type":"Bearer","expires_in"} with Cache-Control: no-store and
// Pragma: no-cache. Errors: invalid_request (400: not a form, a parameter
// missing or repeated, two authentication methods), invalid_client (401
// with WWW-Authenticate: whichever of the id and the secret is wrong),
// unsupported_grant_type, invalid_scope (this API defines none),
// unauthorized_client (a suspended partner). Unknown parameters are
// ignored, as the RFC requires.
func (a *API) Token(w http.ResponseWriter, r *http.Request) error {
	form, err := readForm(r)
	if err != nil {
		return err
	}
	switch grant := form.Get("grant_type"); {
	case grant == "":
		return apierr.OAuthInvalidRequest("grant_type is required.")
	case grant != "client_credentials":
		return apierr.OAuthUnsupportedGrantType()
	}
	if form.Get("scope") != "" {
		return apierr.OAuthInvalidScope()
	}
	id, secret, err := client(r, form)
	if err != nil {
		return err
	}
	// The partner the token is for, for the log line (never the key), and
	// its tokens budget.
	admit := func(p *partners.Partner) error { return httpx.Admit(r, p.ID, p.Limits) }
	minted, err := a.d.Tokens.IssueAdmitted(r.Context(), id, secret, admit)
	if _, limited := apierr.As(err); limited {
		return err
	}
	if e, refused := domain.As(err); refused {
		if e.Kind == domain.Forbidden {
			return apierr.OAuthUnauthorizedClient()
		}
		return apierr.OAuthInvalidClient()
	}
	if err != nil {
		return err
	}
	w.Header().Set("Pragma", "no-cache")
	httpx.WriteJSON(w, http.StatusOK, "application/json", tokenResponse{AccessToken: minted.Token, TokenType: "Bearer",
		ExpiresIn: int64(math.Ceil(minted.ExpiresAt.Sub(a.d.Now()).Seconds()))})
	return nil
}

// readForm reads the body as RFC 6749 section 3.2 wants it: form-encoded,
// each parameter at most once, within the API's body limit.
func readForm(r *http.Request) (url.Values, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, apierr.OAuthInvalidRequest("The body must be application/x-www-form-urlencoded.")
	}
	body, bad := httpx.ReadRaw(r)
	if bad != nil {
		return nil, apierr.OAuthInvalidRequest("The body " + bad.Issue + ".")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, apierr.OAuthInvalidRequest("The body is not valid form encoding.")
	}
	for name, values := range form {
		if len(values) > 1 {
			return nil, apierr.OAuthInvalidRequest("Each parameter may be given once; " + name + " is repeated.")
		}
	}
	return form, nil
}

// client is the client's id and secret, from HTTP Basic or from the body
// (client_id and client_secret), never both (RFC 6749 section 2.3: one
// method per request): invalid_request for both, invalid_client for none
// or a malformed Basic header.
func client(r *http.Request, form url.Values) (id, secret string, err error) {
	inBody := form.Has("client_id") || form.Has("client_secret")
	authz := strings.TrimSpace(r.Header.Get("Authorization"))
	switch {
	case authz != "" && inBody:
		return "", "", apierr.OAuthInvalidRequest("Authenticate the client one way: HTTP Basic or client_id and client_secret in the body, not both.")
	case authz != "":
		return basic(r)
	case form.Get("client_id") == "" || form.Get("client_secret") == "":
		return "", "", apierr.OAuthInvalidClient()
	}
	return form.Get("client_id"), form.Get("client_secret"), nil
}

// basic reads the request's HTTP Basic credentials (net/http's
// BasicAuth), whose user and password are the form-encoded client_id and
// client_secret.
func basic(r *http.Request) (id, secret string, err error) {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return "", "", apierr.OAuthInvalidClient()
	}
	if id, err = url.QueryUnescape(user); err == nil {
		secret, err = url.QueryUnescape(pass)
	}
	if err != nil || id == "" || secret == "" {
		return "", "", apierr.OAuthInvalidClient()
	}
	return id, secret, nil
}
