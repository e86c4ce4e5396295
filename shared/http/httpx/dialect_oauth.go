package httpx

import (
	"net/http"
	"time"

	"github.com/partner-identity/api/shared/http/apierr"
)

// oauth2 is the dialect of the token endpoint (/oauth2/token), RFC 6749
// section 5.2: {"error":"invalid_client","error_description":"..."}. A 401
// carries WWW-Authenticate naming HTTP Basic, as the RFC requires. An
// error of another catalog (an unmatched method, a panic) is
// invalid_request, or server_error from 500 up.
type oauth2 struct{}

type oauth2Error struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// OAuthRealm is the realm of the token endpoint's WWW-Authenticate.
const OAuthRealm = "partner-identity-api"

func (oauth2) WriteError(w http.ResponseWriter, _ *http.Request, e *apierr.Error) {
	body := oauth2Error{Error: e.Code, Description: e.Message}
	switch e.Code {
	case apierr.OAuthInvalidRequestCode, apierr.OAuthInvalidClientCode, apierr.OAuthUnauthorizedClientCode,
		apierr.OAuthUnsupportedGrantTypeCode, apierr.OAuthInvalidScopeCode, apierr.OAuthSlowDownCode:
	default:
		body.Error = apierr.OAuthInvalidRequestCode
		if e.Status >= 500 {
			body = oauth2Error{Error: apierr.OAuthServerErrorCode, Description: "An unexpected error occurred; try again later."}
		}
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+OAuthRealm+`", charset="UTF-8"`)
	}
	WriteJSON(w, e.Status, contentTypeJSON, body)
}

// RateLimited is the dialect's 429.
func (oauth2) RateLimited(retryAfter time.Duration) *apierr.Error {
	return apierr.OAuthSlowDown(retryAfter)
}
