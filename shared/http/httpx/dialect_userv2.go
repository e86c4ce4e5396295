package httpx

import (
	"net/http"
	"time"

	"github.com/partner-identity/api/shared/http/apierr"
)

// userV2 is the dialect of /api/v2/user (seed 000): errors are
// {"errors":{"ER053":{"code","message","solution"}}}; success bodies are
// plain JSON objects.
type userV2 struct{}

type userV2Error struct {
	Code     string `json:"code"`
	Message  string `json:"message"`
	Solution string `json:"solution"`
}

// WriteError renders e keyed by its code. An error without a User v2 code
// (an unmatched route, a panic) is rendered as ER999, or as its own code
// for 404/405 so that a partner can tell a wrong path from a failure.
func (userV2) WriteError(w http.ResponseWriter, _ *http.Request, e *apierr.Error) {
	if e.Solution == "" && e.Status >= 500 {
		e = apierr.ER999()
	}
	WriteJSON(w, e.Status, contentTypeJSON, map[string]map[string]userV2Error{
		"errors": {e.Code: {Code: e.Code, Message: e.Message, Solution: e.Solution}},
	})
}

// WriteUserV2 renders a User v2 success body.
func WriteUserV2(w http.ResponseWriter, status int, body any) {
	WriteJSON(w, status, contentTypeJSON, body)
}

// RateLimited is the dialect's 429.
func (userV2) RateLimited(retryAfter time.Duration) *apierr.Error { return apierr.ER429(retryAfter) }
