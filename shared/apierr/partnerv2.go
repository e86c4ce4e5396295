package apierr

import "net/http"

// Codes and messages of the Partner v2 surface (seeds 001 and 003). The
// messages are the vendor's, byte for byte; where the seed leaves a blank, the
// constructor fills it.
const (
	CodeUnauthorized          = "UNAUTHORIZED"
	CodeInvalidPartnerFlow    = "INVALID_PARTNER_FLOW"
	CodeInvalidUserInput      = "INVALID_USER_INPUT_ERROR"
	CodeNotFound              = "NOT_FOUND_ERROR"
	CodeExternalUserConflict  = "EXTERNAL_USER_ID_CONFLICT"
	CodeInternal              = "INTERNAL_SERVER_ERROR"
	CodeMethodNotAllowed      = "METHOD_NOT_ALLOWED"
	CodeInvalidVerification   = "INVALID_VERIFICATION_TYPE_FOR_USER"
	CodeKYCTemplateMissing    = "KYC_TEMPLATE_NOT_CONFIGURED_ERROR"
	MsgAPIKeyMissing          = "API Key is missing"
	MsgAPIKeyFormat           = "Invalid API Key format"
	MsgAPIKeyInvalid          = "Invalid API Key"
	MsgUserNotOfPartner       = "User is not associated with the partner"
	MsgInvalidPartnerFlow     = "The partner has an invalid flow."
	MsgInvalidUserInput       = "Invalid User Input"
	MsgUserNotFound           = "Requested User was not found"
	MsgExternalUserIDConflict = "externalUserId was already used with a different request"
	MsgUserCreationFailed     = "User creation failed"
	MsgVerificationLinkFailed = "Failed to create verification link"
	MsgUserTokenFailed        = "Failed to create user token"
	MsgBusinessNeedsKYB       = "BUSINESS users can only request KYB verification"
	MsgInternal               = "Internal server error"
	MsgRouteNotFound          = "Route not found"
	MsgMethodNotAllowed       = "Method not allowed"
)

func Unauthorized(msg string) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: CodeUnauthorized, Message: msg}
}

func InvalidPartnerFlow() *Error {
	return &Error{Status: http.StatusForbidden, Code: CodeInvalidPartnerFlow, Message: MsgInvalidPartnerFlow}
}

// InvalidInput is the 400 for bad input, one detail per bad field.
func InvalidInput(details ...Detail) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeInvalidUserInput, Message: MsgInvalidUserInput, Details: details}
}

func UserNotFound() *Error {
	return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: MsgUserNotFound}
}

func ExternalUserIDConflict() *Error {
	return &Error{Status: http.StatusConflict, Code: CodeExternalUserConflict, Message: MsgExternalUserIDConflict,
		Details: []Detail{{Field: "externalUserId", Issue: "already registered with a different request body"}}}
}

// Internal is a 500 with a fixed, non-revealing message.
func Internal(msg string) *Error {
	return &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: msg}
}

// RouteNotFound and MethodNotAllowed answer requests no route serves; the
// solution shows in the dialects that carry one.
func RouteNotFound() *Error {
	return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: MsgRouteNotFound, Solution: solutionCheckRoute}
}

func MethodNotAllowed() *Error {
	return &Error{Status: http.StatusMethodNotAllowed, Code: CodeMethodNotAllowed, Message: MsgMethodNotAllowed, Solution: solutionCheckRoute}
}

const solutionCheckRoute = "Check the request's method and path against the API reference."

// InvalidVerificationType is seed 001's "<type> users can only request
// <verification> verification", filled for the one case there is.
func InvalidVerificationType() *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeInvalidVerification, Message: MsgBusinessNeedsKYB}
}

// KYCTemplateNotConfigured is seed 001's "KYC template not configured for <country>".
func KYCTemplateNotConfigured(country string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeKYCTemplateMissing, Message: "KYC template not configured for " + country}
}
