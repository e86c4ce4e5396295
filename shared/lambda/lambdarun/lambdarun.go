// Package lambdarun starts a function: inside Lambda through the runtime
// API (the one place that tells Lambda from outside it: a function binary
// has no other behaviour to switch to); outside, once, with an event file,
// printing the response, like `sam local invoke` without Docker.
package lambdarun

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/kit/metrics"
	"github.com/partner-identity/api/shared/lambda/app"
)

// localTimeout is the deadline of a local invoke, like a function's timeout.
const localTimeout = 30 * time.Second

// Start serves an HTTP handler behind an API Gateway HTTP API (payload 2.0).
func Start(h http.Handler) { StartFunc(HTTP(h)) }

// Serve is an HTTP function's start: what its requests need is fetched
// during initialisation (d.Prefetch), concurrently with the rest of it,
// then ep is served behind the HTTP API.
func Serve(d *app.Deps, needs app.Needs, ep httpx.Endpoint) {
	d.Prefetch(needs)
	Start(httpx.WithLimiter(httpx.Mux(ep), d.Limiter))
}

// HTTP is the function entry point of h behind an HTTP API (payload 2.0):
// each request carries API Gateway's request id (httpx.WithRequestID); the
// container's first is marked cold (httpx.WithColdStart: its log line says
// coldStart) and counted (metrics.ColdStarts).
func HTTP(h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	var started atomic.Bool
	withID := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if gw, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok && gw.RequestID != "" {
			r = r.WithContext(httpx.WithRequestID(r.Context(), gw.RequestID))
		}
		if started.CompareAndSwap(false, true) {
			r = r.WithContext(httpx.WithColdStart(r.Context()))
			metrics.Count(r.Context(), metrics.ColdStarts, 1)
		}
		h.ServeHTTP(w, r)
	})
	return httpadapter.NewV2(withID).ProxyWithContext
}

// StartFunc starts fn as the function's handler. Outside Lambda it reads the
// event file named by the only argument ("-" for standard input), invokes fn
// once with a deadline, and prints its response as JSON.
func StartFunc[In, Out any](fn func(context.Context, In) (Out, error)) {
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" {
		LimitMemory()
		lambda.StartHandlerFunc(fn)
		return
	}
	if len(os.Args) != 2 {
		fmt.Fprintf(os.Stderr, "usage: %s EVENT.json   (- reads the event from standard input)\n", os.Args[0])
		os.Exit(2)
	}
	out, err := InvokeFile(context.Background(), fn, os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(append(out, '\n'))
}

// MemoryShare is the share of the function's memory the Go heap may use
// before the collector works harder (GOMEMLIMIT): the rest is the
// runtime's, the binary's and the stacks'.
const MemoryShare = 0.8

// LimitMemory sets the Go memory limit (GOMEMLIMIT, unless the environment
// sets one) to MemoryShare of the function's memory, as Lambda names it in
// AWS_LAMBDA_FUNCTION_MEMORY_SIZE (MB): past it the collector runs
// harder instead of the function being killed for memory. It returns the
// limit set, or 0.
func LimitMemory() int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0
	}
	mb, err := strconv.ParseInt(os.Getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), 10, 64)
	if err != nil || mb <= 0 {
		return 0
	}
	limit := int64(float64(mb<<20) * MemoryShare)
	debug.SetMemoryLimit(limit)
	return limit
}

// InvokeFile runs fn once on the event in path and returns its response as
// indented JSON.
func InvokeFile[In, Out any](ctx context.Context, fn func(context.Context, In) (Out, error), path string) ([]byte, error) {
	var raw []byte
	var err error
	if path == "-" {
		raw, err = io.ReadAll(os.Stdin)
	} else {
		raw, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	var ev In
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("event: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, localTimeout)
	defer cancel()
	out, err := fn(ctx, ev)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(out, "", "  ")
}
