package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/ratelimit"
)

// runRates runs the rate budgets' part: a bucket's conditional step,
// whichever the caller's guess, and no admission past the bucket under
// concurrent takers.
func runRates(t *testing.T, newStore func(t *testing.T) domain.Store) {
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC).UnixNano()
	const interval = int64(10 * time.Millisecond) // 100 a second
	take := func(partner string, at int64, n int, full bool) ratelimit.Take {
		return ratelimit.Take{PartnerID: partner, Budget: ratelimit.Default, Now: at, Cost: int64(n) * interval, Limit: 10 * interval, Full: full}
	}
	t.Run("a bucket takes what fits, whatever the guess", func(t *testing.T) {
		s := newStore(t)
		steps := []struct {
			t      ratelimit.Take
			tat    int64
			ok     bool
			reason string
		}{
			{take("p_a", now, 4, true), now + 4*interval, true, "a new bucket is full"},
			{take("p_a", now, 3, true), now + 7*interval, true, "guessed full, was not: the second write"},
			{take("p_a", now, 3, false), now + 10*interval, true, "the bucket's last three"},
			{take("p_a", now, 1, false), now + 10*interval, false, "empty: refused with the stored TAT"},
			{take("p_a", now+5*interval, 6, false), now + 10*interval, false, "five came back: six do not fit"},
			{take("p_a", now+5*interval, 5, true), now + 15*interval, true, "five do (guessed full, was not)"},
			{take("p_a", now+time.Hour.Nanoseconds(), 2, false), now + time.Hour.Nanoseconds() + 2*interval, true, "an hour on, full again (guessed not)"},
			{take("p_b", now, 10, false), now + 10*interval, true, "another partner's bucket is its own"},
		}
		for _, st := range steps {
			tat, ok, err := s.TakeRate(ctx, st.t)
			if err != nil || ok != st.ok || tat != st.tat {
				t.Fatalf("%s: tat %d ok %v (%v), want %d %v", st.reason, tat-now, ok, err, st.tat-now, st.ok)
			}
		}
		other := take("p_a", now+time.Hour.Nanoseconds(), 10, true)
		other.Budget = ratelimit.KYCLinks
		if _, ok, err := s.TakeRate(ctx, other); !ok || err != nil {
			t.Fatalf("another budget's bucket is its own: %v %v", ok, err)
		}
	})
	t.Run("concurrent takers get the bucket and no more", func(t *testing.T) {
		s := newStore(t)
		var wg sync.WaitGroup
		var got atomic.Int64
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < 5; j++ {
					if _, ok, err := s.TakeRate(ctx, take("p_c", now, 1, j%2 == 0)); err != nil {
						t.Error(err)
					} else if ok {
						got.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		if got.Load() != 10 {
			t.Fatalf("%d requests admitted from a bucket of 10", got.Load())
		}
	})
}
