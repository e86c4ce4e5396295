// Package httpx holds what every surface shares around its handlers: the
// request id, the per-request log line, panic recovery, the error dialect
// interface and strict JSON body reading.
package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"
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

// SetPartner records the authenticated partner for the log line.
func SetPartner(r *http.Request, partnerID string) { infoFrom(r.Context()).PartnerID = partnerID }

// requestIDFor is the API Gateway request id when the request came through
// the Lambda adapter, else a fresh random one. A client's own X-Request-Id is
// not trusted: it would let callers forge correlation ids in our logs.
func requestIDFor(r *http.Request) string {
	if gw, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok && gw.RequestID != "" {
		return gw.RequestID
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
