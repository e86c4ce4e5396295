package kyc

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/partner-identity/api/shared/deadline"
	"github.com/partner-identity/api/shared/logsafe"
	"github.com/partner-identity/api/shared/metrics"
	"github.com/partner-identity/api/shared/outbox"
	"github.com/partner-identity/api/shared/store"
)

// Cleaner marks pending KYC sessions past their expiry EXPIRED.
type Cleaner struct {
	Store store.KYCSessions
	Now   func() time.Time
	// PageSize is how many sessions one index query returns; the store
	// expires them in transactions of up to 50.
	PageSize int
	// Reserve is the time left before the Lambda deadline at which a run
	// stops taking new pages, leaving the rest to the next run.
	Reserve time.Duration
}

// NewCleaner is the cleanup of the sessions in s, with now as its clock.
func NewCleaner(s store.KYCSessions, now func() time.Time) *Cleaner {
	return &Cleaner{Store: s, Now: now}
}

// CleanupResult is what a run did; it is the function's response.
type CleanupResult struct {
	Expired int `json:"expired"`
	// Skipped sessions were listed but no longer pending (completed or
	// expired by a concurrent run) when their update came.
	Skipped int  `json:"skipped"`
	Pages   int  `json:"pages"`
	Done    bool `json:"done"`
}

// Run expires every pending session past its expiry, page by page, until
// none is left or the deadline is near. Running it twice or concurrently is
// safe: each session is expired by one conditional update only.
func (c *Cleaner) Run(ctx context.Context) (CleanupResult, error) {
	pageSize, reserve := c.PageSize, c.Reserve
	if pageSize <= 0 {
		pageSize = 100
	}
	if reserve <= 0 {
		reserve = 5 * time.Second
	}
	start := time.Now()
	now := c.Now().UTC()
	var res CleanupResult
	cursor := ""
	for {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < reserve {
			break
		}
		refs, next, err := c.Store.ExpiredKYCSessions(ctx, now, cursor, pageSize)
		if err != nil {
			c.log(ctx, res, start, err)
			return res, err
		}
		res.Pages++
		batch := make([]store.Expiry, len(refs))
		for i, ref := range refs {
			batch[i] = store.Expiry{ID: ref.ID, Event: outbox.Must(outbox.KYCSessionExpired, ref.PartnerID,
				map[string]string{"userId": ref.UserID, "sessionId": ref.ID}, now)}
		}
		expired, err := c.Store.ExpireKYCSessions(ctx, batch, now)
		res.Expired += len(expired)
		res.Skipped += len(refs) - len(expired)
		if err != nil {
			c.log(ctx, res, start, err)
			return res, err
		}
		if next == "" {
			res.Done = true
			break
		}
		cursor = next
	}
	c.log(ctx, res, start, nil)
	metrics.Count(ctx, metrics.SessionsExpired, res.Expired)
	backlog := 0
	if !res.Done {
		backlog = 1
	}
	metrics.Count(ctx, metrics.CleanupBacklog, backlog)
	return res, nil
}

func (c *Cleaner) log(ctx context.Context, res CleanupResult, start time.Time, err error) {
	attrs := []any{"expired", res.Expired, "skipped", res.Skipped, "pages", res.Pages, "done", res.Done,
		"latencyMs", float64(time.Since(start).Microseconds()) / 1000}
	if err != nil {
		slog.ErrorContext(ctx, "kyc cleanup", append(attrs, "error", logsafe.Code(err))...)
		return
	}
	slog.InfoContext(ctx, "kyc cleanup", attrs...)
}

// Handle is the function's entry point: the schedule's event carries
// nothing the run needs. The run ends a second (package deadline) before the
// function's deadline.
func (c *Cleaner) Handle(ctx context.Context, _ json.RawMessage) (CleanupResult, error) {
	ctx, cancel := deadline.Within(ctx)
	defer cancel()
	return c.Run(ctx)
}
