package kyc

import (
	"context"
	"log/slog"
	"sync"
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
	// Workers is how many parts of the pending index are worked at once
	// (DefaultWorkers when 0): each worker drains one part page by page,
	// then takes the next.
	Workers int
	// Reserve is the time left before the Lambda deadline at which a run
	// stops taking new pages, leaving the rest to the next run.
	Reserve time.Duration
	// Erasures, when set, are the user erasures a call left unfinished:
	// each run finishes them after the sessions (DynamoDB's store; the
	// memory store erases in one step).
	Erasures Erasures
	// Wiper, when set, carries out the test sides' wipes of their data
	// (the sandbox's DELETE /sandbox/data) after the erasures.
	Wiper Wiper
	// Sandbox, when set, decides the sandbox's delayed outcomes that are
	// due (a service with the sandbox's callbacks), from Schedule.
	Sandbox  *Service
	Schedule domain.SandboxSchedule
	// Quiet runs log and count nothing when they found nothing to expire
	// (make run's every minute); a deployed cleanup logs every run, and its
	// metrics feed the backlog alarm.
	Quiet bool
}

// DefaultWorkers: eight parts at once take a backlog of a million
// expired sessions through in about 160 s of DynamoDB round trips (10,000
// pages, each a Query and two transactions) and about 6,000 sessions a
// second, a small share of the table's write capacity next to the API's
// (docs/PERFORMANCE.md, capacity model).
const DefaultWorkers = 8

// Erasures are the erasures a cleanup finishes.
type Erasures interface {
	UnfinishedErasures(ctx context.Context, limit int) ([]domain.SessionRef, error)
	EraseUser(ctx context.Context, partnerID, userID string, ev domain.OutboxEvent, now time.Time) error
}

// Wiper is what a wipe of a test side's data takes: its requests, its
// events (every user it made has one, kept as long as test data), and the
// erasure of each of their users.
type Wiper interface {
	domain.Wipes
	Erasures
	ListOutboxEvents(ctx context.Context, partnerID string, q domain.OutboxQuery) (domain.OutboxPage, error)
}

// NewCleaner is the cleanup of the sessions in s (and of its unfinished
// erasures and wipes, when it keeps users), with now as its clock.
func NewCleaner(s domain.KYCSessions, now func() time.Time) *Cleaner {
	c := &Cleaner{Store: s, Now: now}
	if e, ok := s.(Erasures); ok {
		c.Erasures = e
	}
	if w, ok := s.(Wiper); ok {
		c.Wiper = w
	}
	return c
}

// CleanupResult is what a run did.
type CleanupResult struct {
	Expired int
	// Skipped sessions were listed but no longer pending (completed or
	// expired by a concurrent run) when their update came.
	Skipped int
	Pages   int
	// Erased counts the unfinished erasures finished; Wiped the test
	// users erased by wipes, Wipes the wipes carried out.
	Erased int
	Wiped  int
	Wipes  int
	// Decided counts the sandbox's delayed outcomes decided.
	Decided int
	Done    bool
}

