// Package apierr is the one error model of the API. Every surface renders an
// *Error in its own wire dialect (package dialects); handlers return errors
// and never write error bodies themselves (package httpx renders them).
//
// The catalog (partnerv2.go, userv2.go, jsonapi.go) is made of functions
// and constants, never of exported variables: each call returns a new
// *Error, so no code can change what another request will see.
package apierr

import (
	"errors"

	"github.com/partner-identity/api/shared/domain"
	"time"
)

// Detail names one bad field of a request and what is wrong with it: the
// domain's Problem, as every dialect shows it.
type Detail = domain.Problem

// Error is an error a client may see: status, stable code, message and, for
// input errors, one detail per bad field. Solution is used by the surfaces
// whose dialect carries one (User v2); Title by JSON:API.
type Error struct {
	Status   int
	Code     string
	Message  string
	Solution string
	Title    string
	Details  []Detail
	// Parameter and Pointer name what is at fault, for JSON:API's source:
	// a query parameter (never a path's: JSON:API's source.parameter names
	// query parameters only), or a JSON Pointer into the body.
	Parameter string
	Pointer   string
	// RetryAfter, when not zero, is sent as the Retry-After header (in
	// whole seconds): when the client may try again.
	RetryAfter time.Duration
	// Cause is the internal error behind the answer, if any: logged as a
	// code (package logsafe), never shown to the client.
	Cause error
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Unwrap returns the cause, so that errors.Is and errors.As see through e.
func (e *Error) Unwrap() error { return e.Cause }

// WithCause returns a copy of e with the internal error behind it.
func (e *Error) WithCause(err error) *Error {
	c := *e
	c.Cause = err
	return &c
}

// As returns the *Error inside err, if any.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// WithMessage returns a copy of e with another message.
func (e *Error) WithMessage(msg string) *Error {
	c := *e
	c.Message = msg
	return &c
}

// WithParameter returns a copy of e blaming a request parameter.
func (e *Error) WithParameter(name string) *Error {
	c := *e
	c.Parameter = name
	return &c
}

// WithDetails returns a copy of e carrying the given details.
func (e *Error) WithDetails(d ...Detail) *Error {
	c := *e
	c.Details = append([]Detail(nil), d...)
	return &c
}

// Answer is a surface's answer to one outcome of the domain: when an error
// is Outcome (errors.Is), the client sees Answer().
type Answer struct {
	Outcome error
	Answer  func() *Error
}

// Translate is the answer to err of the first of answers whose outcome err
// is; err itself (a 500, its cause logged) when none is; nil for nil.
func Translate(err error, answers ...Answer) error {
	if e, ok := Match(err, answers...); ok {
		return e
	}
	return err
}

// Match is the answer to err of the first of answers whose outcome err is.
func Match(err error, answers ...Answer) (*Error, bool) {
	if err == nil {
		return nil, false
	}
	for _, a := range answers {
		if errors.Is(err, a.Outcome) {
			return a.Answer(), true
		}
	}
	return nil, false
}
