package kyccallbacks_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/adapters/kycproviders"
	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/fixture"
	"github.com/partner-identity/api/shared/testkit/sumsubtest"
)

// besideStore counts a callback's reads and writes, and makes its first
// read and the providers' secret fetch wait for each other (up to a
// deadlock breaker): at once, both find the other there (met 2).
type besideStore struct {
	*memstore.Store
	reads, writes atomic.Int32
	armed         atomic.Bool
	read, secret  chan struct{}
	met           atomic.Int32
}

func (b *besideStore) arm() {
	b.read, b.secret = make(chan struct{}), make(chan struct{})
	b.met.Store(0)
	b.armed.Store(true)
}

func (b *besideStore) meet(mine, other chan struct{}) {
	if !b.armed.Load() {
		return
	}
	close(mine)
	select {
	case <-other:
		b.met.Add(1)
	case <-time.After(5 * time.Second): // one after the other
	}
}

// aRead counts a read; the first after arm meets the secret's fetch.
func (b *besideStore) aRead() {
	b.reads.Add(1)
	if b.armed.Load() {
		b.meet(b.read, b.secret)
		b.armed.Store(false)
	}
}

func (b *besideStore) GetKYCSession(ctx context.Context, id string) (domain.KYCSession, error) {
	b.aRead()
	return b.Store.GetKYCSession(ctx, id)
}

func (b *besideStore) GetUser(ctx context.Context, id string) (domain.User, error) {
	b.aRead()
	return b.Store.GetUser(ctx, id)
}

func (b *besideStore) ChangeKYCStatus(ctx context.Context, c domain.KYCStatusChange, ev *domain.OutboxEvent) error {
	b.writes.Add(1)
	return b.Store.ChangeKYCStatus(ctx, c, ev)
}

// TestACallbacksReadsBeginBesideTheSecret: in a container that does not
// hold the providers' secret yet (a cold start), a callback's first read
// (the hosted session; Sumsub's user) and the secret's fetch run at once,
// so the container's first callback waits one round trip less; the
// callback reads no more than a warm one (its reads are used, not made
// again), and nothing is written for one whose signature does not verify.
// Once the secret is held, a callback that does not verify reads nothing;
// a result dated in the future reads nothing, cold or warm.
func TestACallbacksReadsBeginBesideTheSecret(t *testing.T) {
	b := &besideStore{Store: memstore.New()}
	clk := testkit.NewClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	stand := sumsubtest.New(t)
	stand.Now = clk.Now
	secret := fixture.KYCProviders(t, stand.URL)
	// A container: the API built anew (nothing held), its secret's fetch
	// meeting the store's first read while armed.
	container := func() *world {
		return &world{clk: clk, contents: func(*testing.T) string { return b.Dump() }, c: fixture.Client(t, b, fixture.Options{Now: clk.Now,
			KYCProviders: func(ctx context.Context) (*kycproviders.Config, error) {
				if b.armed.Load() {
					b.meet(b.secret, b.read)
				}
				return secret(ctx)
			}})}
	}
	w := container()
	uid, sid := w.user(t, "cold-cb", "MX")
	suid, _ := w.user(t, "cold-sumsub", "DE")
	body := func(status, at string) string {
		return `{"sessionId":"` + sid + `","status":"` + status + `","occurredAt":"` + at + `"}`
	}

	// Cold, signed: the session's read beside the secret's fetch; two
	// reads and one write, as warm.
	w = container()
	b.arm()
	reads, writes := b.reads.Load(), b.writes.Load()
	if got := outcome(t, w.hosted(t, body("IN_REVIEW", "2026-11-24T09:00:01Z"))); got != "applied" || b.met.Load() != 2 {
		t.Fatalf("cold hosted: %s, met %d (2: at once)", got, b.met.Load())
	}
	if r, wr := b.reads.Load()-reads, b.writes.Load()-writes; r != 2 || wr != 1 {
		t.Fatalf("cold hosted: %d reads, %d writes (2, 1)", r, wr)
	}
	if u, s := w.statuses(t, uid); u != "IN_REVIEW" || s != "IN_REVIEW" {
		t.Fatalf("%s %s", u, s)
	}

	// Cold, Sumsub: the user's read beside the secret's fetch.
	w = container()
	b.arm()
	reads = b.reads.Load()
	if got := outcome(t, w.sumsub(t, sumsubBody("applicantPending", suid, "2026-11-24 09:00:01.000", "", ""))); got != "applied" || b.met.Load() != 2 {
		t.Fatalf("cold sumsub: %s, met %d", got, b.met.Load())
	}
	if r := b.reads.Load() - reads; r != 2 {
		t.Fatalf("cold sumsub: %d reads (2)", r)
	}

	// Cold, unsigned or signed with another secret: read beside, dropped;
	// nothing written.
	forged := body("APPROVED", "2026-11-24T09:00:02Z")
	for name, h := range map[string]map[string]string{
		"unsigned":              {},
		"another secret":        fixture.HostedHeaders(body("APPROVED", "2026-11-24T09:00:03Z"), clk.Now()), // signed over another body
		"a bad digest (sumsub)": nil,
	} {
		w = container()
		b.arm()
		snapshot, writes := w.contents(t), b.writes.Load()
		var status int
		if h == nil {
			status = w.c.Do(http.MethodPost, sumsubPath, map[string]string{"X-Payload-Digest": "00", "X-Payload-Digest-Alg": "HMAC_SHA256_HEX"},
				sumsubBody("applicantReviewed", suid, "2026-11-24 09:00:02.000", "GREEN", "")).Status
		} else {
			status = w.c.Do(http.MethodPost, hostedPath, h, forged).Status
		}
		if status != 401 || b.met.Load() != 2 {
			t.Fatalf("%s: %d, met %d (read beside, as for any cold callback)", name, status, b.met.Load())
		}
		if b.writes.Load() != writes || w.contents(t) != snapshot {
			t.Fatalf("%s: written", name)
		}
	}

	// Warm (this container holds the secret now): no read for a callback
	// that does not verify, however many.
	b.armed.Store(false)
	reads = b.reads.Load()
	for range 20 {
		if r := w.c.Do(http.MethodPost, hostedPath, map[string]string{}, forged); r.Status != 401 {
			t.Fatalf("warm forged: %d", r.Status)
		}
	}
	if n := b.reads.Load() - reads; n != 0 {
		t.Fatalf("a warm unsigned callback read %d times", n)
	}
	// A result dated in the future, cold or warm: 400, nothing read.
	for _, c := range []*world{container(), w} {
		reads = b.reads.Load()
		if r := c.hosted(t, body("APPROVED", "2026-11-24T09:05:00Z")); r.Status != 400 || b.reads.Load() != reads {
			t.Fatalf("future: %d %s, %d reads", r.Status, r.Body, b.reads.Load()-reads)
		}
	}
}
