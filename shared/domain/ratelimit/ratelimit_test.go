package ratelimit_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/domain/ratelimit"
)

// counted is a store that counts its steps, and fails while down.
type counted struct {
	ratelimit.Store
	takes atomic.Int64
	down  atomic.Bool
}

func (c *counted) TakeRate(ctx context.Context, t ratelimit.Take) (int64, bool, error) {
	c.takes.Add(1)
	if c.down.Load() {
		return 0, false, errors.New("store down")
	}
	return c.Store.TakeRate(ctx, t)
}

// clock is a fake time shared by the containers.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// load sends rate requests a second of partner for d, spread round-robin
// over the containers, and returns how many were admitted.
func load(t *testing.T, c *clock, containers []*ratelimit.Limiter, partner string, p ratelimit.Policy, rate int, d time.Duration) int {
	t.Helper()
	step := time.Second / time.Duration(rate)
	admitted := 0
	for i := 0; i < int(d/step); i++ {
		container := containers[i%len(containers)]
		dec, err := container.Allow(context.Background(), partner, ratelimit.Default, p)
		if err != nil {
			t.Fatal(err)
		}
		container.Settle() // a lease behind the requests, taken before the clock moves
		if dec.Allowed {
			admitted++
		}
		c.t = c.t.Add(step)
	}
	return admitted
}

func fleet(store ratelimit.Store, c *clock, n int) []*ratelimit.Limiter {
	var ls []*ratelimit.Limiter
	for i := 0; i < n; i++ {
		ls = append(ls, ratelimit.New(store, c.now))
	}
	return ls
}

// TestALimitHoldsAcrossContainers: a partner sending ten times its rate,
// spread over 50 containers, gets its burst and its rate, not 50 times
// it; a partner at half its rate on the same containers gets everything.
func TestALimitHoldsAcrossContainers(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	store := &counted{Store: memstore.New()}
	containers := fleet(store, c, 50)
	p := ratelimit.Policy{Rate: 100, Burst: 200}
	admitted := load(t, c, containers, "p_a", p, 1000, 10*time.Second)
	// The burst and the rate, and at most one small lease on credit per
	// container while the bucket still looked full.
	if ceiling := 200 + 100*10 + len(containers); admitted > ceiling || admitted < 900 {
		t.Fatalf("admitted %d of 10,000 over 10 s at 100/s (burst 200): want at most %d and about 1,000", admitted, ceiling)
	}
	store.takes.Store(0)
	admittedB := load(t, c, containers, "p_b", p, 50, 10*time.Second)
	if admittedB != 500 {
		t.Fatalf("a partner at half its rate got %d of 500", admittedB)
	}
	t.Logf("A: %d admitted; B: %d of 500 in %d store steps", admitted, admittedB, store.takes.Load())
}

// TestALeaseSavesWrites: a partner under its limit at 5,000 requests a
// second on 10 containers makes about one store step per 50 requests of
// each: under 0.05 writes a request, under 300 a second on its bucket.
func TestALeaseSavesWrites(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	store := &counted{Store: memstore.New()}
	containers := fleet(store, c, 10)
	p := ratelimit.Policy{Rate: 10_000, Burst: 20_000}
	admitted := load(t, c, containers, "p_big", p, 5000, 10*time.Second)
	if admitted != 50_000 {
		t.Fatalf("admitted %d of 50,000 under the limit", admitted)
	}
	perRequest := float64(store.takes.Load()) / 50_000
	perSecond := float64(store.takes.Load()) / 10
	t.Logf("%d steps for 50,000 requests: %.4f a request, %.0f a second on the bucket", store.takes.Load(), perRequest, perSecond)
	if perRequest >= 0.05 || perSecond > 300 {
		t.Fatalf("%.4f steps a request, %.0f a second", perRequest, perSecond)
	}
}

