package secrets

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/testkit"
)

func TestCacheFetchesOnceForConcurrentMisses(t *testing.T) {
	var loads atomic.Int32
	release := make(chan struct{})
	c := NewCache(func(context.Context) (int, error) {
		loads.Add(1)
		<-release
		return 7, nil
	})
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, err := c.Get(context.Background()); v != 7 || err != nil {
				t.Errorf("got %d %v", v, err)
			}
		}()
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Fatalf("loads = %d, want 1", n)
	}
}

func TestCacheTTLStaleAndRetry(t *testing.T) {
	clk := testkit.NewClock(time.Unix(0, 0))
	var fail atomic.Bool
	var loads atomic.Int32
	c := NewCache(func(context.Context) (int, error) {
		n := loads.Add(1)
		if fail.Load() {
			return 0, errors.New("down")
		}
		return int(n), nil
	})
	c.Now = clk.Now
	get := func() int {
		v, err := c.Get(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if get() != 1 {
		t.Fatal("first value")
	}
	clk.Add(defaultTTL - time.Second)
	if get() != 1 || loads.Load() != 1 {
		t.Fatal("fresh value refetched")
	}
	clk.Add(2 * time.Second)
	if get() != 2 {
		t.Fatal("stale value not refreshed")
	}
	fail.Store(true)
	clk.Add(defaultTTL)
	if get() != 2 || loads.Load() != 3 {
		t.Fatalf("stale value not served on failure (loads %d)", loads.Load())
	}
	clk.Add(DefaultRetryAfter - time.Second)
	if get() != 2 || loads.Load() != 3 {
		t.Fatal("source retried before RetryAfter")
	}
	clk.Add(2 * time.Second)
	fail.Store(false)
	if get() != 4 {
		t.Fatal("not refreshed after recovery")
	}
}

func TestCacheErrorWithoutValue(t *testing.T) {
	c := NewCache(func(context.Context) (string, error) { return "", errors.New("down") })
	if _, err := c.Get(context.Background()); err == nil {
		t.Fatal("want an error when nothing was ever fetched")
	}
}

func TestCacheWaiterCancellationDoesNotFailTheFetch(t *testing.T) {
	release := make(chan struct{})
	c := NewCache(func(ctx context.Context) (int, error) {
		<-release
		return 1, ctx.Err()
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { _, err := c.Get(ctx); done <- err }()
	time.Sleep(10 * time.Millisecond)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	close(release)
	if v, err := c.Get(context.Background()); v != 1 || err != nil {
		t.Fatalf("fetch failed with a cancelled waiter: %d %v", v, err)
	}
}

// TestPrefetchIsJoinedByGet: a Get that arrives while a prefetch is under
// way waits for it: one fetch in all.
func TestPrefetchIsJoinedByGet(t *testing.T) {
	var loads atomic.Int32
	release := make(chan struct{})
	c := NewCache(func(context.Context) (int, error) {
		loads.Add(1)
		<-release
		return 7, nil
	})
	c.Prefetch()
	got := make(chan int)
	go func() {
		v, err := c.Get(context.Background())
		if err != nil {
			t.Error(err)
		}
		got <- v
	}()
	for loads.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	if v := <-got; v != 7 || loads.Load() != 1 {
		t.Fatalf("got %d after %d loads, want 7 after 1", v, loads.Load())
	}
	c.Prefetch() // fresh: nothing to do
	if loads.Load() != 1 {
		t.Fatal("a prefetch of a fresh value fetched")
	}
}

// TestFailedPrefetchIsFetchedAgainByTheRequest: a Get waiting on a
// prefetch that fails does not answer with the prefetch's failure: it
// fetches again, and answers with that fetch's result.
func TestFailedPrefetchIsFetchedAgainByTheRequest(t *testing.T) {
	for _, secondFails := range []bool{false, true} {
		var loads atomic.Int32
		release := make(chan struct{})
		c := NewCache(func(context.Context) (int, error) {
			n := loads.Add(1)
			if n == 1 {
				<-release
				return 0, errors.New("prefetch: connection reset")
			}
			if secondFails {
				return 0, errors.New("request: connection reset")
			}
			return 9, nil
		})
		c.Prefetch()
		for loads.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		type result struct {
			v   int
			err error
		}
		got := make(chan result)
		go func() {
			v, err := c.Get(context.Background())
			got <- result{v, err}
		}()
		time.Sleep(10 * time.Millisecond) // the Get joins the prefetch
		close(release)
		r := <-got
		switch {
		case loads.Load() != 2:
			t.Fatalf("%d loads, want 2 (the prefetch, then the request's own)", loads.Load())
		case !secondFails && (r.err != nil || r.v != 9):
			t.Fatalf("got %d %v, want the request's own fetch, 9", r.v, r.err)
		case secondFails && (r.err == nil || r.err.Error() != "request: connection reset"):
			t.Fatalf("got %v, want the request's own failure", r.err)
		}
	}
}

// TestFailedPrefetchIsNotKept: after a prefetch failed, the next Get
// fetches.
func TestFailedPrefetchIsNotKept(t *testing.T) {
	var loads atomic.Int32
	done := make(chan struct{})
	c := NewCache(func(context.Context) (int, error) {
		if loads.Add(1) == 1 {
			defer close(done)
			return 0, errors.New("down")
		}
		return 3, nil
	})
	c.Prefetch()
	<-done
	for i := 0; ; i++ { // the flight ends just after the load returns
		if v, err := c.Get(context.Background()); err == nil && v == 3 {
			break
		} else if i > 1000 {
			t.Fatalf("got %d %v", v, err)
		}
		time.Sleep(time.Millisecond)
	}
}
