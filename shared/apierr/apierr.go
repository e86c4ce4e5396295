// Package apierr is the one error model of the API. Every surface renders an
// *Error in its own wire dialect (see package httpx and the dialect
// implementations); handlers never write error bodies themselves.
package apierr

import "errors"

// Detail names one bad field of a request and what is wrong with it.
type Detail struct {
	Field string `json:"field"`
	Issue string `json:"issue"`
}

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
	// a path or query parameter, or a JSON Pointer into the body.
	Parameter string
	Pointer   string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

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
