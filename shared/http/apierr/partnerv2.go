package apierr

import (
	"net/http"
	"strconv"
	"time"
)

// Codes and messages of the Partner v2 surface (seeds 001 and 003). The
// messages are the vendor's, byte for byte; where the seed leaves a blank, the
// constructor fills it.
const (
	codeUnauthorized          = "UNAUTHORIZED"
	codeInvalidPartnerFlow    = "INVALID_PARTNER_FLOW"
	codeInvalidUserInput      = "INVALID_USER_INPUT_ERROR"
	codeNotFound              = "NOT_FOUND_ERROR"
	codeExternalUserConflict  = "EXTERNAL_USER_ID_CONFLICT"
	codeInternal              = "INTERNAL_SERVER_ERROR"
	codeMethodNotAllowed      = "METHOD_NOT_ALLOWED"
	codeInvalidVerification   = "INVALID_VERIFICATION_TYPE_FOR_USER"
	codeKYCTemplateMissing    = "KYC_TEMPLATE_NOT_CONFIGURED_ERROR"
	codeKYCAlreadyApproved    = "KYC_ALREADY_APPROVED"
	codeWebhookNotConfigured  = "WEBHOOK_NOT_CONFIGURED"
	codeTooManyRequests       = "TOO_MANY_REQUESTS"
	codeAPIKeyLimit           = "API_KEY_LIMIT_REACHED"
	codeLastAPIKey            = "LAST_API_KEY"
	codeEndpointLimit         = "WEBHOOK_ENDPOINT_LIMIT_REACHED"
	codeKYCSessionLimit       = "KYC_SESSION_LIMIT_REACHED"
	MsgAPIKeyMissing          = "API Key is missing"
	MsgAPIKeyFormat           = "Invalid API Key format"
	MsgAPIKeyInvalid          = "Invalid API Key"
	MsgUserNotOfPartner       = "User is not associated with the partner"
	MsgPartnerInfoRequired    = "Partner information is required for this operation"
	MsgMultipleCredentials    = "Multiple authorization methods used"
	MsgAccessTokenInvalid     = "Invalid access token"
	MsgAccessTokenExpired     = "Access token has expired"
	msgInvalidPartnerFlow     = "The partner has an invalid flow."
	msgInvalidUserInput       = "Invalid User Input"
	msgUserNotFound           = "Requested User was not found"
	msgEventNotFound          = "Requested Event was not found"
	msgAPIKeyNotFound         = "Requested API Key was not found"
	msgEndpointNotFound       = "Requested Webhook Endpoint was not found"
	MsgExternalUserIDConflict = "externalUserId was already used with a different request"
	MsgUserCreationFailed     = "User creation failed"
	MsgVerificationLinkFailed = "Failed to create verification link"
	MsgUserTokenFailed        = "Failed to create user token"
	msgBusinessNeedsKYB       = "BUSINESS users can only request KYB verification"
	MsgInternal               = "Internal server error"
	msgRouteNotFound          = "Route not found"
	msgMethodNotAllowed       = "Method not allowed"
)

func Unauthorized(msg string) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: codeUnauthorized, Message: msg}
}

func InvalidPartnerFlow() *Error {
	return &Error{Status: http.StatusForbidden, Code: codeInvalidPartnerFlow, Message: msgInvalidPartnerFlow}
}

// MaxDetails is how many details an error lists at most; past it, one last
// detail says how many more there were, so that a body of thousands of
// unknown keys cannot make an answer larger than itself.
const MaxDetails = 20

// InvalidInput is the 400 for bad input, one detail per bad field, the
// first MaxDetails of them.
func InvalidInput(details ...Detail) *Error {
	if len(details) > MaxDetails {
		more := len(details) - MaxDetails
		details = append(details[:MaxDetails:MaxDetails], Detail{Field: "body", Issue: "has " + strconv.Itoa(more) + " more problems, not listed"})
	}
	return &Error{Status: http.StatusBadRequest, Code: codeInvalidUserInput, Message: msgInvalidUserInput, Details: details}
}

func UserNotFound() *Error {
	return &Error{Status: http.StatusNotFound, Code: codeNotFound, Message: msgUserNotFound}
}

// EventNotFound answers an event id that names none of the partner's
// events, in the words of seed 003's user not found.
func EventNotFound() *Error {
	return &Error{Status: http.StatusNotFound, Code: codeNotFound, Message: msgEventNotFound}
}

// WebhookNotConfigured answers a redelivery or a test event for a partner
// without a webhook URL: there is nowhere to send it.
func WebhookNotConfigured() *Error {
	return &Error{Status: http.StatusConflict, Code: codeWebhookNotConfigured, Message: "No webhook URL is configured for the partner",
		Solution: "Ask for a webhook URL (https) and its signing secret to be set in the partner registry, then try again."}
}

func ExternalUserIDConflict() *Error {
	return &Error{Status: http.StatusConflict, Code: codeExternalUserConflict, Message: MsgExternalUserIDConflict,
		Details: []Detail{{Field: "externalUserId", Issue: "already registered with a different request body"}}}
}

// Internal is a 500 with a fixed, non-revealing message.
func Internal(msg string) *Error {
	return &Error{Status: http.StatusInternalServerError, Code: codeInternal, Message: msg}
}

// RouteNotFound and MethodNotAllowed answer requests no route serves; the
// solution shows in the dialects that carry one.
func RouteNotFound() *Error {
	return &Error{Status: http.StatusNotFound, Code: codeNotFound, Message: msgRouteNotFound, Solution: solutionCheckRoute}
}

