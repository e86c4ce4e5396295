package apierr

import "net/http"

// The User v2 surface's errors (seed 000): code, message and solution byte
// for byte as the vendor documents them, and the HTTP status this API
// gives each (the seed gives none).
//
// Each function returns a new *Error, so that the catalog cannot be
// changed at run time.

func ER053() *Error {
	return &Error{Status: http.StatusBadRequest, Code: "ER053", Message: "Missing identifier.", Solution: "Provide a valid identifier."}
}

func ER102() *Error {
	return &Error{Status: http.StatusBadRequest, Code: "ER102", Message: "User identifier length out of bounds.", Solution: "Provide a user identifier with a minimum of 36 characters and a maximum of 255."}
}

func ER700() *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "ER700", Message: "User authorization token not found.", Solution: "Provide a user authorization token."}
}

func ER701() *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "ER701", Message: "User authorization token has expired.", Solution: "Request a new authorization token, or refresh the token."}
}

func ER702() *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "ER702", Message: "User authorization token is invalid.", Solution: "Provide a valid user authorization token."}
}

func ER703() *Error {
	return &Error{Status: http.StatusForbidden, Code: "ER703", Message: "User identifier does not belong to the user in the user authorization token.", Solution: "Provide a valid user identifier, or remove the user identifier header."}
}

func ER704() *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "ER704", Message: "No user identifier found in headers.", Solution: "Provide a valid user identifier, or use the user/password authentication mechanism to request a user token and send that."}
}

func ER705() *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "ER705", Message: "User identifier is not linked to a user.", Solution: "Provide a valid user identifier, link this user identifier to a user account, or use the user/password authentication mechanism."}
}

func ER706() *Error {
	return &Error{Status: http.StatusConflict, Code: "ER706", Message: "User identifier is invalid.", Solution: "Provide a valid user identifier, a unique identifier string for the user account that is not already in use."}
}

func ER707() *Error {
	return &Error{Status: http.StatusBadRequest, Code: "ER707", Message: "User identifier is invalid.", Solution: "Please provide an identifier, consisting of 36 - 255 characters, numeric or alphanumeric only."}
}

func ER708() *Error {
	return &Error{Status: http.StatusConflict, Code: "ER708", Message: "There is a pending document for this side.", Solution: "Wait for the pending document to be reviewed."}
}

func ER709() *Error {
	return &Error{Status: http.StatusNotFound, Code: "ER709", Message: "User not found, or user has been deleted.", Solution: "Provide a valid user identifier."}
}

func ER800() *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "ER800", Message: "Authorization token is invalid.", Solution: "Provide a valid authorization token."}
}

func ER801() *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "ER801", Message: "Authorization token has expired.", Solution: "Request a new authorization token."}
}

func ER802() *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "ER802", Message: "Authorization token not found.", Solution: "Provide an authorization token."}
}

func ER803() *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "ER803", Message: "Multiple authorization methods used.", Solution: "Use exactly one authorization method."}
}

func ER805() *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "ER805", Message: "API key is invalid.", Solution: "Provide a valid API key."}
}

func ER806() *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "ER806", Message: "API key not found.", Solution: "Provide an API key."}
}

func ER999() *Error {
	return &Error{Status: http.StatusInternalServerError, Code: "ER999", Message: "A general error has occurred. Please contact our support team.", Solution: "Contact our support team."}
}
