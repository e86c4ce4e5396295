package partners

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/kit/logsafe"
	"golang.org/x/sync/singleflight"
)

// Lookup is what a request asks of the partners: whose a key is, a
// partner by id, a partner by identity provider. Each answer is one read
// of the store at most.
type Lookup interface {
	// Authenticate returns the partner owning key: Unauthenticated (the
	// seed's three reasons) for a missing, malformed, unknown, revoked or
	// expired key.
	Authenticate(ctx context.Context, key string) (*Partner, error)
	// Partner returns partner id (ErrNotFound).
	Partner(ctx context.Context, id string) (*Partner, error)
	// ByIdentityProvider returns the partner whose identityProvider is
	// slug (ErrNotFound).
	ByIdentityProvider(ctx context.Context, slug string) (*Partner, error)
}

// The directory's bounds.
const (
	// CacheTTL is how long a container keeps what it read of a partner: a
	// suspension, a revoked key or a new template takes effect within it.
	CacheTTL = time.Minute
	// NegativeTTL is how long an unknown key (or id, or provider) is
	// remembered as unknown.
	NegativeTTL = 10 * time.Second
	// CacheEntries bounds each of the directory's caches (keys, ids,
	// providers): past it, entries are dropped, expired ones first, so
	// that a flood of random keys holds a bounded memory.
	CacheEntries = 10000
	// TouchAfter is how long after a key's first use of the day in a
	// container its use is recorded: after the request, on the connection
	// the request used (in Lambda, when the container next runs), rather
	// than on a second connection opened beside a cold start's first
	// request.
	TouchAfter = time.Second
)

// Directory is the Lookup over the store, with a per-container cache:
// partners and keys for CacheTTL, unknown ones for NegativeTTL, each cache
// at most CacheEntries, concurrent misses of one key made one read. A
// key's use is recorded once a day per container, in the background.
type Directory struct {
	store      domain.Partners
	now        func() time.Time
	touchAfter time.Duration

	mu         sync.Mutex
	keys       map[string]cached[keyEntry] // by digest
	ids        map[string]cached[*Partner]
	providers  map[string]cached[*Partner]
	touched    map[string]time.Time // digest -> day recorded
	group      singleflight.Group
	background sync.WaitGroup
	// liveOnly: test mode is off (a deployment without the sandbox): a
	// test key is unknown, and so is a test side by id.
	liveOnly bool
}

// LiveOnly turns test mode off: test keys are refused as unknown keys
// ("Invalid API Key"), and test sides are not found (their tokens fail).
// A deployment without the sandbox holds nothing but live data.
func (d *Directory) LiveOnly() *Directory {
	d.liveOnly = true
	return d
}

// keyEntry is a key and its partner as read (decoded once, shared by the
// requests that use it: read only).
type keyEntry struct {
	key     domain.APIKey
	partner *Partner
}

type cached[T any] struct {
	v     T
	found bool
	at    time.Time // when it was read
	until time.Time
}

// NewDirectory is the directory over store, now its clock, recording a
// key's use TouchAfter after it.
func NewDirectory(store domain.Partners, now func() time.Time) *Directory {
	return NewDirectoryTouchingAfter(store, now, TouchAfter)
}

// NewDirectoryTouchingAfter is NewDirectory recording a key's use after
// touchAfter: 0 at once in the background, TouchInline within the request
// (tests that count each request's calls).
func NewDirectoryTouchingAfter(store domain.Partners, now func() time.Time, touchAfter time.Duration) *Directory {
	if now == nil {
		now = time.Now
	}
	return &Directory{store: store, now: now, touchAfter: touchAfter, keys: map[string]cached[keyEntry]{}, ids: map[string]cached[*Partner]{},
		providers: map[string]cached[*Partner]{}, touched: map[string]time.Time{}}
}

// Authenticate checks the key's format before any read, then finds it
// by its SHA-256: one GetItem on a miss.
func (d *Directory) Authenticate(ctx context.Context, key string) (*Partner, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(key))
	digest := hex.EncodeToString(sum[:])
	e, found, err := read(d, ctx, d.keys, "key:"+digest, digest, func(ctx context.Context) (keyEntry, error) {
		m, err := d.store.PartnerByKey(ctx, digest)
		if err != nil {
			return keyEntry{}, err
		}
		p, err := FromRecord(m.Partner)
		return keyEntry{key: m.Key, partner: p}, err
	})
	if err != nil {
		return nil, err
	}
	now := d.now()
	if !found || e.key.Expired(now) || d.liveOnly && !domain.Livemode(e.partner.ID) {
		return nil, errKeyInvalid
	}
	d.touch(digest, now)
	return e.partner, nil
}

// Known tells whether Authenticate would answer key without a read: its
// digest is cached, as a key or as unknown. A request with a key the
// container does not know may overlap the key's read with its own
// (KeyClaim); one with a known key, valid or not, gains nothing by it, and
// a flood of one invalid key must not cost a read each.
func (d *Directory) Known(key string) bool {
	sum := sha256.Sum256([]byte(key))
	digest := hex.EncodeToString(sum[:])
	now := d.now()
	d.mu.Lock()
	c, ok := d.keys[digest]
	d.mu.Unlock()
	return ok && now.Before(c.until)
}

// Forget drops what the container holds of the key whose digest is
// digest: the next request with it reads it again (a key its own partner
// revoked or rolled in this container stops here at once, in the others
// within CacheTTL).
func (d *Directory) Forget(digest string) {
	d.mu.Lock()
	delete(d.keys, digest)
	d.mu.Unlock()
}

