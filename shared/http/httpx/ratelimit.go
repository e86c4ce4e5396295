package httpx

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/partner-identity/api/shared/domain/ratelimit"
	"github.com/partner-identity/api/shared/kit/logsafe"
	"github.com/partner-identity/api/shared/kit/metrics"
)

// The rate limit's response headers (draft-ietf-httpapi-ratelimit-headers-10):
// the budget's policy, and what is left of it.
const (
	HeaderRateLimitPolicy = "RateLimit-Policy"
	HeaderRateLimit       = "RateLimit"
)

type limiterKey struct{}

// WithLimiter serves h with l admitting each identified partner's
// requests (Admit); without it nothing is limited.
func WithLimiter(h http.Handler, l *ratelimit.Limiter) http.Handler {
	if l == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), limiterKey{}, l)))
	})
}

// Admit records the request's partner (for the log line) and draws the
// request on the partner's budget for the route: the response carries the
// budget's RateLimit-Policy and RateLimit, and a request past it gets the
// dialect's 429 (returned: the caller answers it and does nothing else).
// A surface calls it once it knows the partner, before any write or any
// provider's call.
func Admit(r *http.Request, partnerID string, limits ratelimit.Limits) error {
	info := infoFrom(r.Context())
	info.PartnerID = partnerID
	l, _ := r.Context().Value(limiterKey{}).(*ratelimit.Limiter)
	if l == nil || info.header == nil {
		return nil
	}
	budget := info.budget
	if budget == "" {
		budget = ratelimit.Default
	}
	d, err := l.Allow(r.Context(), partnerID, budget, limits.For(budget))
	if err != nil {
		slog.WarnContext(r.Context(), "rate limit unchecked", "partnerId", partnerID, "budget", budget, "error", logsafe.Code(err))
		metrics.Count(r.Context(), metrics.RateLimitUnchecked, 1)
	}
	SetRateLimitHeaders(info.header, d)
	if d.Allowed {
		return nil
	}
	metrics.Count(r.Context(), metrics.RateLimited, 1)
	return info.dialect.RateLimited(max(d.RetryAfter, time.Second))
}

// SetRateLimitHeaders sets d's RateLimit-Policy ("budget";q=burst;w=the
// seconds the burst takes to come back) and RateLimit ("budget";r=what
// remains;t=the seconds until it is all back).
func SetRateLimitHeaders(h http.Header, d ratelimit.Decision) {
	name := strconv.Quote(d.Budget)
	h.Set(HeaderRateLimitPolicy, name+";q="+strconv.Itoa(d.Policy.Burst)+";w="+strconv.FormatInt(Seconds(d.Policy.Window()), 10))
	h.Set(HeaderRateLimit, name+";r="+strconv.Itoa(max(0, min(d.Remaining, d.Policy.Burst)))+";t="+strconv.FormatInt(Seconds(d.Reset), 10))
}

// Seconds is d in whole seconds, rounded up.
func Seconds(d time.Duration) int64 { return int64(math.Ceil(d.Seconds())) }
