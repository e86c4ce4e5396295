// Package router serves a function's routes: each Lambda function serves
// one route (functions/<name>/main.go), cmd/local-api serves them all
// (package routes lists them). It imports no surface, so a function links
// only the code of its own route.
package router

import (
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/partner-identity/api/shared/apierr"
	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/dialects"
	"github.com/partner-identity/api/shared/httpx"
)

// Route is one endpoint: its function name (functions/<Name>), its ServeMux
// pattern, its surface's dialect and its handler.
type Route struct {
	Name    string
	Pattern string
	Dialect httpx.Dialect
	Handler func(*app.Deps) http.Handler
}

// Of is the route of handler h of a surface that newAPI builds over a
// container's dependencies.
func Of[API any](name, pattern string, d httpx.Dialect, newAPI func(*app.Deps) API, h func(API) http.Handler) Route {
	return Route{Name: name, Pattern: pattern, Dialect: d, Handler: func(deps *app.Deps) http.Handler { return h(newAPI(deps)) }}
}

// Mux serves rs (each wrapped with request id, logging and recovery), and
// answers anything else with 404 or 405 in the dialect of the path's surface.
func Mux(d *app.Deps, rs ...Route) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range rs {
		mux.Handle(rt.Pattern, httpx.Wrap(rt.Name, rt.Dialect, rt.Handler(d)))
	}
	fallback := httpx.Wrap("unmatched", dialects.PartnerV2{}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if allow := allowed(mux, r); allow != "" && clean(r.URL.Path) {
			w.Header().Set("Allow", allow)
			dialectFor(r.URL.Path).WriteError(w, r, apierr.MethodNotAllowed())
			return
		}
		dialectFor(r.URL.Path).WriteError(w, r, apierr.RouteNotFound())
	}))
	// Anything no route matches (another method included) reaches the
	// fallback, which answers 405 or 404 in the path's dialect.
	mux.Handle("/", fallback)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// ServeMux would redirect a path with "//", "." or ".." segments to
		// its clean form; no route has such a path, so it is not found.
		if !clean(r.URL.Path) {
			fallback.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// clean: p is its own cleaned form.
func clean(p string) bool {
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}

// allowed lists the methods that the path does serve.
func allowed(mux *http.ServeMux, r *http.Request) string {
	var methods []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
			methods = append(methods, m)
		}
	}
	return strings.Join(methods, ", ")
}

// dialectFor picks the surface of an unmatched path.
func dialectFor(path string) httpx.Dialect {
	if strings.HasPrefix(path, "/api/v2/user/") {
		return dialects.UserV2{}
	}
	if path == "/federated-identities" || strings.HasPrefix(path, "/federated-identities/") {
		return dialects.JSONAPI{}
	}
	return dialects.PartnerV2{}
}

// Timeout of one local request, like the functions' timeout in template.yaml.
const Timeout = 10 * time.Second
