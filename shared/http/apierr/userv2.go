package apierr

import "net/http"

// The User v2 surface's errors (seed 000): code, message and solution byte
// for byte as the vendor documents them, and the HTTP status this API
// gives each (the seed gives none).
//
// Each function returns a new *Error, so that the catalog cannot be
// changed at run time.

func ER053() *Error {
	return userV2(http.StatusBadRequest, "ER053", "Missing identifier.", "Provide a valid identifier.")
}

func ER102() *Error {
	return userV2(http.StatusBadRequest, "ER102", "User identifier length out of bounds.", "Provide a user identifier with a minimum of 36 characters and a maximum of 255.")
}

func ER700() *Error {
	return userV2(http.StatusUnauthorized, "ER700", "User authorization token not found.", "Provide a user authorization token.")
}

func ER701() *Error {
	return userV2(http.StatusUnauthorized, "ER701", "User authorization token has expired.", "Request a new authorization token, or refresh the token.")
}

func ER702() *Error {
	return userV2(http.StatusUnauthorized, "ER702", "User authorization token is invalid.", "Provide a valid user authorization token.")
}

func ER703() *Error {
	return userV2(http.StatusForbidden, "ER703", "User identifier does not belong to the user in the user authorization token.", "Provide a valid user identifier, or remove the user identifier header.")
}

func ER704() *Error {
	return userV2(http.StatusUnauthorized, "ER704", "No user identifier found in headers.", "Provide a valid user identifier, or use the user/password authentication mechanism to request a user token and send that.")
}

func ER705() *Error {
	return userV2(http.StatusUnauthorized, "ER705", "User identifier is not linked to a user.", "Provide a valid user identifier, link this user identifier to a user account, or use the user/password authentication mechanism.")
}

func ER706() *Error {
	return userV2(http.StatusConflict, "ER706", "User identifier is invalid.", "Provide a valid user identifier, a unique identifier string for the user account that is not already in use.")
}

func ER707() *Error {
	return userV2(http.StatusBadRequest, "ER707", "User identifier is invalid.", "Please provide an identifier, consisting of 36 - 255 characters, numeric or alphanumeric only.")
}

func ER708() *Error {
	return userV2(http.StatusConflict, "ER708", "There is a pending document for this side.", "Wait for the pending document to be reviewed.")
}

func ER709() *Error {
	return userV2(http.StatusNotFound, "ER709", "User not found, or user has been deleted.", "Provide a valid user identifier.")
}

func ER800() *Error {
	return userV2(http.StatusUnauthorized, "ER800", "Authorization token is invalid.", "Provide a valid authorization token.")
}

func ER801() *Error {
	return userV2(http.StatusUnauthorized, "ER801", "Authorization token has expired.", "Request a new authorization token.")
}

func ER802() *Error {
	return userV2(http.StatusUnauthorized, "ER802", "Authorization token not found.", "Provide an authorization token.")
}

func ER803() *Error {
	return userV2(http.StatusUnauthorized, "ER803", "Multiple authorization methods used.", "Use exactly one authorization method.")
}

func ER805() *Error {
	return userV2(http.StatusUnauthorized, "ER805", "API key is invalid.", "Provide a valid API key.")
}

func ER806() *Error {
	return userV2(http.StatusUnauthorized, "ER806", "API key not found.", "Provide an API key.")
}

func ER999() *Error {
	return userV2(http.StatusInternalServerError, "ER999", "A general error has occurred. Please contact our support team.", "Contact our support team.")
}

// userV2 is an error of the surface with the seed's message and solution.
func userV2(status int, code, message, solution string) *Error {
	return &Error{Status: status, Code: code, Message: message, Solution: solution}
}
