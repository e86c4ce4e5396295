package apierr

import "net/http"

// The federated identities surface's errors (seed 002, JSON:API). The seed
// fixes one code, missing-linked-identity, with its title and detail; the
// others follow its style (kebab-case codes, a title that does not change,
// a detail for the occurrence).
//
// Each function returns a new *Error, so that the catalog cannot be
// changed at run time.

func MissingLinkedIdentity() *Error {
	return jsonAPI(http.StatusUnauthorized, "missing-linked-identity", "Missing linked identity for authorized access", "Linked identity is needed to access this resource, please check why the user does not have a linked identity")
}

func TokenMissing() *Error {
	return jsonAPI(http.StatusUnauthorized, "token-missing", "Missing access token", "Send the user token as Authorization: Bearer <token>.")
}

func TokenExpired() *Error {
	return jsonAPI(http.StatusUnauthorized, "token-expired", "Expired access token", "The user token has expired; request a new one.")
}

func TokenInvalid() *Error {
	return jsonAPI(http.StatusUnauthorized, "token-invalid", "Invalid access token", "The user token is invalid.")
}

func TokenUserGone() *Error {
	return jsonAPI(http.StatusUnauthorized, "user-not-found", "User not found", "The user of the token does not exist or has been deleted.")
}

func IdentityProviderNotFound() *Error {
	return jsonAPI(http.StatusNotFound, "identity-provider-not-found", "Identity provider not found", "No identity provider is registered under this name.")
}

func FederatedIdentityNotFound() *Error {
	return jsonAPI(http.StatusNotFound, "federated-identity-not-found", "Federated identity not found", "The user has no federated identity with this identity provider.")
}

// UnsupportedMediaType is JSON:API 1.1's 415: a request's Content-Type is
// the JSON:API media type with a parameter other than ext or profile, or
// an extension this API does not support (it supports none).
func UnsupportedMediaType() *Error {
	return jsonAPI(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
		"application/vnd.api+json may carry only the ext and profile parameters, and this API supports no extension.")
}

// NotAcceptable is JSON:API 1.1's 406: every JSON:API media type in Accept
// carries a parameter other than ext or profile, or an unsupported
// extension.
func NotAcceptable() *Error {
	return jsonAPI(http.StatusNotAcceptable, "not-acceptable", "Not acceptable",
		"Accept application/vnd.api+json without parameters other than profile (this API supports no extension).")
}

func JSONAPIInternal() *Error {
	return jsonAPI(http.StatusInternalServerError, "internal-server-error", "Internal server error", "An unexpected error occurred; try again later.")
}

// jsonAPI is an error of the surface: its title and its detail (the message).
func jsonAPI(status int, code, title, detail string) *Error {
	return &Error{Status: status, Code: code, Title: title, Message: detail}
}

// InvalidQueryParameter is JSON:API 1.1's 400 for a query parameter the
// endpoint does not support (include, sort, an unknown family) or a bad
// value of one it does; parameter names it in source.parameter ("" for a
// malformed query string, where no one parameter can be named).
func InvalidQueryParameter(parameter, detail string) *Error {
	return jsonAPI(http.StatusBadRequest, "invalid-query-parameter", "Invalid query parameter", detail).WithParameter(parameter)
}
