// Package ratelimit keeps each partner's load its own: a sustained rate and
// a burst per partner and per budget (every request, and smaller budgets
// for the expensive operations), held across every container of every
// function.
//
// The algorithm is GCRA (the generic cell rate algorithm, a token bucket
// kept as one number): a budget's state is its theoretical arrival time
// (TAT), the instant at which its bucket would be empty; n requests fit
// when max(TAT, now) + n/rate <= now + burst/rate, and take the bucket to
// that sum. The state lives in the store (one item per partner and budget:
// a conditional write takes n at once, no read), so every container draws
// on the same bucket: a partner spread over 50 warm containers gets its
// limit, not 50 times it.
//
// A container does not write once per request: it leases a few requests
// at a time (about a second of its own recent traffic for that budget, at
// most maxLease and never more than the burst) and spends them locally for
// at most leaseLife. Requests are counted against the bucket before they
// are served, so nothing is ever admitted past it; a lease not spent in
// time is lost (the bucket gave it: a partner under its limit has room for
// it, and an idle container leases one at a time). A refused lease tells
// the container when the bucket will hold the lease it wanted: it
// refuses without asking the store again until then (a moment more, drawn
// at random, so that the containers of a partner over its limit do not all
// ask at the same instant), and says so in Retry-After.
//
// A quiet partner does not wait for the store: when a container last saw
// the bucket at least 90% full and wants a lease of a few requests, it
// admits them on credit and takes the lease behind them (one lease in
// flight at a time); the lease counts them, and should it be refused, the
// container refuses from then on. A partner that turns from quiet to a
// flood gets, once, at most a small lease more per container than its
// bucket holds; a partner near its limit never sees the bucket that full,
// and waits for every lease.
//
// A store that cannot be reached does not stop the API: the request is
// admitted (the limiter fails open, logged and counted) and the container
// does not ask again for a second.
package ratelimit

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"time"
)

// Budget names.
const (
	// Default is every request's budget but those below.
	Default = "default"
	// KYCLinks: verification links (each calls the KYC provider).
	KYCLinks = "kyc-links"
	// WebhookTests: test events and redeliveries (each sends webhooks).
	WebhookTests = "webhook-tests"
	// Tokens: user tokens and partner access tokens minted.
	Tokens = "tokens"
)

// Budgets is every budget, in the order the documents list them.
var Budgets = []string{Default, KYCLinks, WebhookTests, Tokens}

// Policy is a budget's sustained rate (requests a second) and burst (the
// most requests at once, after an idle moment).
type Policy struct {
	Rate  float64 `json:"rate"`
	Burst int     `json:"burst"`
}

// Valid tells whether p can be enforced: a positive rate of at most
// 100,000 a second, and a burst of 1 to 1,000,000.
func (p Policy) Valid() bool {
	return p.Rate > 0 && p.Rate <= 100_000 && p.Burst >= 1 && p.Burst <= 1_000_000 && !math.IsNaN(p.Rate)
}

// Window is the time the burst takes to come back at the rate (the
// RateLimit-Policy's w).
func (p Policy) Window() time.Duration {
	return time.Duration(float64(p.Burst) / p.Rate * float64(time.Second))
}

// interval is the time one request takes to come back.
func (p Policy) interval() int64 { return int64(float64(time.Second) / p.Rate) }

// Defaults are every partner's policies unless its record sets its own.
func Defaults() map[string]Policy {
	return map[string]Policy{
		Default:      {Rate: 50, Burst: 100},
		KYCLinks:     {Rate: 2, Burst: 10},
		WebhookTests: {Rate: 1, Burst: 5},
		Tokens:       {Rate: 10, Burst: 20},
	}
}

// Limits are a partner's policies by budget, over the defaults.
type Limits map[string]Policy

// For is the policy of budget: the partner's own, else the default.
func (l Limits) For(budget string) Policy {
	if p, ok := l[budget]; ok {
		return p
	}
	if p, ok := Defaults()[budget]; ok {
		return p
	}
	return Defaults()[Default]
}

// Take is one conditional step of a budget's bucket in the store.
type Take struct {
	PartnerID, Budget string
	// Now, in Unix nanoseconds: the instant the step is judged at.
	Now int64
	// Cost is the time the requests taken stand for (n × the interval);
	// Limit the bucket's depth (burst × the interval): the step succeeds
	// when max(TAT, Now) + Cost <= Now + Limit.
	Cost, Limit int64
	// Full: the caller believes the bucket full (TAT <= Now), which tells
	// the store which of its two conditional writes to try first.
	Full bool
}

