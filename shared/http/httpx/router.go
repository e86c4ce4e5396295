package httpx

import (
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/partner-identity/api/shared/http/apierr"
)

// Route is one endpoint of a surface whose handlers are methods of API: its
// function name (functions/<Name>), its ServeMux pattern, the message of
// its 500 (apierr.MsgInternal when empty) and its handler. Its dialect is
// its path's (ForPath): no route states it. Each Lambda function serves
// one route (bound to its surface's API by the Lambda side); cmd/local-api
// serves them all.
type Route[API any] struct {
	Name    string
	Pattern string
	Failure string
	// Budget is the partner's rate budget the route draws on (the default
	// budget when empty): an expensive operation has a smaller one.
	Budget string
	Handle func(API, http.ResponseWriter, *http.Request) error
}

// On is rt bound to api: the endpoint a mux serves.
func (rt Route[API]) On(api API) Endpoint {
	e := rt.Info()
	e.Handler = func(w http.ResponseWriter, r *http.Request) error { return rt.Handle(api, w, r) }
	return e
}

// Info is rt without its handler: what the lists of routes and the
// $default route need.
func (rt Route[API]) Info() Endpoint {
	return Endpoint{Name: rt.Name, Pattern: rt.Pattern, Failure: rt.Failure, Budget: rt.Budget}
}

// Endpoint is a route as a mux serves it: bound to its surface's API
// (Handler), or only described (Handler nil).
type Endpoint struct {
	Name, Pattern, Failure, Budget string
	Handler                        Handler
}

// Path is the path of the endpoint's pattern ("POST /a/{b}" is "/a/{b}").
func (e Endpoint) Path() string {
	_, p, _ := strings.Cut(e.Pattern, " ")
	return p
}

// Mux serves eps (each wrapped with request id, logging, error rendering
// and recovery), and answers anything else with 404 or 405 in the dialect
// of the path's surface.
func Mux(eps ...Endpoint) http.Handler {
	mux := http.NewServeMux()
	for _, e := range eps {
		mux.Handle(e.Pattern, Wrap(WrapRoute{Name: e.Name, Dialect: ForPath(e.Path()), Failure: e.Failure, Budget: e.Budget}, e.Handler))
	}
	return withFallback(mux)
}

// Unmatched answers what API Gateway's $default route brings, the requests
// no route of rs matches, as Mux does: 405 with Allow when the path is a
// route's with another method, else 404, in the dialect of the path's
// surface. It builds no handler of rs; their patterns only tell the methods.
func Unmatched(eps ...Endpoint) http.Handler {
	mux := http.NewServeMux()
	for _, e := range eps {
		mux.Handle(e.Pattern, Wrap(WrapRoute{Name: "unmatched", Dialect: ForPath(e.Path())},
			func(http.ResponseWriter, *http.Request) error { return apierr.RouteNotFound() }))
	}
	return withFallback(mux)
}

// withFallback serves mux, and answers what it does not match with 404 or
// 405 in the path's dialect.
func withFallback(mux *http.ServeMux) http.Handler {
	fallback := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		unmatched := WrapRoute{Name: "unmatched", Dialect: ForPath(r.URL.Path)}
		Wrap(unmatched, func(w http.ResponseWriter, r *http.Request) error {
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
		// HEAD is no route's method: ServeMux would serve it with the GET
		// route, where API Gateway brings it to $default; both answer 405.
		if !clean(r.URL.Path) || r.Method == http.MethodHead {
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