// ForgetPartner drops what the container holds of partner id, by id and
// by each of its keys: its next request, and its next event's delivery,
// read it again (a change the partner made in this container applies here
// at once, in the others within CacheTTL; in make run, one process, at
// once everywhere).
func (d *Directory) ForgetPartner(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.ids, id)
	for digest, c := range d.keys {
		if c.v.partner != nil && c.v.partner.ID == id {
			delete(d.keys, digest)
		}
	}
	for slug, c := range d.providers {
		if c.v != nil && c.v.ID == id {
			delete(d.providers, slug)
		}
	}
}

// ColdClaim is the partner id key claims (KeyClaim) when l does not hold
// the key yet (a Directory that never read it, or read it too long ago),
// else "": the partner a request may start its own reads for beside the
// key's. A key l holds, valid or not, is answered without a read anyway,
// and a flood of one bad key must not cost a read each.
func ColdClaim(l Lookup, key string) string {
	d, ok := l.(interface{ Known(string) bool })
	if !ok || !ValidKeyFormat(key) || d.Known(key) {
		return ""
	}
	return KeyClaim(key)
}

// Partner is partner id, from the cache or one GetItem.
func (d *Directory) Partner(ctx context.Context, id string) (*Partner, error) {
	return d.partner(ctx, d.ids, "id:"+id, id, d.store.GetPartner)
}

// PartnerSince is Partner as read at since or later: a partner the
// container read before since is read again (and cached anew). A partner
// access token issued at since for a key made after the container last
// read its partner finds the key; a token of a revoked key costs one read
// at most, once the container holds a partner read after the token.
func (d *Directory) PartnerSince(ctx context.Context, id string, since time.Time) (*Partner, error) {
	d.mu.Lock()
	if c, ok := d.ids[id]; ok && c.at.Before(since) {
		delete(d.ids, id)
	}
	d.mu.Unlock()
	return d.Partner(ctx, id)
}

// ByIdentityProvider is the partner of slug, from the cache or one GetItem.
func (d *Directory) ByIdentityProvider(ctx context.Context, slug string) (*Partner, error) {
	if slug == "" {
		return nil, domain.ErrNotFound
	}
	return d.partner(ctx, d.providers, "idp:"+slug, slug, d.store.PartnerByProvider)
}

func (d *Directory) partner(ctx context.Context, cache map[string]cached[*Partner], flight, k string,
	get func(context.Context, string) (domain.PartnerRecord, error)) (*Partner, error) {
	if d.liveOnly && !domain.Livemode(k) {
		return nil, domain.ErrNotFound
	}
	p, found, err := read(d, ctx, cache, flight, k, func(ctx context.Context) (*Partner, error) {
		r, err := get(ctx, k)
		if err != nil {
			return nil, err
		}
		return FromRecord(r)
	})
	switch {
	case err != nil:
		return nil, err
	case !found:
		return nil, domain.ErrNotFound
	}
	return p, nil
}

// read is k's cached value, or the store's (through one flight per k,
// cached: found for CacheTTL, not found for NegativeTTL; a fault is not
// cached).
func read[T any](d *Directory, ctx context.Context, cache map[string]cached[T], flight, k string, get func(context.Context) (T, error)) (T, bool, error) {
	now := d.now()
	d.mu.Lock()
	c, ok := cache[k]
	d.mu.Unlock()
	if ok && now.Before(c.until) {
		return c.v, c.found, nil
	}
	res, err, _ := d.group.Do(flight, func() (any, error) {
		v, err := get(ctx)
		found := err == nil
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return nil, err
		}
		ttl := CacheTTL
		if !found {
			ttl = NegativeTTL
		}
		at := d.now()
		c := cached[T]{v: v, found: found, at: at, until: at.Add(ttl)}
		d.mu.Lock()
		put(cache, k, c, d.now())
		d.mu.Unlock()
		return c, nil
	})
	if err != nil {
		var zero T
		return zero, false, err
	}
	c = res.(cached[T])
	return c.v, c.found, nil
}

// put adds c under k, first making room when the cache is full: the
// expired entries go, and if none had, an arbitrary tenth.
func put[T any](cache map[string]cached[T], k string, c cached[T], now time.Time) {
	if _, ok := cache[k]; !ok && len(cache) >= CacheEntries {
		for key, e := range cache {
			if !now.Before(e.until) {
				delete(cache, key)
			}
		}
		for key := range cache {
			if len(cache) < CacheEntries*9/10 {
				break
			}
			delete(cache, key)
		}
	}
	cache[k] = c
}

// touch records the key's use for today, once a day per container, in
// the background (a key's last use is coarse and best effort: the request
// does not wait for it).
func (d *Directory) touch(digest string, now time.Time) {
	day := now.UTC().Truncate(24 * time.Hour)
	d.mu.Lock()
	if !d.touched[digest].Before(day) {
		d.mu.Unlock()
		return
	}
	if len(d.touched) >= CacheEntries {
		clear(d.touched)
	}
	d.touched[digest] = day
	d.mu.Unlock()
	record := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := d.store.TouchKey(ctx, digest, day); err != nil {
			slog.Warn("partner key last use not recorded", "error", logsafe.Code(err))
		}
	}
	if d.touchAfter == TouchInline {
		record()
		return
	}
	d.background.Add(1)
	time.AfterFunc(d.touchAfter, func() {
		defer d.background.Done()
		record()
	})
}

// TouchInline makes NewDirectoryTouchingAfter's directory record a key's
// use within the request that used it.
const TouchInline = time.Duration(-1)

// Wait waits for the background recording of keys' use (tests).
func (d *Directory) Wait() { d.background.Wait() }
