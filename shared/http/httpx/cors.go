package httpx

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// CORS as template.yaml configures it on the HTTP API (CorsConfiguration),
// where API Gateway answers preflights itself; cmd/local-api serves the
// same through CORS. A test holds these lists to the template's. A page
// may send a user token's headers, never partner-api-key: the partner's
// key is a server-to-server credential, which no browser should hold.
var (
	CORSAllowHeaders  = []string{"authorization", "content-type", "user-authorization", "user-identifier"}
	CORSAllowMethods  = []string{"DELETE", "GET", "POST", "PUT"}
	CORSExposeHeaders = []string{"idempotent-replayed", "ratelimit", "ratelimit-policy", "retry-after", "x-request-id"}
)

// CORSMaxAge is how long a browser may keep a preflight's answer, in seconds.
const CORSMaxAge = 600

// CORS answers preflights (OPTIONS with Origin and
// Access-Control-Request-Method) from origins with 204 and the allowed
// methods and headers, and adds Access-Control-Allow-Origin and the exposed
// headers to every response to such an origin. "*" in origins allows any.
// A request from another origin, or without one, is served as it is. A
// preflight's answer carries what every response does (request id,
// Cache-Control, nosniff); in AWS, API Gateway answers preflights itself
// (docs/openapi.yaml says what its answers carry).
func CORS(origins []string, h http.Handler) http.Handler {
	anyOrigin := slices.Contains(origins, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || !(anyOrigin || slices.Contains(origins, origin)) {
			h.ServeHTTP(w, r)
			return
		}
		hdr := w.Header()
		if anyOrigin {
			hdr.Set("Access-Control-Allow-Origin", "*")
		} else {
			hdr.Set("Access-Control-Allow-Origin", origin)
			hdr.Add("Vary", "Origin")
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			hdr.Set("Access-Control-Allow-Methods", strings.Join(CORSAllowMethods, ","))
			hdr.Set("Access-Control-Allow-Headers", strings.Join(CORSAllowHeaders, ","))
			hdr.Set("Access-Control-Max-Age", strconv.Itoa(CORSMaxAge))
			setEveryResponsesHeaders(hdr, requestIDFor(r))
			w.WriteHeader(http.StatusNoContent)
			return
		}
		hdr.Set("Access-Control-Expose-Headers", strings.Join(CORSExposeHeaders, ","))
		h.ServeHTTP(w, r)
	})
}
