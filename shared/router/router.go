// Package router serves a function's routes: each Lambda function serves
// one route (functions/<name>/main.go), cmd/local-api serves them all
// (package surface lists them). It imports no surface, so a function links
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
// pattern, the message of its 500 (apierr.MsgInternal when empty) and its
// handler over a container's dependencies. Its dialect is its path's
// (dialects.ForPath): no route states it.
type Route struct {
	Name    string
	Pattern string
	Failure string
	Handler func(*app.Deps) httpx.Handler
	// Needs are what its requests read over the network, which its
	// function starts fetching during initialisation (app.Deps.Prefetch).
	Needs app.Needs
}

// Needing is rt with its needs.
func (rt Route) Needing(n app.Needs) Route {
	rt.Needs = n
	return rt
}

// Of is the route of method h of a surface's API, which newAPI builds over
// a container's dependencies.
func Of[API any](name, pattern, failure string, newAPI func(*app.Deps) API, h func(API, http.ResponseWriter, *http.Request) error) Route {
	return Route{Name: name, Pattern: pattern, Failure: failure, Handler: func(deps *app.Deps) httpx.Handler {
		api := newAPI(deps)
		return func(w http.ResponseWriter, r *http.Request) error { return h(api, w, r) }
	}}
}

// Path is the path of the route's pattern ("POST /a/{b}" is "/a/{b}").
func (rt Route) Path() string {
	_, p, _ := strings.Cut(rt.Pattern, " ")
	return p
}

// Mux serves rs (each wrapped with request id, logging, error rendering and
// recovery), and answers anything else with 404 or 405 in the dialect of
// the path's surface.
func Mux(d *app.Deps, rs ...Route) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range rs {
		mux.Handle(rt.Pattern, httpx.Wrap(httpx.Route{Name: rt.Name, Dialect: dialects.ForPath(rt.Path()), Failure: rt.Failure}, rt.Handler(d)))
	}
	return withFallback(mux)
}

// Unmatched answers what API Gateway's $default route brings, the requests
// no route of rs matches, as Mux does: 405 with Allow when the path is a
// route's with another method, else 404, in the dialect of the path's
// surface. It builds no handler of rs; their patterns only tell the methods.
func Unmatched(rs ...Route) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range rs {
		mux.Handle(rt.Pattern, httpx.Wrap(httpx.Route{Name: "unmatched", Dialect: dialects.ForPath(rt.Path())},
			func(http.ResponseWriter, *http.Request) error { return apierr.RouteNotFound() }))
	}
	return withFallback(mux)
}

// withFallback serves mux, and answers what it does not match with 404 or
// 405 in the path's dialect.
func withFallback(mux *http.ServeMux) http.Handler {
	fallback := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		unmatched := httpx.Route{Name: "unmatched", Dialect: dialects.ForPath(r.URL.Path)}
		httpx.Wrap(unmatched, func(w http.ResponseWriter, r *http.Request) error {
			if allow := allowed(mux, r); allow != "" && clean(r.URL.Path) {
				w.Header().Set("Allow", allow)
				return apierr.MethodNotAllowed()
			}
			return apierr.RouteNotFound()
		}).ServeHTTP(w, r)
	})
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

// Timeout of one local request, like the functions' timeout in template.yaml.
const Timeout = 10 * time.Second
