package domain

import (
	"errors"
	"time"
)

// Kind is what went wrong, in the terms a caller switches on: each surface
// maps every kind (and, where it says more, the reason) to its own answer
// once, in its dialect.
type Kind uint8

// The kinds. Internal is any error that is not a domain one: a dependency's
// fault or a bug, a surface's 500.
const (
	Internal Kind = iota
	// Invalid: the request breaks a rule; Problems say which fields.
	Invalid
	// Unauthenticated: no credential, or not a valid one.
	Unauthenticated
	// Forbidden: the caller may not do this (its flow, its standing).
	Forbidden
	// NotFound: no such thing, or none the caller may know of.
	NotFound
	// NotOwned: it exists and belongs to another partner.
	NotOwned
	// Gone: it was erased, or what it rested on is no more.
	Gone
	// Conflict: it clashes with what is stored (a different request under
	// the same key, something held by another).
	Conflict
	// Stale: what was read changed meanwhile (read again).
	Stale
	// Limited: a budget is spent until RetryAfter.
	Limited
)

var kindNames = [...]string{"internal", "invalid", "unauthenticated", "forbidden", "not found", "not owned", "gone", "conflict", "stale", "limited"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind?"
}

// Reason says more than a kind where a surface answers differently: a
// stable code, never a message.
type Reason string

// The reasons.
const (
	// Conflict
	ReasonExternalUserID   Reason = "external_user_id"  // the externalUserId was registered with another request
	ReasonIdentifierTaken  Reason = "identifier_taken"  // another user holds the identifier
	ReasonAlreadyApproved  Reason = "already_approved"  // the user's KYC is approved: no new session
	ReasonRedeliveryQueued Reason = "redelivery_queued" // a redelivery of the event is queued
	ReasonNoWebhook        Reason = "webhook_not_configured"
	ReasonMissingLink      Reason = "missing_linked_identity" // no identifier linked from the provider's partner
	ReasonKeyLimit         Reason = "key_limit"               // the partner holds as many live keys as it may
	ReasonEndpointLimit    Reason = "endpoint_limit"          // the partner holds as many webhook endpoints as it may
	ReasonLastKey          Reason = "last_key"                // the partner's last live key cannot be revoked
	ReasonSessionLimit     Reason = "session_limit"           // the user holds as many open KYC sessions as it may
	// Invalid
	ReasonTemplateNotConfigured Reason = "template_not_configured" // no KYC template for the country
	ReasonUserType              Reason = "user_type"               // the user's type cannot do this
	ReasonFutureResult          Reason = "future_result"           // a provider's result dated ahead
	ReasonIdentifierMissing     Reason = "identifier_missing"
	ReasonIdentifierLength      Reason = "identifier_length"
	ReasonIdentifierCharset     Reason = "identifier_charset"
	// Unauthenticated
	ReasonKeyMissing   Reason = "key_missing"
	ReasonKeyFormat    Reason = "key_format"
	ReasonKeyInvalid   Reason = "key_invalid"
	ReasonTokenMissing Reason = "token_missing"
	ReasonTokenExpired Reason = "token_expired"
	ReasonTokenInvalid Reason = "token_invalid"
	// ReasonUserCredential: a user's credential (a user token) where a
	// partner's is needed.
	ReasonUserCredential Reason = "user_credential"
	// Stale
	ReasonStaleSession Reason = "kyc_session" // the session, or which one is the user's latest
	ReasonStaleUser    Reason = "user"        // the user's link
	ReasonStaleAttempt Reason = "attempt"     // the delivery attempt was recorded by another worker
	// NotFound
	ReasonNotSet Reason = "not_set" // no federated identity with the provider
)

// Problem is one bad field of a request and what is wrong with it.
type Problem struct {
	Field string `json:"field"`
	Issue string `json:"issue"`
}

// Error is the domain's one error type: its kind, a reason where one says
// more, the problems of an Invalid one, when to try again after a Limited
// one, and the cause (never shown to a client).
type Error struct {
	Kind       Kind
	Reason     Reason
	Problems   []Problem
	RetryAfter time.Duration
	// What names what a Limited error limits (for its message).
	What  string
	Limit int
	Err   error
}

// E is an error of kind with reason ("" for none).
func E(kind Kind, reason Reason) *Error { return &Error{Kind: kind, Reason: reason} }

// InvalidInput is an Invalid error with its problems.
func InvalidInput(problems ...Problem) *Error { return &Error{Kind: Invalid, Problems: problems} }

func (e *Error) Error() string {
	s := "domain: " + e.Kind.String()
	if e.Reason != "" {
		s += " (" + string(e.Reason) + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Is holds for a target of the same kind whose reason is e's, or empty:
// errors.Is(err, ErrNotFound) asks for the kind, errors.Is(err,
// E(Conflict, ReasonIdentifierTaken)) for the reason too.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && (t.Reason == "" || t.Reason == e.Reason)
}

// WithCause is a copy of e with cause.
func (e *Error) WithCause(cause error) *Error {
	c := *e
	c.Err = cause
	return &c
}

// The kinds as errors.Is targets (any reason).
var (
	ErrNotFound     = E(NotFound, "")
	ErrNotOwned     = E(NotOwned, "")
	ErrGone         = E(Gone, "")
	ErrConflict     = E(Conflict, "")
	ErrStale        = E(Stale, "")
	ErrLimited      = E(Limited, "")
	ErrInvalid      = E(Invalid, "")
	ErrUnauthorized = E(Unauthenticated, "")
)

// KindOf is err's kind: Internal for any error that is not a domain one.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// ReasonOf is err's reason ("" for none, or not a domain error).
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// As is err's domain error, if it is one.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
