package partners

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/testkit/moto"
)

func TestMain(m *testing.M) { moto.Main(m) }

// counting counts the store's partner reads.
type counting struct {
	domain.Store
	byKey, byID, byProvider atomic.Int64
}

func (c *counting) PartnerByKey(ctx context.Context, d string) (domain.KeyMatch, error) {
	c.byKey.Add(1)
	return c.Store.PartnerByKey(ctx, d)
}

func (c *counting) GetPartner(ctx context.Context, id string) (domain.PartnerRecord, error) {
	c.byID.Add(1)
	return c.Store.GetPartner(ctx, id)
}

func (c *counting) PartnerByProvider(ctx context.Context, s string) (domain.PartnerRecord, error) {
	c.byProvider.Add(1)
	return c.Store.PartnerByProvider(ctx, s)
}

// clock is a clock the tests move.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// stores runs fn on the memory store and on DynamoDB (moto).
func stores(t *testing.T, fn func(t *testing.T, s domain.Store)) {
	t.Run("memory", func(t *testing.T) { fn(t, memstore.New()) })
	t.Run("dynamodb", func(t *testing.T) {
		db, table := moto.Require(t).NewTable(t, nil, nil)
		fn(t, dynamostore.New(db, table))
	})
}

// TestDirectory: a key is one read, then cached a minute; a suspension, a
// revoked key and a new template take effect within that minute; an
// expired key is refused at once; an unknown key is remembered briefly.
func TestDirectory(t *testing.T) {
	stores(t, func(t *testing.T, s domain.Store) {
		ctx := context.Background()
		clk := &clock{t: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
		admin := NewAdmin(s, clk.now, false)
		_, key, err := admin.Create(ctx, "ops@test", NewPartner{ID: "p_acme", Name: "Acme", Flow: FlowAPI, IdentityProvider: "acme"})
		if err != nil {
			t.Fatal(err)
		}
		c := &counting{Store: s}
		dir := NewDirectory(c, clk.now)
		defer dir.Wait()

		for range 5 {
			p, err := dir.Authenticate(ctx, key)
			if err != nil || p.ID != "p_acme" || !p.MayCall(OpCreateUser) {
				t.Fatalf("authenticate: %+v %v", p, err)
			}
		}
		if n := c.byKey.Load(); n != 1 {
			t.Fatalf("%d reads for five requests", n)
		}
		// Suspended: still served from the cache within the minute, refused after.
		if _, err := admin.Suspend(ctx, "ops@test", "p_acme"); err != nil {
			t.Fatal(err)
		}
		clk.add(CacheTTL - time.Second)
		if p, _ := dir.Authenticate(ctx, key); !p.MayCall(OpCreateUser) {
			t.Fatal("the cache was not used")
		}
		clk.add(2 * time.Second)
		if p, err := dir.Authenticate(ctx, key); err != nil || p.MayCall(OpCreateUser) || !p.Suspended() {
			t.Fatalf("a suspension a minute old: %+v %v", p, err)
		}
		if _, err := admin.Reinstate(ctx, "ops@test", "p_acme"); err != nil {
			t.Fatal(err)
		}
		// Revoked: refused within the minute.
		d, err := admin.Show(ctx, "p_acme")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := admin.RevokeKey(ctx, "ops@test", "p_acme", d.Keys[0].ID); err != nil {
			t.Fatal(err)
		}
		clk.add(CacheTTL + time.Second)
		if _, err := dir.Authenticate(ctx, key); !errors.Is(err, errKeyInvalid) {
			t.Fatalf("a revoked key: %v", err)
		}
		// Expired: refused at the expiry, cached or not.
		_, key2, err := admin.IssueKey(ctx, "ops@test", "p_acme", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dir.Authenticate(ctx, key2); err != nil {
			t.Fatal(err)
		}
		d, _ = admin.Show(ctx, "p_acme")
		if _, err := admin.ExpireKey(ctx, "ops@test", "p_acme", d.Keys[0].ID, clk.now().Add(10*time.Second)); err != nil {
			t.Fatal(err)
		}
		clk.add(CacheTTL + time.Second) // the expiry read again, and past
		if _, err := dir.Authenticate(ctx, key2); !errors.Is(err, errKeyInvalid) {
			t.Fatalf("an expired key: %v", err)
		}
		// Unknown: one read, remembered for NegativeTTL.
		before := c.byKey.Load()
		unknown := "pik_unknown_key_000000000000000000"
		for range 3 {
			if _, err := dir.Authenticate(ctx, unknown); !errors.Is(err, errKeyInvalid) {
				t.Fatalf("unknown: %v", err)
			}
		}
		clk.add(NegativeTTL + time.Second)
		if _, err := dir.Authenticate(ctx, unknown); !errors.Is(err, errKeyInvalid) {
			t.Fatal(err)
		}
		if n := c.byKey.Load() - before; n != 2 {
			t.Fatalf("%d reads of an unknown key (want 1, then 1 after %v)", n, NegativeTTL)
		}
		// By id and by provider: one read each, then cached.
		for range 3 {
			if p, err := dir.Partner(ctx, "p_acme"); err != nil || p.ID != "p_acme" {
				t.Fatal(p, err)
			}
			if p, err := dir.ByIdentityProvider(ctx, "acme"); err != nil || p.ID != "p_acme" {
				t.Fatal(p, err)
			}
		}
		if c.byID.Load() != 1 || c.byProvider.Load() != 1 {
			t.Fatalf("reads by id %d, by provider %d", c.byID.Load(), c.byProvider.Load())
		}
		if _, err := dir.Partner(ctx, "nobody"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatal(err)
		}
	})
}

// TestConcurrentFirstRequestsReadOnce: 100 requests with one key in a cold
// container make one read.
func TestConcurrentFirstRequestsReadOnce(t *testing.T) {
	s := memstore.New()
	_, key, err := NewAdmin(s, nil, false).Create(context.Background(), "ops", NewPartner{ID: "p1", Name: "P"})
	if err != nil {
		t.Fatal(err)
	}
	slow := &slowStore{counting: counting{Store: s}, delay: 20 * time.Millisecond}
	dir := NewDirectory(slow, nil)
	defer dir.Wait()
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := dir.Authenticate(context.Background(), key); err != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	if failed.Load() != 0 || slow.byKey.Load() != 1 {
		t.Fatalf("%d failed, %d reads", failed.Load(), slow.byKey.Load())
	}
}

type slowStore struct {
	counting
	delay time.Duration
}

func (s *slowStore) PartnerByKey(ctx context.Context, d string) (domain.KeyMatch, error) {
	time.Sleep(s.delay)
	return s.counting.PartnerByKey(ctx, d)
}

// TestAFloodOfRandomKeysHoldsBoundedMemory: 3 x CacheEntries unknown keys
// leave at most CacheEntries remembered.
func TestAFloodOfRandomKeysHoldsBoundedMemory(t *testing.T) {
	dir := NewDirectory(memstore.New(), nil)
	for i := range 3 * CacheEntries {
		if _, err := dir.Authenticate(context.Background(), fmt.Sprintf("pik_random_%030d", i)); !errors.Is(err, errKeyInvalid) {
			t.Fatal(err)
		}
	}
	dir.mu.Lock()
	n := len(dir.keys)
	dir.mu.Unlock()
	if n > CacheEntries || n == 0 {
		t.Fatalf("%d keys remembered (bound %d)", n, CacheEntries)
	}
}

// TestAFaultIsNotCached: a store fault is the request's error, and the
// next request reads again.
func TestAFaultIsNotCached(t *testing.T) {
	s := memstore.New()
	_, key, _ := NewAdmin(s, nil, false).Create(context.Background(), "ops", NewPartner{ID: "p1", Name: "P"})
	f := &faulty{Store: s, fail: true}
	dir := NewDirectory(f, nil)
	defer dir.Wait()
	if _, err := dir.Authenticate(context.Background(), key); err == nil || errors.Is(err, domain.ErrUnauthorized) {
		t.Fatalf("a fault: %v", err)
	}
	f.fail = false
	if p, err := dir.Authenticate(context.Background(), key); err != nil || p.ID != "p1" {
		t.Fatalf("after the fault: %v", err)
	}
}

type faulty struct {
	domain.Store
	fail bool
}

func (f *faulty) PartnerByKey(ctx context.Context, d string) (domain.KeyMatch, error) {
	if f.fail {
		return domain.KeyMatch{}, errors.New("dynamodb: connection reset")
	}
	return f.Store.PartnerByKey(ctx, d)
}

// TestKeyUseRecordedOnceADay: a key's last use is recorded on its first
// use of a day in a container, to the day.
func TestKeyUseRecordedOnceADay(t *testing.T) {
	stores(t, func(t *testing.T, s domain.Store) {
		ctx := context.Background()
		clk := &clock{t: time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC)}
		admin := NewAdmin(s, clk.now, false)
		_, key, err := admin.Create(ctx, "ops", NewPartner{ID: "p1", Name: "P"})
		if err != nil {
			t.Fatal(err)
		}
		dir := NewDirectory(s, clk.now)
		for range 3 {
			if _, err := dir.Authenticate(ctx, key); err != nil {
				t.Fatal(err)
			}
		}
		dir.Wait()
		d, _ := admin.Show(ctx, "p1")
		if want := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC); !d.Keys[0].LastUsed.Equal(want) {
			t.Fatalf("last used %v", d.Keys[0].LastUsed)
		}
		clk.add(2 * time.Hour) // the next day
		if _, err := dir.Authenticate(ctx, key); err != nil {
			t.Fatal(err)
		}
		dir.Wait()
		d, _ = admin.Show(ctx, "p1")
		if want := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC); !d.Keys[0].LastUsed.Equal(want) {
			t.Fatalf("last used the next day %v", d.Keys[0].LastUsed)
		}
	})
}

