package logsafe

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/smithy-go"
)

func TestCodeNeverCarriesTheMessage(t *testing.T) {
	secret := "ana@example.com"
	for err, want := range map[error]string{
		&smithy.GenericAPIError{Code: "ValidationException", Message: "bad value " + secret}: "aws:ValidationException",
		fmt.Errorf("wrapped: %w", context.DeadlineExceeded):                                  "deadline_exceeded",
		Wrap("dynamodb:create_user_cancelled", errors.New(secret)):                           "dynamodb:create_user_cancelled",
		Panic(secret):      "panic:string",
		errors.New(secret): "error:*errors.errorString",
	} {
		got := Code(err)
		if got != want || strings.Contains(got, secret) {
			t.Errorf("Code(%T) = %q, want %q", err, got, want)
		}
	}
}
