// Package dialects renders the shared error model (package apierr) and
// success bodies in each surface's wire format. ForPath is the one place
// that says which surface, and so which dialect, a path belongs to.
package httpx

import (
	"net/http"
	"strings"
	"time"

	"github.com/partner-identity/api/shared/http/apierr"
)

const contentTypeJSON = "application/json"

// partnerV2 is the dialect of /api/partner/v2 (seeds 001 and 003):
// {"success":true,"data":{...}} and
// {"success":false,"error":{"code","message","details":[{"field","issue"}]}}.
type partnerV2 struct{}

type partnerV2Error struct {
	Success bool              `json:"success"`
	Error   partnerV2ErrorObj `json:"error"`
}

type partnerV2ErrorObj struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Details []apierr.Detail `json:"details,omitempty"`
}

type partnerV2OK struct {
	Success bool `json:"success"`
	Data    any  `json:"data"`
}

// WriteError renders e; a 5xx never carries details.
func (partnerV2) WriteError(w http.ResponseWriter, _ *http.Request, e *apierr.Error) {
	body := partnerV2Error{Error: partnerV2ErrorObj{Code: e.Code, Message: e.Message}}
	if e.Status < 500 {
		body.Error.Details = e.Details
	}
	WriteJSON(w, e.Status, contentTypeJSON, body)
}

// WritePartnerV2NoContent answers 204, which has no body.
func WritePartnerV2NoContent(w http.ResponseWriter) {
	w.WriteHeader(http.StatusNoContent)
}

// WritePartnerV2 renders a Partner v2 success body.
func WritePartnerV2(w http.ResponseWriter, status int, data any) {
	WriteJSON(w, status, contentTypeJSON, partnerV2OK{Success: true, Data: data})
}

// ForPath is the dialect of the surface that serves path: User v2 under
// /api/v2/user/, JSON:API under /federated-identities, Partner v2 for
// anything else (its own /api/partner/v2/ and unknown paths).
func ForPath(path string) Dialect {
	switch {
	case strings.HasPrefix(path, "/api/v2/user/"):
		return userV2{}
	case path == "/federated-identities" || strings.HasPrefix(path, "/federated-identities/"):
		return jsonAPI{}
	case path == "/oauth2" || strings.HasPrefix(path, "/oauth2/"):
		return oauth2{}
	}
	return partnerV2{}
}

// RateLimited is the dialect's 429.
func (partnerV2) RateLimited(retryAfter time.Duration) *apierr.Error {
	return apierr.RateLimited(retryAfter)
}
