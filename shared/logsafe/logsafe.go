// Package logsafe turns errors into log values that cannot carry personal
// data: an AWS error code, a context error name or a Go type name, never an
// error message (SDK messages may quote keys and attribute values).
package logsafe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/smithy-go"
)

// Code is the safe description of err.
func Code(err error) string {
	if err == nil {
		return ""
	}
	var api smithy.APIError
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

// Setup makes slog's default a JSON logger on stderr at the given level.
func Setup(level slog.Level) {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
}