// Run expires every pending session past its expiry, the parts of the
// pending index at once (Workers), page by page, until none is left or
// the deadline is near. Running it twice or concurrently is safe: each
// session is expired by one conditional update only.
func (c *Cleaner) Run(ctx context.Context) (CleanupResult, error) {
	pageSize, reserve, workers := c.PageSize, c.Reserve, c.Workers
	if pageSize <= 0 {
		pageSize = 100
	}
	if reserve <= 0 {
		reserve = 5 * time.Second
	}
	if workers <= 0 {
		workers = DefaultWorkers
	}
	start := time.Now()
	now := c.Now().UTC()
	parts := make(chan int, c.Store.ExpiryParts())
	for p := range c.Store.ExpiryParts() {
		parts <- p
	}
	close(parts)
	var (
		mu       sync.Mutex
		res      CleanupResult
		firstErr error
		finished int
		wg       sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range min(workers, cap(parts)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for part := range parts {
				r, done, err := c.drain(ctx, part, now, pageSize, reserve)
				mu.Lock()
				res.Expired, res.Skipped, res.Pages = res.Expired+r.Expired, res.Skipped+r.Skipped, res.Pages+r.Pages
				if done {
					finished++
				}
				if err != nil && firstErr == nil {
					firstErr = err
					cancel() // the other workers stop at their next page
				}
				mu.Unlock()
				if err != nil || !done {
					return
				}
			}
		}()
	}
	wg.Wait()
	erasuresDone := true
	if firstErr == nil && c.Erasures != nil {
		erasuresDone, firstErr = c.finishErasures(ctx, now, reserve, &res)
	}
	// The sandbox's delayed outcomes before the wipes (a wipe erases the
	// sessions an outcome was due on).
	if firstErr == nil && c.Sandbox != nil && c.Schedule != nil {
		firstErr = c.decideDue(ctx, now, &res)
	}
	if firstErr == nil && erasuresDone && c.Wiper != nil {
		erasuresDone, firstErr = c.wipe(ctx, now, reserve, &res)
	}
	if firstErr != nil {
		c.log(ctx, res, start, firstErr)
		return res, firstErr
	}
	res.Done = finished == cap(parts) && erasuresDone
	if c.Quiet && res.Done && res.Expired == 0 && res.Skipped == 0 && res.Erased == 0 && res.Wipes == 0 && res.Decided == 0 {
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

// finishErasures finishes the erasures calls left unfinished, a page at a
// time, until none is left (done) or the deadline is near (the backlog
// metric then says so, as for sessions).
func (c *Cleaner) finishErasures(ctx context.Context, now time.Time, reserve time.Duration, res *CleanupResult) (done bool, err error) {
	for {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < reserve {
			return false, nil
		}
		refs, err := c.Erasures.UnfinishedErasures(ctx, 10)
		if err != nil || len(refs) == 0 {
			return err == nil, err
		}
		for _, r := range refs {
			if err := c.Erasures.EraseUser(ctx, r.PartnerID, r.UserID, domain.OutboxEvent{}, now); err != nil {
				return false, err
			}
			res.Erased++
		}
	}
}

// wipe carries out the wipes requested, one test side at a time: every
// user of its events (a page of 100 at a time) is erased, with its
// sessions, links, identities and personal events; then the request goes
// (unless a later one replaced it). Until the deadline is near: a wipe cut
// short goes on at the next run, from its first page (the users erased
// are gone from it). A live partner's request is never carried out.
func (c *Cleaner) wipe(ctx context.Context, now time.Time, reserve time.Duration, res *CleanupResult) (done bool, err error) {
	reqs, err := c.Wiper.Wipes(ctx, 10)
	if err != nil {
		return false, err
	}
	for _, r := range reqs {
		if domain.Livemode(r.PartnerID) {
			continue
		}
		erased := map[string]bool{}
		q := domain.OutboxQuery{Limit: 100}
		for {
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) < reserve {
				return false, nil
			}
			page, err := c.Wiper.ListOutboxEvents(ctx, r.PartnerID, q)
			if err != nil {
				return false, err
			}
			for _, st := range page.Events {
				if u := st.Event.UserID; u != "" && !erased[u] {
					if err := c.Wiper.EraseUser(ctx, r.PartnerID, u, domain.OutboxEvent{}, now); err != nil {
						return false, err
					}
					erased[u] = true
					res.Wiped++
				}
			}
			if page.Next == nil {
				break
			}
			q.After = page.Next
		}
		if err := c.Wiper.FinishWipe(ctx, r); err != nil {
			return false, err
		}
		res.Wipes++
	}
	return len(reqs) < 10, nil
}

// decideDue decides the sandbox's outcomes due at now (a page of 50 a
// run): each through the sandbox's callbacks, then removed. An outcome
// its session's state refuses (an expiry of a session with a result) is
// removed too; a fault leaves it for the next run.
func (c *Cleaner) decideDue(ctx context.Context, now time.Time, res *CleanupResult) error {
	due, err := c.Schedule.DueSandboxOutcomes(ctx, now, 50)
	if err != nil {
		return err
	}
	for _, o := range due {
		out, err := ParseSandboxOutcome("outcome", o.Outcome)
		if err == nil {
			_, err = c.Sandbox.Decide(ctx, o.PartnerID, o.SessionID, out)
		}
		if _, refused := domain.As(err); err != nil && !refused {
			return err
		}
		if err := c.Schedule.DoneSandboxOutcome(ctx, o); err != nil {
			return err
		}
		res.Decided++
	}
	return nil
}

// drain expires part's expired sessions page by page until none is left
// (done) or the deadline is near.
func (c *Cleaner) drain(ctx context.Context, part int, now time.Time, pageSize int, reserve time.Duration) (CleanupResult, bool, error) {
	var res CleanupResult
	cursor := ""
	for {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < reserve {
			return res, false, nil
		}
		refs, next, err := c.Store.ExpiredKYCSessions(ctx, part, now, cursor, pageSize)
		if err != nil {
			return res, false, err
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
			return res, false, err
		}
		if next == "" {
			return res, true, nil
		}
		cursor = next
	}
}

func (c *Cleaner) log(ctx context.Context, res CleanupResult, start time.Time, err error) {
	attrs := []any{"expired", res.Expired, "skipped", res.Skipped, "pages", res.Pages, "erased", res.Erased, "wipes", res.Wipes, "wiped", res.Wiped, "decided", res.Decided, "done", res.Done,
		"latencyMs", float64(time.Since(start).Microseconds()) / 1000}
	if err != nil {
		slog.ErrorContext(ctx, "kyc cleanup", append(attrs, "error", logsafe.Code(err))...)
		return
	}
	slog.InfoContext(ctx, "kyc cleanup", attrs...)
}
