package httpx

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/partner-identity/api/shared/apierr"
	"github.com/partner-identity/api/shared/deadline"
	"github.com/partner-identity/api/shared/logsafe"
)

// Dialect renders the shared error model in one surface's wire format.
type Dialect interface {
	WriteError(w http.ResponseWriter, r *http.Request, e *apierr.Error)
}

// Wrap puts the per-request machinery around h: request id, one JSON log
// line (request id, route, status, latency, partner id, error code; never a
// path, query, header or body value), panic recovery rendered in d, and a
// context that ends deadline.Reserve before the function's deadline.
func Wrap(route string, d Dialect, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &Info{RequestID: requestIDFor(r), Route: route}
		ctx, cancel := deadline.Within(r.Context())
		defer cancel()
		r = r.WithContext(context.WithValue(ctx, ctxKey{}, info))
		w.Header().Set(HeaderRequestID, info.RequestID)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				info.Cause = logsafe.Panic(p)
				if !sw.wrote {
					d.WriteError(sw, r, apierr.Internal(apierr.MsgInternal))
				}
			}
			logRequest(r.Context(), info, sw.status, time.Since(start))
		}()
		h.ServeHTTP(sw, r)
	})
}

func logRequest(ctx context.Context, info *Info, status int, latency time.Duration) {
	attrs := []slog.Attr{
		slog.String("requestId", info.RequestID),
		slog.String("route", info.Route),
		slog.Int("status", status),
		slog.Float64("latencyMs", float64(latency.Microseconds())/1000),
	}
	if info.PartnerID != "" {
		attrs = append(attrs, slog.String("partnerId", info.PartnerID))
	}
	level := slog.LevelInfo
	if info.Cause != nil {
		attrs = append(attrs, slog.String("error", logsafe.Code(info.Cause)))
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

func (s *statusWriter) Write(b []byte) (int, error) {
	if !s.wrote {
		s.status, s.wrote = http.StatusOK, true
	}
	return s.ResponseWriter.Write(b)
}
