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
	return &Error{Status: http.StatusUnauthorized, Code: "missing-linked-identity",
		Title:   "Missing linked identity for authorized access",
		Message: "Linked identity is needed to access this resource, please check why the user does not have a linked identity"}
}

func TokenMissing() *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "token-missing",
		Title: "Missing access token", Message: "Send the user token as Authorization: Bearer <token>."}
}

func TokenExpired() *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "token-expired",
		Title: "Expired access token", Message: "The user token has expired; request a new one."}
}

func TokenInvalid() *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "token-invalid",
		Title: "Invalid access token", Message: "The user token is invalid."}
}

func TokenUserGone() *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "user-not-found",
		Title: "User not found", Message: "The user of the token does not exist or has been deleted."}
}

func IdentityProviderNotFound() *Error {
	return &Error{Status: http.StatusNotFound, Code: "identity-provider-not-found",
		Title: "Identity provider not found", Message: "No identity provider is registered under this name.",
		Parameter: "identityProvider"}
}

func FederatedIdentityNotFound() *Error {
	return &Error{Status: http.StatusNotFound, Code: "federated-identity-not-found",
		Title: "Federated identity not found", Message: "The user has no federated identity with this identity provider.",
		Parameter: "identityProvider"}
}

func JSONAPIInternal() *Error {
	return &Error{Status: http.StatusInternalServerError, Code: "internal-server-error",
		Title: "Internal server error", Message: "An unexpected error occurred; try again later."}
}
