// Package httpx holds what every surface shares around its handlers: the
// request id, the per-request log line, panic recovery, the error dialect
// interface and strict JSON body reading.
package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

// headerRequestID is set on every response.
const headerRequestID = "X-Request-Id"

type ctxKey struct{}

// requestInfo is what the middleware knows of a request, kept in its context so
// handlers can add to the log line without logging themselves.
type requestInfo struct {
	RequestID string
	Route     string
	PartnerID string
	// Cause is the internal error behind a 5xx, logged as a code only.
	Cause error
	// Stack is a recovered panic's stack: functions and lines, no values.
	Stack string
	// ColdStart: the container's first request (WithColdStart).
	ColdStart bool
	// budget, dialect and header are the route's rate budget, its
	// dialect, and the response's header (Admit).
	budget  string
	dialect Dialect
	header  http.Header
}

// infoFrom returns the request's requestInfo (a throwaway one outside the middleware).
func infoFrom(ctx context.Context) *requestInfo {
	if i, ok := ctx.Value(ctxKey{}).(*requestInfo); ok {
		return i
	}
	return &requestInfo{}
}

// RequestID returns the request id of ctx.
func RequestID(ctx context.Context) string { return infoFrom(ctx).RequestID }

// coldStartKey marks a container's first request (WithColdStart).
type coldStartKey struct{}

// WithColdStart is ctx marked as its container's first request: the
// Lambda side says so, and the request's log line carries coldStart.
func WithColdStart(ctx context.Context) context.Context {
	return context.WithValue(ctx, coldStartKey{}, true)
}

// gatewayIDKey carries the API Gateway request id (WithRequestID).
type gatewayIDKey struct{}

// WithRequestID is ctx carrying id, API Gateway's request id: the Lambda
// side hands it over, so that this package knows nothing of Lambda.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, gatewayIDKey{}, id)
}

// requestIDFor is the API Gateway request id when the request came through
// the Lambda adapter, else a fresh random one. A client's own X-Request-Id is
// not trusted: it would let callers forge correlation ids in our logs.
func requestIDFor(r *http.Request) string {
	if id, ok := r.Context().Value(gatewayIDKey{}).(string); ok && id != "" {
		return id
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
