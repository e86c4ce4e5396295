package apierr

import "net/http"

// The token endpoint's errors (POST /oauth2/token): RFC 6749 section 5.2's
// codes, with a description for the occurrence.
const (
	OAuthInvalidRequestCode       = "invalid_request"
	OAuthInvalidClientCode        = "invalid_client"
	OAuthUnauthorizedClientCode   = "unauthorized_client"
	OAuthUnsupportedGrantTypeCode = "unsupported_grant_type"
	OAuthInvalidScopeCode         = "invalid_scope"
	OAuthServerErrorCode          = "server_error"
)

// OAuthInvalidRequest: a missing or repeated parameter, a body that is not
// form-encoded, two client authentication methods.
func OAuthInvalidRequest(description string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: OAuthInvalidRequestCode, Message: description}
}

// OAuthInvalidClient is 401 (the dialect adds WWW-Authenticate): the
// client could not be authenticated, whichever of its id and secret was
// wrong.
func OAuthInvalidClient() *Error {
	return &Error{Status: http.StatusUnauthorized, Code: OAuthInvalidClientCode,
		Message: "Client authentication failed: client_id must be your partner id and client_secret one of your live API keys."}
}

func OAuthUnauthorizedClient() *Error {
	return &Error{Status: http.StatusBadRequest, Code: OAuthUnauthorizedClientCode,
		Message: "The partner may not obtain access tokens (it is suspended)."}
}

func OAuthUnsupportedGrantType() *Error {
	return &Error{Status: http.StatusBadRequest, Code: OAuthUnsupportedGrantTypeCode,
		Message: "Only grant_type=client_credentials is supported."}
}

func OAuthInvalidScope() *Error {
	return &Error{Status: http.StatusBadRequest, Code: OAuthInvalidScopeCode,
		Message: "This API defines no scopes: send no scope parameter."}
}
