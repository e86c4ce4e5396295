package httpx

import (
	"net/http"
	"strconv"
	"time"

	"github.com/partner-identity/api/shared/http/apierr"
)

// contentTypeJSONAPI is the media type of every response of the federated
// identities surface, errors included.
const contentTypeJSONAPI = "application/vnd.api+json"

// jsonAPI is the dialect of /federated-identities (seed 002):
// {"errors":[{"id","status","code","title","detail","source"}]}, where id is
// the request id and status the HTTP status as a string.
type jsonAPI struct{}

type jsonAPIError struct {
	ID     string         `json:"id"`
	Status string         `json:"status"`
	Code   string         `json:"code"`
	Title  string         `json:"title"`
	Detail string         `json:"detail"`
	Source *jsonAPISource `json:"source,omitempty"`
}

type jsonAPISource struct {
	Pointer   string `json:"pointer,omitempty"`
	Parameter string `json:"parameter,omitempty"`
}

// WriteError renders e. An error from another catalog (a panic's 500, an
// unmatched route) gets a JSON:API code and title of its status.
func (jsonAPI) WriteError(w http.ResponseWriter, r *http.Request, e *apierr.Error) {
	if e.Title == "" {
		switch {
		case e.Status >= 500:
			e = apierr.JSONAPIInternal()
		default:
			c := *e
			c.Code, c.Title = kebab(e.Code), http.StatusText(e.Status)
			e = &c
		}
	}
	body := jsonAPIError{ID: RequestID(r.Context()), Status: strconv.Itoa(e.Status), Code: e.Code, Title: e.Title, Detail: e.Message}
	if e.Pointer != "" || e.Parameter != "" {
		body.Source = &jsonAPISource{Pointer: e.Pointer, Parameter: e.Parameter}
	}
	varyAccept(w)
	WriteJSON(w, e.Status, contentTypeJSONAPI, map[string][]jsonAPIError{"errors": {body}})
}

// WriteJSONAPI renders a JSON:API document.
func WriteJSONAPI(w http.ResponseWriter, status int, doc any) {
	varyAccept(w)
	WriteJSON(w, status, contentTypeJSONAPI, doc)
}

// WriteJSONAPINoContent answers 204, which has no body and so no
// Content-Type.
func WriteJSONAPINoContent(w http.ResponseWriter) {
	varyAccept(w)
	w.WriteHeader(http.StatusNoContent)
}

// varyAccept: the surface's answer depends on Accept (JSON:API's content
// negotiation: 406), so a cache keys it on Accept too.
func varyAccept(w http.ResponseWriter) {
	w.Header().Add("Vary", "Accept")
}

// kebab turns NOT_FOUND_ERROR into not-found-error.
func kebab(code string) string {
	b := []byte(code)
	for i, c := range b {
		switch {
		case c == '_':
			b[i] = '-'
		case c >= 'A' && c <= 'Z':
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// RateLimited is the dialect's 429.
func (jsonAPI) RateLimited(retryAfter time.Duration) *apierr.Error {
	return apierr.JSONAPIRateLimited(retryAfter)
}
