package kyc

import (
	"context"
	"log/slog"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/outbox"
	"github.com/partner-identity/api/shared/kit/logsafe"
	"github.com/partner-identity/api/shared/kit/metrics"
)

// Cleaner marks pending KYC sessions past their expiry EXPIRED.
type Cleaner struct {
	Store domain.KYCSessions
	Now   func() time.Time
	// PageSize is how many sessions one index query returns; the store
	// expires them in transactions of up to 50.
	PageSize int
	// Reserve is the time left before the Lambda deadline at which a run
	// stops taking new pages, leaving the rest to the next run.
	Reserve time.Duration
	// Quiet runs log and count nothing when they found nothing to expire
	// (make run's every minute); a deployed cleanup logs every run, and its
	// metrics feed the backlog alarm.
	Quiet bool
}

// NewCleaner is the cleanup of the sessions in s, with now as its clock.
func NewCleaner(s domain.KYCSessions, now func() time.Time) *Cleaner {
	return &Cleaner{Store: s, Now: now}
}

// CleanupResult is what a run did.
type CleanupResult struct {
	Expired int
	// Skipped sessions were listed but no longer pending (completed or
	// expired by a concurrent run) when their update came.
	Skipped int
	Pages   int
	Done    bool
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
		batch := make([]domain.Expiry, len(refs))
		for i, ref := range refs {
			batch[i] = domain.Expiry{ID: ref.ID, Event: outbox.Must(outbox.KYCSessionExpired, ref.PartnerID,
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
	if c.Quiet && res.Done && res.Expired == 0 && res.Skipped == 0 {
		return res, nil
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
