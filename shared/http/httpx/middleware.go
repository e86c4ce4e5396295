package httpx

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/partner-identity/api/shared/http/apierr"
	"github.com/partner-identity/api/shared/kit/deadline"
	"github.com/partner-identity/api/shared/kit/logsafe"
)

// Dialect renders the shared error model in one surface's wire format.
type Dialect interface {
	WriteError(w http.ResponseWriter, r *http.Request, e *apierr.Error)
	// RateLimited is the dialect's answer to a request past its partner's
	// rate budget (429; Retry-After from e.RetryAfter).
	RateLimited(retryAfter time.Duration) *apierr.Error
}

// Handler is a route's handler, in the manner of tailscale's tsweb: it
// writes a success itself and returns any failure, which Wrap renders in
// the route's dialect. An *apierr.Error is shown as it is (its Cause only
// logged); any other error is the route's 500.
type Handler func(w http.ResponseWriter, r *http.Request) error

// WrapRoute is what Wrap needs to know of a route: its name for the log
// line, its surface's dialect, and the message of its 500
// (apierr.MsgInternal when empty; a dialect without free messages renders
// its own).
type WrapRoute struct {
	Name    string
	Dialect Dialect
	Failure string
	// Budget is the partner's rate budget the route draws on
	// (ratelimit.Default when empty).
	Budget string
}

// Wrap puts the per-request machinery around h: request id, one JSON log
// line (request id, route, status, latency, partner id, error code; never a
// path, query, header or body value), the rendering of h's error and of a
// panic in rt's dialect, and a context that ends a second (package deadline) before
// the function's deadline.
func Wrap(rt WrapRoute, h Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		cold, _ := r.Context().Value(coldStartKey{}).(bool)
		info := &requestInfo{RequestID: requestIDFor(r), Route: rt.Name, ColdStart: cold, budget: rt.Budget, dialect: rt.Dialect, header: w.Header()}
		ctx, cancel := deadline.Within(r.Context())
		defer cancel()
		r = r.WithContext(context.WithValue(ctx, ctxKey{}, info))
		setEveryResponsesHeaders(w.Header(), info.RequestID)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				info.Stack = logsafe.Stack()
				rt.fail(sw, r, info, apierr.Internal(apierr.MsgInternal).WithCause(logsafe.Panic(p)))
			}
			logRequest(r.Context(), info, sw.status, time.Since(start))
		}()
		if err := h(sw, r); err != nil {
			rt.fail(sw, r, info, err)
		}
	})
}

// setEveryResponsesHeaders sets what every response carries, a CORS
// preflight's included: the request id; no intermediary may keep a copy
// (tokens and personal data); JSON is never to be sniffed as anything
// else.
func setEveryResponsesHeaders(h http.Header, requestID string) {
	h.Set(headerRequestID, requestID)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
}

// fail renders err in the route's dialect, unless the handler has already
// answered, and keeps its cause for the log line.
func (rt WrapRoute) fail(sw *statusWriter, r *http.Request, info *requestInfo, err error) {
	e, ok := apierr.As(err)
	if !ok {
		msg := rt.Failure
		if msg == "" {
			msg = apierr.MsgInternal
		}
		e = apierr.Internal(msg).WithCause(err)
	}
	if e.Cause != nil {
		info.Cause = e.Cause
	}
	if !sw.wrote {
		if e.RetryAfter > 0 {
			sw.Header().Set("Retry-After", strconv.FormatInt(Seconds(e.RetryAfter), 10))
		}
		rt.Dialect.WriteError(sw, r, e)
	}
}

func logRequest(ctx context.Context, info *requestInfo, status int, latency time.Duration) {
	attrs := []slog.Attr{
		slog.String("requestId", info.RequestID),
		slog.String("route", info.Route),
		slog.Int("status", status),
		slog.Float64("latencyMs", float64(latency.Microseconds())/1000),
	}
	if info.PartnerID != "" {
		attrs = append(attrs, slog.String("partnerId", info.PartnerID))
	}
	if info.ColdStart {
		attrs = append(attrs, slog.Bool("coldStart", true))
	}
	level := slog.LevelInfo
	if info.Cause != nil {
		attrs = append(attrs, slog.String("error", logsafe.Code(info.Cause)))
	}
	if info.Stack != "" {
		attrs = append(attrs, slog.String("stack", info.Stack))
	}
	if status >= 500 {
		level = slog.LevelError
	}
	slog.LogAttrs(ctx, level, "request", attrs...)
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap is the writer underneath, for http.ResponseController (Flush,
// deadlines) to reach through the wrapper.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusWriter) Write(b []byte) (int, error) {
	if !s.wrote {
		s.status, s.wrote = http.StatusOK, true
	}
	return s.ResponseWriter.Write(b)
}
