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
