package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/http/apierr"
	"github.com/partner-identity/api/shared/kit/logsafe"
)

// echoDialect renders an error as status, code and message.
type echoDialect struct{}

func (echoDialect) RateLimited(retryAfter time.Duration) *apierr.Error {
	return &apierr.Error{Status: http.StatusTooManyRequests, Code: "LIMITED", RetryAfter: retryAfter}
}

func (echoDialect) WriteError(w http.ResponseWriter, _ *http.Request, e *apierr.Error) {
	WriteJSON(w, e.Status, "application/json", map[string]string{"code": e.Code, "message": e.Message})
}

// serve runs h behind Wrap and returns the response and the log line.
func serve(t *testing.T, rt WrapRoute, h Handler) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&logs, nil)))
	defer slog.SetDefault(prev)
	rec := httptest.NewRecorder()
	Wrap(rt, h).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("log line %q: %v", logs.String(), err)
	}
	return rec, line
}

type secretError struct{}

func (secretError) Error() string { return "db password is hunter2" }

func TestWrapRendersWhatTheHandlerReturns(t *testing.T) {
	rt := WrapRoute{Name: "r", Dialect: echoDialect{}, Failure: "Route failed"}
	cause := logsafe.Wrap("store:outage", secretError{})
	cases := []struct {
		name       string
		h          Handler
		status     int
		code, msg  string
		loggedCode string
	}{
		{"an API error as it is", func(http.ResponseWriter, *http.Request) error { return apierr.UserNotFound() },
			404, "NOT_FOUND_ERROR", "Requested User was not found", ""},
		{"a wrapped API error", func(http.ResponseWriter, *http.Request) error { return fmt.Errorf("x: %w", apierr.ER709()) },
			404, "ER709", "User not found, or user has been deleted.", ""},
		{"an API error's cause is logged, not shown", func(http.ResponseWriter, *http.Request) error {
			return apierr.Internal(apierr.MsgInternal).WithCause(cause)
		}, 500, "INTERNAL_SERVER_ERROR", "Internal server error", "store:outage"},
		{"any other error is the route's 500", func(http.ResponseWriter, *http.Request) error { return cause },
			500, "INTERNAL_SERVER_ERROR", "Route failed", "store:outage"},
		{"a panic is a 500", func(http.ResponseWriter, *http.Request) error { panic(secretError{}) },
			500, "INTERNAL_SERVER_ERROR", "Internal server error", "panic:httpx.secretError"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, line := serve(t, rt, c.h)
			var body map[string]string
			_ = json.Unmarshal(rec.Body.Bytes(), &body)
			if rec.Code != c.status || body["code"] != c.code || body["message"] != c.msg {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			if strings.Contains(rec.Body.String(), "hunter2") {
				t.Fatal("the cause shows in the body")
			}
			if got, _ := line["error"].(string); got != c.loggedCode {
				t.Fatalf("logged error %q, want %q", got, c.loggedCode)
			}
			// A panic's line holds where it happened (no values).
			stack, _ := line["stack"].(string)
			if panicked := strings.HasPrefix(c.loggedCode, "panic:"); panicked != strings.Contains(stack, "TestWrapRendersWhatTheHandlerReturns") || strings.Contains(stack, "hunter2") {
				t.Fatalf("stack %q", stack)
			}
			if line["status"] != float64(c.status) || line["route"] != "r" || rec.Header().Get(headerRequestID) == "" {
				t.Fatalf("log line %v, request id %q", line, rec.Header().Get(headerRequestID))
			}
		})
	}
}

func TestWrapDefaultFailureMessage(t *testing.T) {
	rec, _ := serve(t, WrapRoute{Name: "r", Dialect: echoDialect{}}, func(http.ResponseWriter, *http.Request) error {
		return errors.New("boom")
	})
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), apierr.MsgInternal) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

// TestWrapNeverAnswersTwice: an error after the handler has answered is
// logged, and the answer stays as it was.
func TestWrapNeverAnswersTwice(t *testing.T) {
	rec, line := serve(t, WrapRoute{Name: "r", Dialect: echoDialect{}}, func(w http.ResponseWriter, _ *http.Request) error {
		w.WriteHeader(http.StatusNoContent)
		return logsafe.Wrap("late", errors.New("after the answer"))
	})
	if rec.Code != http.StatusNoContent || rec.Body.Len() != 0 || line["error"] != "late" || line["status"] != float64(204) {
		t.Fatalf("%d %q, log %v", rec.Code, rec.Body, line)
	}
}

// TestHandlersReachTheWriterUnderneath: a handler's http.ResponseController
// reaches the server's writer through Wrap's (Flush gets to the recorder);
// without Unwrap it would answer http.ErrNotSupported.
func TestHandlersReachTheWriterUnderneath(t *testing.T) {
	var flushErr error
	w, _ := serve(t, WrapRoute{Name: "flush", Dialect: echoDialect{}}, func(w http.ResponseWriter, r *http.Request) error {
		_, _ = w.Write([]byte("x"))
		flushErr = http.NewResponseController(w).Flush()
		return nil
	})
	if flushErr != nil || !w.Flushed {
		t.Fatalf("flush: %v, flushed %v", flushErr, w.Flushed)
	}
}
