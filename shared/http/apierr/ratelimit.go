package apierr

import (
	"net/http"
	"time"
)

// The answers to a request past its partner's rate budget (429, and
// Retry-After: when one request fits again), one per dialect. The seeds
// have none: Partner v2 gets RATE_LIMITED (Stripe's rate_limit, in the
// surface's style), User v2 ER429 (outside the seed's numbers, after the
// status), JSON:API rate-limited, the token endpoint slow_down (the OAuth
// registry's code for a client to ask less often, RFC 8628).

// CodeRateLimited is Partner v2's code.
const CodeRateLimited = "RATE_LIMITED"

// RateLimited is Partner v2's answer.
func RateLimited(retryAfter time.Duration) *Error {
	return &Error{Status: http.StatusTooManyRequests, Code: CodeRateLimited, RetryAfter: retryAfter,
		Message: "Too many requests: this partner's rate limit is reached; try again after Retry-After seconds."}
}

// ER429 is User v2's answer.
func ER429(retryAfter time.Duration) *Error {
	e := userV2(http.StatusTooManyRequests, "ER429", "Too many requests.", "Wait the number of seconds in Retry-After, then try again; the RateLimit header says what remains.")
	e.RetryAfter = retryAfter
	return e
}

// JSONAPIRateLimited is JSON:API's answer.
func JSONAPIRateLimited(retryAfter time.Duration) *Error {
	e := jsonAPI(http.StatusTooManyRequests, "rate-limited", "Too many requests", "This partner's rate limit is reached; try again after Retry-After seconds.")
	e.RetryAfter = retryAfter
	return e
}

// OAuthSlowDownCode is the token endpoint's code.
const OAuthSlowDownCode = "slow_down"

// OAuthSlowDown is the token endpoint's answer.
func OAuthSlowDown(retryAfter time.Duration) *Error {
	return &Error{Status: http.StatusTooManyRequests, Code: OAuthSlowDownCode, RetryAfter: retryAfter,
		Message: "Too many token requests: try again after Retry-After seconds, and reuse a token until it expires."}
}