func MethodNotAllowed() *Error {
	return &Error{Status: http.StatusMethodNotAllowed, Code: codeMethodNotAllowed, Message: msgMethodNotAllowed, Solution: solutionCheckRoute}
}

const solutionCheckRoute = "Check the request's method and path against the API reference."

// InvalidVerificationType is seed 001's "<type> users can only request
// <verification> verification", filled for the one case there is.
func InvalidVerificationType() *Error {
	return &Error{Status: http.StatusBadRequest, Code: codeInvalidVerification, Message: msgBusinessNeedsKYB}
}

// KYCTemplateNotConfigured is seed 001's "KYC template not configured for <country>".
func KYCTemplateNotConfigured(country string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: codeKYCTemplateMissing, Message: "KYC template not configured for " + country}
}

// KYCAlreadyApproved answers a verification link for a user whose
// kycStatus is APPROVED: a new session would put the user back to PENDING.
func KYCAlreadyApproved() *Error {
	return &Error{Status: http.StatusConflict, Code: codeKYCAlreadyApproved, Message: "User KYC is already approved",
		Solution: "The user needs no new verification; read its result with GET /api/partner/v2/users/{userId}/kyc."}
}

// KYCSessionLimit answers a new verification link for a user that holds
// max open sessions (each pending, none past its expiry).
func KYCSessionLimit(max int) *Error {
	return &Error{Status: http.StatusConflict, Code: codeKYCSessionLimit, Message: "The user holds " + strconv.Itoa(max) + " open verification sessions, the most it may",
		Solution: "Send the user one of its open links, or wait until a session gets its result or passes its expiresAt; GET /api/partner/v2/users/{userId}/kyc lists them."}
}

// BadCallbackSignature answers a KYC provider's callback whose signature
// is missing or wrong.
func BadCallbackSignature() *Error {
	return &Error{Status: http.StatusUnauthorized, Code: codeUnauthorized, Message: "Invalid callback signature"}
}

// TooManyRequests answers a request past one of the partner's budgets:
// 429, when to try again in Retry-After.
func TooManyRequests(msg string, retryAfter time.Duration) *Error {
	return &Error{Status: http.StatusTooManyRequests, Code: codeTooManyRequests, Message: msg, RetryAfter: retryAfter}
}

// APIKeyNotFound answers a key id that names none of the partner's live
// keys, in the words of seed 003's user not found.
func APIKeyNotFound() *Error {
	return &Error{Status: http.StatusNotFound, Code: codeNotFound, Message: msgAPIKeyNotFound}
}

// APIKeyLimit answers a new key for a partner holding as many live keys as
// it may.
func APIKeyLimit(max int) *Error {
	return &Error{Status: http.StatusConflict, Code: codeAPIKeyLimit, Message: "The partner holds " + strconv.Itoa(max) + " live API keys, the most it may",
		Solution: "Revoke a key you no longer use (DELETE /api/partner/v2/api-keys/{keyId}), or roll one with an expiry of now, then try again."}
}

// LastAPIKey answers the revocation of the partner's last live key: a
// partner can never lock itself out.
func LastAPIKey() *Error {
	return &Error{Status: http.StatusConflict, Code: codeLastAPIKey, Message: "The partner's last live API key cannot be revoked",
		Solution: "Create a new key first (POST /api/partner/v2/api-keys), or roll this one."}
}

// WebhookEndpointNotFound answers an endpoint id that names none of the
// partner's webhook endpoints, in the words of seed 003's user not found.
func WebhookEndpointNotFound() *Error {
	return &Error{Status: http.StatusNotFound, Code: codeNotFound, Message: msgEndpointNotFound}
}

// WebhookEndpointLimit answers a new endpoint for a partner holding as
// many as it may.
func WebhookEndpointLimit(max int) *Error {
	return &Error{Status: http.StatusConflict, Code: codeEndpointLimit, Message: "The partner holds " + strconv.Itoa(max) + " webhook endpoints, the most it may",
		Solution: "Delete an endpoint you no longer use (DELETE /api/partner/v2/webhooks/endpoints/{endpointId}), or point one at another URL (PATCH)."}
}

// Codes of test mode (the sandbox).
const (
	codeLiveModeRequired = "LIVE_MODE_REQUIRED"
	codeTestModeRequired = "TEST_MODE_REQUIRED"
)

// LiveModeRequired answers a test key's request for what only a live key
// may do (a live key).
func LiveModeRequired() *Error {
	return &Error{Status: http.StatusForbidden, Code: codeLiveModeRequired, Message: "A test key cannot issue live keys",
		Solution: "Call with a live key (pk_live_...), or ask for a test key: {\"mode\":\"test\"}."}
}

// TestModeRequired answers a sandbox operation asked with a live key, or
// about a live object: the sandbox touches test data only.
func TestModeRequired() *Error {
	return &Error{Status: http.StatusForbidden, Code: codeTestModeRequired, Message: "The sandbox acts on test-mode objects only",
		Solution: "Call with a test key (pk_test_...) about an object a test key made."}
}

// KYCSessionNotFound answers a session id that names none of the
// partner's sessions, in the words of seed 003's user not found.
func KYCSessionNotFound() *Error {
	return &Error{Status: http.StatusNotFound, Code: codeNotFound, Message: "Requested KYC Session was not found"}
}

// SandboxConflict answers a sandbox operation the session's state does
// not allow (an expiry of a session with a result, a late rejection of one
// not approved).
func SandboxConflict(msg string) *Error {
	return &Error{Status: http.StatusConflict, Code: "SANDBOX_STATE_CONFLICT", Message: msg,
		Solution: "Read the session (GET /api/partner/v2/users/{userId}/kyc), or open a new one."}
}