// Store keeps the buckets.
type Store interface {
	// TakeRate makes step t on the bucket of t.PartnerID and t.Budget
	// (created full when it does not exist): it returns the TAT after the
	// step and true, or the stored TAT and false when the requests do not
	// fit (nothing written). It may make two conditional writes, never a
	// read.
	TakeRate(ctx context.Context, t Take) (tat int64, ok bool, err error)
}

// Decision is what a request's admission says.
type Decision struct {
	Budget  string
	Policy  Policy
	Allowed bool
	// Remaining is about how many more requests the budget would take now
	// (the bucket as this container last saw it, and its lease); Reset is
	// when the bucket will be full again; RetryAfter, for a refusal, when
	// this container will ask the store again (when the lease it wanted
	// fits, and a random moment more).
	Remaining  int
	Reset      time.Duration
	RetryAfter time.Duration
	// Unchecked: the store could not be reached and the request was
	// admitted regardless.
	Unchecked bool
}

// Limiting values.
const (
	// maxLease is the most requests a container takes at once.
	maxLease = 200
	// leaseLife is how long a container may spend a lease.
	leaseLife = time.Second
	// openFor is how long a container admits without asking after the
	// store failed.
	openFor = time.Second
	// creditFull is how full the bucket must have been at its last sight
	// for a container to admit on credit; CreditMax the largest lease it
	// takes so (the most a container may admit past a bucket drained
	// meanwhile by others); creditTimeout how long a lease behind the
	// requests may take.
	creditFull    = 0.9
	CreditMax     = 10
	creditTimeout = 5 * time.Second
)

// Limiter admits a container's requests against the store's buckets.
type Limiter struct {
	store Store
	now   func() time.Time

	mu      sync.Mutex
	buckets map[bucketKey]*bucket
	// behind counts the leases taken behind admitted requests.
	behind sync.WaitGroup
}

type bucketKey struct{ partner, budget string }

// bucket is a container's view of one budget: its lease and what it last
// learnt of the stored bucket.
type bucket struct {
	mu sync.Mutex
	// leased requests left, to be spent before leaseEnd.
	leased   int
	leaseEnd int64
	// tat is the stored TAT as last seen; emptyUntil, after a refusal, the
	// instant before which the container refuses unasked; openUntil,
	// after a fault, the instant before which requests are admitted
	// unasked.
	tat, emptyUntil, openUntil int64
	// second is the current one-second slot; admitted counts its
	// admissions, previous the slot before's.
	second             int64
	admitted, previous int
	// seen: tat was read from the store (a container's first request
	// waits for its lease). credit is what may still be admitted while a
	// lease is taken behind the requests (inFlight), used what has been.
	seen         bool
	inFlight     bool
	credit, used int
}

// New is a limiter over store.
func New(store Store, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{store: store, now: now, buckets: map[bucketKey]*bucket{}}
}

// Allow admits one request of partnerID against budget under policy p.
// Its error is the store's, with a decision that admits (fail open).
func (l *Limiter) Allow(ctx context.Context, partnerID, budget string, p Policy) (Decision, error) {
	b := l.bucket(partnerID, budget)
	b.mu.Lock()
	defer b.mu.Unlock()
	now := l.now().UnixNano()
	d := Decision{Budget: budget, Policy: p}
	b.count(now)
	interval, depth := p.interval(), int64(p.Burst)*p.interval()
	want := b.leaseSize(p)
	switch {
	case b.leased > 0 && now < b.leaseEnd:
		b.leased--
		d.Allowed = true
	case b.inFlight && b.credit > 0:
		b.credit--
		b.used++
		d.Allowed = true
	case now < b.openUntil:
		d.Allowed, d.Unchecked = true, true
	case now < b.emptyUntil:
		d.RetryAfter = time.Duration(b.emptyUntil - now)
	case !b.inFlight && b.roomy(now, depth, interval, want):
		b.inFlight, b.credit, b.used = true, want-1, 1
		d.Allowed = true
		l.behind.Add(1)
		go l.leaseBehind(b, Take{PartnerID: partnerID, Budget: budget, Now: now,
			Cost: int64(want) * interval, Limit: depth, Full: b.tat <= now}, want, interval, depth, p)
	default:
		tat, n, ok, err := l.take(ctx, Take{PartnerID: partnerID, Budget: budget, Now: now, Limit: depth, Full: b.tat <= now}, want, interval)
		if err != nil {
			b.openUntil = now + int64(openFor)
			d.Allowed, d.Unchecked = true, true
			return d, err
		}
		b.tat, b.seen = tat, true
		if !ok {
			b.refused(now, tat, want, interval, depth, p)
			d.RetryAfter = time.Duration(b.emptyUntil - now)
			break
		}
		b.leased, b.leaseEnd = n-1, now+int64(leaseLife)
		d.Allowed = true
	}
	if d.Allowed {
		b.admitted++
	}
	d.Remaining = b.leased + int(max(0, (now+depth-max(b.tat, now))/interval))
	d.Reset = time.Duration(max(0, b.tat-now))
	if d.RetryAfter < 0 {
		d.RetryAfter = 0
	}
	return d, nil
}