// TestARefusalAsksNothingUntilItCanFit: once refused, a container refuses
// without a store step until one request fits, and says when that is.
func TestARefusalAsksNothingUntilItCanFit(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	store := &counted{Store: memstore.New()}
	l := ratelimit.New(store, c.now)
	p := ratelimit.Policy{Rate: 2, Burst: 2}
	for i := 0; i < 2; i++ {
		if d, _ := l.Allow(context.Background(), "p_a", ratelimit.Default, p); !d.Allowed {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	// The container wanted two (its second so far): they come back in 1 s
	// (and up to a quarter of that more, at random).
	d, _ := l.Allow(context.Background(), "p_a", ratelimit.Default, p)
	if d.Allowed || d.RetryAfter < time.Second || d.RetryAfter > 1250*time.Millisecond || d.Remaining != 0 {
		t.Fatalf("past the burst: %+v, want refused, retry after 1 to 1.25 s", d)
	}
	retry := d.RetryAfter
	steps := store.takes.Load()
	c.t = c.t.Add(400 * time.Millisecond)
	if d, _ := l.Allow(context.Background(), "p_a", ratelimit.Default, p); d.Allowed || store.takes.Load() != steps || d.RetryAfter != retry-400*time.Millisecond {
		t.Fatalf("before the retry time: %+v, %d steps (want none)", d, store.takes.Load()-steps)
	}
	c.t = c.t.Add(retry - 400*time.Millisecond)
	if d, _ := l.Allow(context.Background(), "p_a", ratelimit.Default, p); !d.Allowed {
		t.Fatalf("at the retry time: %+v", d)
	}
}

// TestAFaultAdmits: a store that fails admits the request (with the
// error, to be logged) and is not asked again for a second.
func TestAFaultAdmits(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	store := &counted{Store: memstore.New()}
	store.down.Store(true)
	l := ratelimit.New(store, c.now)
	p := ratelimit.Policy{Rate: 1, Burst: 1}
	d, err := l.Allow(context.Background(), "p_a", ratelimit.Default, p)
	if err == nil || !d.Allowed || !d.Unchecked {
		t.Fatalf("%+v %v", d, err)
	}
	for i := 0; i < 5; i++ {
		if d, err := l.Allow(context.Background(), "p_a", ratelimit.Default, p); err != nil || !d.Allowed {
			t.Fatalf("within the second: %+v %v", d, err)
		}
	}
	if store.takes.Load() != 1 {
		t.Fatalf("%d steps while open", store.takes.Load())
	}
	store.down.Store(false)
	c.t = c.t.Add(time.Second)
	if d, _ := l.Allow(context.Background(), "p_a", ratelimit.Default, p); !d.Allowed || d.Unchecked || store.takes.Load() != 2 {
		t.Fatalf("after the second: %+v, %d steps", d, store.takes.Load())
	}
}

// TestLimitsFallBackToTheDefaults: a partner's own policy for a budget,
// else the default's.
func TestLimitsFallBackToTheDefaults(t *testing.T) {
	l := ratelimit.Limits{ratelimit.KYCLinks: {Rate: 7, Burst: 9}}
	if l.For(ratelimit.KYCLinks) != (ratelimit.Policy{Rate: 7, Burst: 9}) || l.For(ratelimit.Default) != ratelimit.Defaults()[ratelimit.Default] {
		t.Fatalf("%v %v", l.For(ratelimit.KYCLinks), l.For(ratelimit.Default))
	}
	if (ratelimit.Policy{Rate: 50, Burst: 100}).Window() != 2*time.Second {
		t.Fatal("window")
	}
}

// gated is a store whose every step waits for the test: it says when a
// step has begun (entered) and goes on when released.
type gated struct {
	ratelimit.Store
	entered, release chan struct{}
}

func (g *gated) TakeRate(ctx context.Context, t ratelimit.Take) (int64, bool, error) {
	g.entered <- struct{}{}
	<-g.release
	return g.Store.TakeRate(ctx, t)
}

// TestAQuietPartnerDoesNotWait: a container's first request waits for
// its lease; once it has seen the bucket nearly full, a request past its
// lease is admitted at once and the lease is taken behind it (counting
// it); a bucket seen nearly empty makes every lease wait; a lease behind
// that is refused makes the container refuse, asking nothing, until the
// bucket refills.
func TestAQuietPartnerDoesNotWait(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	mem := memstore.New()
	g := &gated{Store: mem, entered: make(chan struct{}), release: make(chan struct{})}
	l := ratelimit.New(g, c.now)
	p := ratelimit.Policy{Rate: 10, Burst: 20}
	allow := func(partner string) <-chan ratelimit.Decision {
		done := make(chan ratelimit.Decision, 1)
		go func() {
			d, err := l.Allow(context.Background(), partner, ratelimit.Default, p)
			if err != nil {
				t.Error(err)
			}
			done <- d
		}()
		return done
	}
	waits := func(what string, done <-chan ratelimit.Decision) ratelimit.Decision {
		t.Helper()
		<-g.entered
		select {
		case d := <-done:
			t.Fatalf("%s: answered %+v before its lease", what, d)
		default:
		}
		g.release <- struct{}{}
		return <-done
	}

	// The first request waits; then the bucket is known nearly full.
	if d := waits("first request", allow("p_quiet")); !d.Allowed {
		t.Fatalf("first: %+v", d)
	}
	c.t = c.t.Add(2 * time.Second) // its lease is over
	d := <-allow("p_quiet")        // answered with the store's step not begun
	if !d.Allowed {
		t.Fatalf("a quiet partner's request: %+v", d)
	}
	<-g.entered // the lease behind it
	g.release <- struct{}{}
	l.Settle()
	if tat, _, _ := mem.TakeRate(context.Background(), ratelimit.Take{PartnerID: "p_quiet", Budget: ratelimit.Default, Now: c.t.UnixNano(), Limit: 20 * int64(100*time.Millisecond)}); tat != c.t.UnixNano()+int64(100*time.Millisecond) {
		t.Fatalf("the lease behind did not count the request: TAT %v after now", time.Duration(tat-c.t.UnixNano()))
	}

	// A bucket seen nearly empty: every lease waits.
	other := ratelimit.Take{PartnerID: "p_busy", Budget: ratelimit.Default, Now: c.t.UnixNano(), Cost: 18 * int64(100*time.Millisecond), Limit: 20 * int64(100*time.Millisecond), Full: true}
	if _, ok, _ := mem.TakeRate(context.Background(), other); !ok {
		t.Fatal("setup: another container's lease")
	}
	if d := waits("first request", allow("p_busy")); !d.Allowed {
		t.Fatalf("p_busy first: %+v", d)
	}
	c.t = c.t.Add(1100 * time.Millisecond) // its lease over; 12 of 20 in the bucket as seen and refilled since
	if d := waits("a busy partner's request", allow("p_busy")); !d.Allowed {
		t.Fatalf("p_busy: %+v", d)
	}

	// Quiet as last seen, but drained meanwhile by another container: the
	// request on credit passes, its lease behind is refused, and the next
	// is refused without a step.
	c.t = c.t.Add(2 * time.Second)
	drain := ratelimit.Take{PartnerID: "p_quiet", Budget: ratelimit.Default, Now: c.t.UnixNano(), Cost: 20 * int64(100*time.Millisecond), Limit: 20 * int64(100*time.Millisecond), Full: true}
	if _, ok, _ := mem.TakeRate(context.Background(), drain); !ok {
		t.Fatal("setup: the drain")
	}
	if d := <-allow("p_quiet"); !d.Allowed {
		t.Fatalf("on credit: %+v", d)
	}
	<-g.entered
	g.release <- struct{}{}
	l.Settle()
	if d := <-allow("p_quiet"); d.Allowed || d.RetryAfter <= 0 {
		t.Fatalf("after a refused lease behind: %+v, want refused without a step", d)
	}
}
