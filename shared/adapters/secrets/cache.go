// Package secrets reads secrets (Secrets Manager or a local file) through a
// per-container cache: fresh for a TTL (5 minutes by default), one fetch for
// any number of concurrent misses, and the last good value served stale when
// the source fails, so a Secrets Manager outage does not take the API down.
package secrets

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/partner-identity/api/shared/kit/logsafe"
	"golang.org/x/sync/singleflight"
)

// Defaults of a Cache.
const (
	defaultTTL        = 5 * time.Minute
	DefaultRetryAfter = 30 * time.Second
	fetchTimeout      = 5 * time.Second
)

// Cache holds the value produced by Load.
type Cache[T any] struct {
	Load func(ctx context.Context) (T, error)
	// TTL is how long a value is fresh; RetryAfter how long a stale value is
	// served after a failed refresh before the source is tried again.
	TTL, RetryAfter time.Duration
	Now             func() time.Time

	mu      sync.Mutex
	val     T
	have    bool
	freshTo time.Time
	group   singleflight.Group
}

// NewCache returns a cache over load with the default timings.
func NewCache[T any](load func(ctx context.Context) (T, error)) *Cache[T] {
	return &Cache[T]{Load: load, TTL: defaultTTL, RetryAfter: DefaultRetryAfter, Now: time.Now}
}

// Get returns the cached value, fetching it when it is missing or stale. A
// Get that finds a fetch under way waits for it; when that was a prefetch
// and it failed, Get fetches again itself (a failed prefetch never fails a
// request on its own).
func (c *Cache[T]) Get(ctx context.Context) (T, error) {
	if v, ok := c.fresh(); ok {
		return v, nil
	}
	var zero T
	for attempt := 0; ; attempt++ {
		ch := c.group.DoChan("", func() (any, error) { return c.refresh(ctx) })
		select {
		case res := <-ch:
			var pf *prefetchError
			switch {
			case errors.As(res.Err, &pf) && attempt == 0:
				continue
			case pf != nil:
				return zero, pf.err
			case res.Err != nil:
				return zero, res.Err
			}
			return res.Val.(T), nil
		case <-ctx.Done():
			return zero, ctx.Err()
		}
	}
}

// Prefetch starts fetching the value when it is missing or stale, and
// returns at once: a container starts, during its initialisation, the
// fetches its first request will need. A Get meanwhile waits for this
// fetch; if it fails, that Get fetches again.
func (c *Cache[T]) Prefetch() {
	if _, ok := c.fresh(); ok {
		return
	}
	c.group.DoChan("", func() (any, error) {
		v, err := c.refresh(context.Background())
		if err != nil {
			return v, &prefetchError{err}
		}
		return v, nil
	})
}

// prefetchError is the failure of a Prefetch, which a waiting Get does not
// take for its own.
type prefetchError struct{ err error }

func (e *prefetchError) Error() string { return "prefetch: " + e.err.Error() }
func (e *prefetchError) Unwrap() error { return e.err }

func (c *Cache[T]) refresh(ctx context.Context) (T, error) {
	// Another caller may have refreshed while this one waited for the flight.
	if v, ok := c.fresh(); ok {
		return v, nil
	}
	// The fetch serves every waiter: one caller's cancellation must not fail it.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
	defer cancel()
	v, err := c.Load(fctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		if c.have {
			c.freshTo = c.Now().Add(c.RetryAfter)
			slog.WarnContext(ctx, "secret refresh failed; serving the cached value", "error", logsafe.Code(err))
			return c.val, nil
		}
		var zero T
		return zero, err
	}
	c.val, c.have, c.freshTo = v, true, c.Now().Add(c.TTL)
	return v, nil
}

// fresh returns the value while it is fresh (or while a failed refresh's
// retry time has not come).
func (c *Cache[T]) fresh() (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.have && c.Now().Before(c.freshTo) {
		return c.val, true
	}
	var zero T
	return zero, false
}
