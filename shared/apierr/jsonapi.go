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
	return inPath(jsonAPI(http.StatusNotFound, "identity-provider-not-found", "Identity provider not found", "No identity provider is registered under this name."), "identityProvider")
}

func FederatedIdentityNotFound() *Error {
	return inPath(jsonAPI(http.StatusNotFound, "federated-identity-not-found", "Federated identity not found", "The user has no federated identity with this identity provider."), "identityProvider")
}

func JSONAPIInternal() *Error {
	return jsonAPI(http.StatusInternalServerError, "internal-server-error", "Internal server error", "An unexpected error occurred; try again later.")
}

// jsonAPI is an error of the surface: its title and its detail (the message).
func jsonAPI(status int, code, title, detail string) *Error {
	return &Error{Status: status, Code: code, Title: title, Message: detail}
}

// inPath is e blaming the path parameter name.
func inPath(e *Error, name string) *Error {
	e.Parameter = name
	return e
}
