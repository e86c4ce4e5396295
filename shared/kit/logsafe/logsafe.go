// Package logsafe turns errors into log values that cannot carry personal
// data: an AWS error code, a context error name or a Go type name, never an
// error message (SDK messages may quote keys and attribute values).
package logsafe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"runtime"
	"strconv"
	"strings"
)

// Code is the safe description of err.
func Code(err error) string {
	if err == nil {
		return ""
	}
	var api interface{ ErrorCode() string } // an AWS API error (smithy.APIError)
	switch {
	case errors.As(err, &api):
		return "aws:" + api.ErrorCode()
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline_exceeded"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	var c interface{ LogCode() string }
	if errors.As(err, &c) {
		return c.LogCode()
	}
	return fmt.Sprintf("error:%T", err)
}

// coded is an error whose log code is chosen by the code that raised it.
type coded struct {
	code string
	err  error
}

// Wrap returns err with a fixed log code.
func Wrap(code string, err error) error { return &coded{code: code, err: err} }

func (c *coded) Error() string   { return c.code + ": " + c.err.Error() }
func (c *coded) Unwrap() error   { return c.err }
func (c *coded) LogCode() string { return c.code }

type panicError struct{ v any }

func (p panicError) Error() string   { return "panic" }
func (p panicError) LogCode() string { return fmt.Sprintf("panic:%T", p.v) }

// Panic turns a recovered value into an error whose log code names only its type.
func Panic(v any) error { return panicError{v} }

// Stack is the calling goroutine's stack as function names and file
// positions only (no argument values, which may be personal data), for
// the log line of a recovered panic.
func Stack() string {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(2, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	var b strings.Builder
	for {
		f, more := frames.Next()
		fmt.Fprintf(&b, "%s %s:%d\n", f.Function, path.Base(f.File), f.Line)
		if !more {
			break
		}
	}
	return b.String()
}

// ConfigError is an error of a configuration document (a secret, a file,
// the environment): its text names the document and the field and says
// what is wrong, and holds no secret value (the parsers' messages quote
// none; a JSON syntax error is told by its offset, not its character), so
// it is logged whole: an operator reads what to fix.
type ConfigError struct {
	// Document is where the configuration came from: an environment
	// variable naming a secret or a file ("SERVICE_KEYS_SECRET_ID").
	Document string
	Err      error
}

// Config is err, an error of the configuration document, as a ConfigError.
func Config(document string, err error) error { return &ConfigError{Document: document, Err: err} }

func (e *ConfigError) Error() string {
	var syntax *json.SyntaxError
	if errors.As(e.Err, &syntax) {
		return e.Document + ": not valid JSON (at byte " + strconv.FormatInt(syntax.Offset, 10) + ")"
	}
	return e.Document + ": " + e.Err.Error()
}

func (e *ConfigError) Unwrap() error   { return e.Err }
func (e *ConfigError) LogCode() string { return "config: " + e.Error() }