// TestTenThousandPartners: with 10,000 partners a key is still one read,
// of its own item (nothing lists the partners on a request).
func TestTenThousandPartners(t *testing.T) {
	s := memstore.New()
	admin := NewAdmin(s, nil, false)
	var keys []string
	for i := range 10000 {
		_, key, err := admin.Create(context.Background(), "ops", NewPartner{ID: "p" + strconv.Itoa(i), Name: "P"})
		if err != nil {
			t.Fatal(err)
		}
		if i%1000 == 0 {
			keys = append(keys, key)
		}
	}
	c := &listing{counting: counting{Store: s}}
	dir := NewDirectory(c, nil)
	defer dir.Wait()
	for i, key := range keys {
		p, err := dir.Authenticate(context.Background(), key)
		if err != nil || p.ID != "p"+strconv.Itoa(i*1000) {
			t.Fatal(p, err)
		}
	}
	if c.byKey.Load() != int64(len(keys)) || c.lists.Load() != 0 {
		t.Fatalf("%d key reads for %d keys, %d listings", c.byKey.Load(), len(keys), c.lists.Load())
	}
}

type listing struct {
	counting
	lists atomic.Int64
}

func (l *listing) ListPartners(ctx context.Context, after string, limit int) ([]domain.PartnerRecord, string, error) {
	l.lists.Add(1)
	return l.counting.ListPartners(ctx, after, limit)
}

// BenchmarkAuthenticate: the key check at 10 and at 10,000 partners, from
// the container's cache (hit) and from the store (miss: a container's
// first request with the key; the memory store, whose read is a map
// lookup as DynamoDB's is one GetItem): the same cost at both sizes.
//
//	go test ./shared/domain/partners -run '^$' -bench Authenticate -benchmem
func BenchmarkAuthenticate(b *testing.B) {
	for _, n := range []int{10, 10000} {
		s := memstore.New()
		admin := NewAdmin(s, nil, false)
		var key string
		for i := range n {
			_, k, err := admin.Create(context.Background(), "bench", NewPartner{ID: "p" + strconv.Itoa(i), Name: "P"})
			if err != nil {
				b.Fatal(err)
			}
			if i == n/2 {
				key = k
			}
		}
		b.Run(fmt.Sprintf("hit/partners=%d", n), func(b *testing.B) {
			dir := NewDirectoryTouchingAfter(s, nil, TouchInline)
			if _, err := dir.Authenticate(context.Background(), key); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := dir.Authenticate(context.Background(), key); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("miss/partners=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				dir := NewDirectoryTouchingAfter(s, nil, TouchInline)
				if _, err := dir.Authenticate(context.Background(), key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