// take is one lease of want requests (t without its cost), or, when they
// do not fit but half of them do, as many as fit (one more write: smaller
// leases would cost a write for a few requests): the TAT after it, the
// requests taken, whether it was; a refusal's TAT is the stored one.
func (l *Limiter) take(ctx context.Context, t Take, want int, interval int64) (tat int64, n int, ok bool, err error) {
	t.Cost = int64(want) * interval
	if tat, ok, err = l.store.TakeRate(ctx, t); err != nil || ok {
		return tat, want, ok, err
	}
	fit := (t.Now + t.Limit - max(tat, t.Now)) / interval
	if fit < int64(max(1, want/2)) || int(fit) >= want {
		return tat, 0, false, nil
	}
	t.Cost, t.Full = fit*interval, tat <= t.Now
	tat, ok, err = l.store.TakeRate(ctx, t)
	return tat, int(fit), ok, err
}

// refused records a refused lease: the container refuses until the lease
// it wanted fits (at most what comes back in a lease's life, at least one
// request), and a quarter of that more at random.
func (b *bucket) refused(now, tat int64, want int, interval, depth int64, p Policy) {
	k := int64(max(1, min(want, int(p.Rate*leaseLife.Seconds())))) * interval
	b.leased = 0
	b.emptyUntil = tat + k - depth + rand.Int64N(k/4+1)
}

// roomy tells whether the bucket, as last seen and refilled since, is at
// least creditFull full, and the lease wanted small enough to take on
// credit.
func (b *bucket) roomy(now, depth, interval int64, want int) bool {
	if !b.seen || want > CreditMax || now < b.emptyUntil {
		return false
	}
	room := now + depth - max(b.tat, now)
	return float64(room) >= creditFull*float64(depth) && int64(want)*interval <= room
}

// leaseBehind takes the lease t for the requests b admitted on credit; the
// lease counts them. Refused, the container refuses from then on as after
// any refusal; failed, it admits unchecked for a while.
func (l *Limiter) leaseBehind(b *bucket, t Take, want int, interval, depth int64, p Policy) {
	defer l.behind.Done()
	ctx, cancel := context.WithTimeout(context.Background(), creditTimeout)
	defer cancel()
	tat, ok, err := l.store.TakeRate(ctx, t)
	b.mu.Lock()
	defer b.mu.Unlock()
	used := b.used
	b.inFlight, b.credit, b.used = false, 0, 0
	switch {
	case err != nil:
		b.openUntil = t.Now + int64(openFor)
	case !ok:
		b.tat = tat
		b.refused(t.Now, tat, want, interval, depth, p)
	default:
		b.tat = tat
		b.leased, b.leaseEnd = max(0, want-used), t.Now+int64(leaseLife)
	}
}

// Settle waits for the leases being taken behind admitted requests (for a
// clean stop, and the tests).
func (l *Limiter) Settle() { l.behind.Wait() }

func (l *Limiter) bucket(partnerID, budget string) *bucket {
	k := bucketKey{partnerID, budget}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[k]
	if b == nil {
		b = &bucket{}
		l.buckets[k] = b
	}
	return b
}

// count moves the one-second slots on to now's.
func (b *bucket) count(now int64) {
	s := now / int64(time.Second)
	switch {
	case s == b.second:
	case s == b.second+1:
		b.previous, b.admitted, b.second = b.admitted, 0, s
	default:
		b.previous, b.admitted, b.second = 0, 0, s
	}
}

// leaseSize is how many requests to take at once: the previous second's
// admissions here (or this second's so far, if more), at least 1, at most
// maxLease and the burst.
func (b *bucket) leaseSize(p Policy) int {
	return max(1, min(max(b.previous, b.admitted), maxLease, p.Burst))
}
