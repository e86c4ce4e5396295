package moto

import (
	"context"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// FaultKind is a fault of a dependency as the SDK sees it.
type FaultKind string

// The faults an Injector makes. Throttle, ServerError and Timeout fail an
// attempt before it is sent; LostResponse sends it (DynamoDB applies it)
// and then fails it with a timeout, as when the response is lost.
const (
	Throttle     FaultKind = "throttling"
	ServerError  FaultKind = "HTTP 500"
	Timeout      FaultKind = "timeout"
	LostResponse FaultKind = "response lost after the write"
)

// Err is the error the SDK's transport would return for the fault.
func (k FaultKind) Err() error {
	switch k {
	case Throttle:
		return &smithy.GenericAPIError{Code: "ThrottlingException", Message: "injected: rate exceeded"}
	case ServerError:
		return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 500, Header: http.Header{}}},
			Err:      &smithy.GenericAPIError{Code: "InternalServerError", Message: "injected: internal server error"}}}
	default:
		return &smithyhttp.RequestSendError{Err: &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}}
	}
}

// Injector fails attempts of chosen calls. Calls are counted from Arm, over
// the operations it watches (all but Secrets Manager's and SQS's by
// default); call Target fails its first Attempts attempts (a transient
// fault: the SDK's retryer retries) or all of them (Attempts < 0: a
// persistent fault).
type Injector struct {
	mu       sync.Mutex
	armed    bool
	kind     FaultKind
	target   int
	attempts int
	calls    int
	failed   int
	ops      []string
}

// Arm makes the target-th call (1-based) from now fail with kind, on its
// first attempts attempts (negative: all).
func (in *Injector) Arm(kind FaultKind, target, attempts int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.armed, in.kind, in.target, in.attempts, in.calls, in.failed, in.ops = true, kind, target, attempts, 0, 0, nil
}

// Disarm stops injecting and returns the operations seen since Arm and how
// many attempts were failed.
func (in *Injector) Disarm() (ops []string, failed int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.armed = false
	return in.ops, in.failed
}

type noWait struct{}

func (noWait) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

type callKey struct{}

// begin numbers a call (once, before the retry loop).
func (in *Injector) begin(ctx context.Context, op string) context.Context {
	if op == "GetSecretValue" || op == "SendMessage" {
		return ctx
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if !in.armed {
		return ctx
	}
	in.calls++
	in.ops = append(in.ops, op)
	return middleware.WithStackValue(ctx, callKey{}, in.calls)
}

// attempt says whether this attempt of the call fails, and how.
func (in *Injector) attempt(ctx context.Context) (FaultKind, bool) {
	n, _ := middleware.GetStackValue(ctx, callKey{}).(int)
	in.mu.Lock()
	defer in.mu.Unlock()
	if !in.armed || n == 0 || n != in.target || (in.attempts >= 0 && in.failed >= in.attempts) {
		return "", false
	}
	in.failed++
	return in.kind, true
}

// ConfigInjected is Config with inj's faults: calls are numbered in the
// Initialize step and failed in the Finalize step after the retry
// middleware, so that the SDK's retryer sees each failed attempt. The
// retryer is the SDK's standard one (3 attempts, its retryable errors, its
// retry quota) without the waits between attempts.
func (s *Server) ConfigInjected(calls *Calls, inj *Injector) aws.Config {
	cfg := s.Config(calls, nil)
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.Backoff = noWait{} })
	}
	cfg.APIOptions = append(cfg.APIOptions, func(st *middleware.Stack) error {
		if err := st.Initialize.Add(middleware.InitializeMiddlewareFunc("numberCalls",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				return next.HandleInitialize(inj.begin(ctx, middleware.GetOperationName(ctx)), in)
			}), middleware.Before); err != nil {
			return err
		}
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("injectFaults",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				kind, fail := inj.attempt(ctx)
				if !fail {
					return next.HandleFinalize(ctx, in)
				}
				if kind == LostResponse {
					out, md, err := next.HandleFinalize(ctx, in)
					if err != nil {
						return out, md, err
					}
					return middleware.FinalizeOutput{}, md, Timeout.Err()
				}
				return middleware.FinalizeOutput{}, middleware.Metadata{}, kind.Err()
			}), middleware.After)
	})
	return cfg
}
