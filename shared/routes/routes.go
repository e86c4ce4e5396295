// Package routes is the one list of the API's routes: each function's main
// serves one of them, cmd/local-api serves them all, and tests check the
// list against docs/openapi.yaml and template.yaml.
package routes

import (
	"net/http"
	"strings"
	"time"

	"github.com/partner-identity/api/shared/apierr"
	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/fedapi"
	"github.com/partner-identity/api/shared/httpx"
	"github.com/partner-identity/api/shared/identifiers"
	"github.com/partner-identity/api/shared/kyc"
	"github.com/partner-identity/api/shared/partnerapi"
	"github.com/partner-identity/api/shared/userapi"
	"github.com/partner-identity/api/shared/userauth"
	"github.com/partner-identity/api/shared/users"
	"github.com/partner-identity/api/shared/webhooks"
)

// Route is one endpoint: its function name (functions/<Name>), its ServeMux
// pattern, its surface's dialect and its handler.
type Route struct {
	Name    string
	Pattern string
	Dialect httpx.Dialect
	Handler func(*app.Deps) http.Handler
}

func partnerAPI(d *app.Deps) *partnerapi.API {
	return &partnerapi.API{
		Registry: d.Registry,
		Users:    &users.Service{Store: d.Store, Now: d.Now},
		KYC:      &kyc.Service{Store: d.Store, Now: d.Now, SessionTTL: d.KYCSessionTTL, Retention: d.KYCRetention},
		Keys:     d.Keys,
		TokenTTL: d.UserTokenTTL,
	}
}

func authenticator(d *app.Deps) userauth.Authenticator {
	return userauth.Authenticator{Registry: d.Registry, Keys: d.Keys, Store: d.Store, Now: d.Now}
}

func fedAPI(d *app.Deps) *fedapi.API { return &fedapi.API{Auth: authenticator(d)} }

func userAPI(d *app.Deps) *userapi.API {
	return &userapi.API{
		Auth:   &userapi.Auth{Authenticator: authenticator(d)},
		Linker: &identifiers.Linker{Store: d.Store, Now: d.Now},
	}
}

// The routes.
var (
	CreateUser = Route{"create-user", "POST /api/partner/v2/users", partnerapi.Dialect,
		func(d *app.Deps) http.Handler { return partnerAPI(d).CreateUser() }}
	GetUser = Route{"get-user", "GET /api/partner/v2/users/{userId}", partnerapi.Dialect,
		func(d *app.Deps) http.Handler { return partnerAPI(d).GetUser() }}
	FindUser = Route{"find-user", "GET /api/partner/v2/users", partnerapi.Dialect,
		func(d *app.Deps) http.Handler { return partnerAPI(d).FindUser() }}
	CreateVerificationLink = Route{"create-verification-link", "POST /api/partner/v2/users/{userId}/kyc/verification-link", partnerapi.Dialect,
		func(d *app.Deps) http.Handler { return partnerAPI(d).CreateVerificationLink() }}
	CreateUserToken = Route{"create-user-token", "POST /api/partner/v2/users/{userId}/token", partnerapi.Dialect,
		func(d *app.Deps) http.Handler { return partnerAPI(d).CreateUserToken() }}
	LinkIdentifier = Route{"link-identifier", "POST /api/v2/user/link-identifier", userapi.Dialect,
		func(d *app.Deps) http.Handler { return userAPI(d).LinkIdentifier() }}
	UserInfo = Route{"user-info", "GET /api/v2/user/info", userapi.Dialect,
		func(d *app.Deps) http.Handler { return userAPI(d).UserInfo() }}
	SetFederatedIdentity = Route{"set-federated-identity", "PUT /federated-identities/{identityProvider}", fedapi.Dialect,
		func(d *app.Deps) http.Handler { return fedAPI(d).SetIdentity() }}
	DeleteFederatedIdentity = Route{"delete-federated-identity", "DELETE /federated-identities/{identityProvider}", fedapi.Dialect,
		func(d *app.Deps) http.Handler { return fedAPI(d).DeleteIdentity() }}
	ListFederatedIdentities = Route{"list-federated-identities", "GET /federated-identities", fedapi.Dialect,
		func(d *app.Deps) http.Handler { return fedAPI(d).ListIdentities() }}
)

// All is every route.
func All() []Route {
	return []Route{CreateUser, GetUser, FindUser, CreateVerificationLink, CreateUserToken, LinkIdentifier, UserInfo,
		SetFederatedIdentity, DeleteFederatedIdentity, ListFederatedIdentities}
}

// Dispatcher delivers outbox events to partners' webhooks.
func Dispatcher(d *app.Deps) *webhooks.Dispatcher {
	return &webhooks.Dispatcher{Store: d.Store, Registry: d.Registry, Now: d.Now, DeadLetters: d.DeadLetters,
		Sender: webhooks.NewSender(webhooks.DefaultTimeout, d.WebhookAllowHTTP)}
}

// Cleaner is the scheduled cleanup of expired KYC sessions.
func Cleaner(d *app.Deps) *kyc.Cleaner { return &kyc.Cleaner{Store: d.Store, Now: d.Now} }

// Mux serves rs (each wrapped with request id, logging and recovery), and
// answers anything else with 404 or 405 in the dialect of the path's surface.
func Mux(d *app.Deps, rs ...Route) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range rs {
		mux.Handle(rt.Pattern, httpx.Wrap(rt.Name, rt.Dialect, rt.Handler(d)))
	}
	fallback := httpx.Wrap("unmatched", partnerapi.Dialect, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if allow := allowed(mux, r); allow != "" {
			w.Header().Set("Allow", allow)
			dialectFor(r.URL.Path).WriteError(w, r, apierr.MethodNotAllowed())
			return
		}
		dialectFor(r.URL.Path).WriteError(w, r, apierr.RouteNotFound())
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			fallback.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// allowed lists the methods that the path does serve.
func allowed(mux *http.ServeMux, r *http.Request) string {
	var methods []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" {
			methods = append(methods, m)
		}
	}
	return strings.Join(methods, ", ")
}

// dialectFor picks the surface of an unmatched path.
func dialectFor(path string) httpx.Dialect {
	if strings.HasPrefix(path, "/api/v2/user/") {
		return userapi.Dialect
	}
	if path == "/federated-identities" || strings.HasPrefix(path, "/federated-identities/") {
		return fedapi.Dialect
	}
	return partnerapi.Dialect
}

// Timeout of one local request, like the functions' timeout in template.yaml.
const Timeout = 10 * time.Second
