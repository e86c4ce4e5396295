package partnerv2_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/testkit/fixture"
)

// meeting is a store whose key lookup and the route's own first call wait
// for each other (up to a deadlock breaker): when they run at once, both
// find the other there (met 2); one after the other, only the second does.
type meeting struct {
	*memstore.Store
	mu           sync.Mutex
	key, work    chan struct{}
	met          atomic.Int32
	userReads    atomic.Int32
	armed        atomic.Bool
	keyLookups   atomic.Int32
	userCreation atomic.Int32
}

func (m *meeting) arm() {
	m.mu.Lock()
	m.key, m.work = make(chan struct{}), make(chan struct{})
	m.mu.Unlock()
	m.met.Store(0)
	m.armed.Store(true)
}

func (m *meeting) meet(mine, other func(*meeting) chan struct{}) {
	if !m.armed.Load() {
		return
	}
	m.mu.Lock()
	in, out := mine(m), other(m)
	m.mu.Unlock()
	close(in)
	select {
	case <-out:
		m.met.Add(1)
	case <-time.After(5 * time.Second): // the other never came: one after the other
	}
}

func keyCh(m *meeting) chan struct{}  { return m.key }
func workCh(m *meeting) chan struct{} { return m.work }

func (m *meeting) PartnerByKey(ctx context.Context, d string) (domain.KeyMatch, error) {
	m.keyLookups.Add(1)
	m.meet(keyCh, workCh)
	return m.Store.PartnerByKey(ctx, d)
}

func (m *meeting) GetUser(ctx context.Context, id string) (domain.User, error) {
	m.userReads.Add(1)
	m.meet(workCh, keyCh)
	return m.Store.GetUser(ctx, id)
}

func (m *meeting) PutOutboxEvent(ctx context.Context, ev domain.OutboxEvent, b domain.Budget) error {
	m.userCreation.Add(1)
	m.meet(workCh, keyCh)
	return m.Store.PutOutboxEvent(ctx, ev, b)
}

func (m *meeting) CreateUser(ctx context.Context, u domain.User, g domain.Guard, ev domain.OutboxEvent) (*domain.Guard, error) {
	m.userCreation.Add(1)
	m.meet(workCh, keyCh)
	return m.Store.CreateUser(ctx, u, g, ev)
}

// TestAColdKeyIsCheckedBesideTheRoutesWork: a request whose key its
// container does not hold yet, a key that names its partner (every key
// partnerctl makes), has its key read and its route's first call made at
// once (a cold start waits one round trip, not two); nothing of it reaches
// anyone unless the key holds: a forged key, a suspended partner's key or
// an expired one writes nothing and is answered as the key deserves, what
// was read is dropped. A key already held (valid or not) is checked first,
// as before: a flood of one bad key reads no user.
func TestAColdKeyIsCheckedBesideTheRoutesWork(t *testing.T) {
	ctx := context.Background()
	m := &meeting{Store: memstore.New()}
	admin := partners.NewAdmin(m.Store, nil, false)
	_, key, err := admin.Create(ctx, "test", partners.NewPartner{ID: "p_cold", Name: "Cold"})
	if err != nil {
		t.Fatal(err)
	}
	_, suspendedKey, err := admin.Create(ctx, "test", partners.NewPartner{ID: "p_susp", Name: "Suspended"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Suspend(ctx, "test", "p_susp"); err != nil {
		t.Fatal(err)
	}
	if partners.KeyClaim(key) != "p_cold" || partners.KeyClaim(fixture.KeyAcme) != "" {
		t.Fatalf("claims: %q %q", partners.KeyClaim(key), partners.KeyClaim(fixture.KeyAcme))
	}
	// A container: a directory of its own, nothing held yet.
	container := func() (do func(method, path, key, body string) (int, string)) {
		dir := partners.NewDirectoryTouchingAfter(m, nil, partners.TouchInline)
		c := fixture.Client(t, m, fixture.Options{Partners: dir})
		return func(method, path, key, body string) (int, string) {
			r := c.Do(method, path, headers(key), body)
			return r.Status, string(r.Body)
		}
	}
	users := "/api/partner/v2/users"
	create := func(ext string) string { return `{"externalUserId":"` + ext + `","type":"INDIVIDUAL"}` }

	// A cold create: the key's read and the user's creation at once.
	do := container()
	m.arm()
	status, body := do(http.MethodPost, users, key, create("cold-1"))
	if status != 201 || m.met.Load() != 2 {
		t.Fatalf("cold create: %d %s, met %d (2: at once)", status, body, m.met.Load())
	}
	userID := body[strings.Index(body, `"userId":"`)+10:][:36]

	// A cold read: the key's read and the user's at once.
	do = container()
	m.arm()
	if status, body := do(http.MethodGet, users+"/"+userID, key, ""); status != 200 || m.met.Load() != 2 {
		t.Fatalf("cold read: %d %s, met %d", status, body, m.met.Load())
	}
	// The same container, warm: the key is held; one call, no overlap.
	m.armed.Store(false)
	lookups := m.keyLookups.Load()
	if status, _ := do(http.MethodGet, users+"/"+userID, key, ""); status != 200 || m.keyLookups.Load() != lookups {
		t.Fatalf("warm read: %d, %d lookups", status, m.keyLookups.Load()-lookups)
	}

	// Refused keys, each in a cold container: nothing written, nothing served.
	forged := "pik_" + strings.Repeat("A", 43) + "_p_cold" // a secret that is not p_cold's, naming p_cold
	for _, c := range []struct {
		name, key, code string
		status          int
	}{
		{"a forged key naming the partner", forged, "UNAUTHORIZED", 401},
		{"a suspended partner's key", suspendedKey, "INVALID_PARTNER_FLOW", 403},
	} {
		do := container()
		m.armed.Store(false)
		creations := m.userCreation.Load()
		status, body := do(http.MethodPost, users, c.key, create("refused-"+c.code))
		if status != c.status || !strings.Contains(body, c.code) {
			t.Fatalf("%s: create %d %s", c.name, status, body)
		}
		if m.userCreation.Load() != creations+1 {
			t.Fatalf("%s: the creation was not attempted beside the key (the overlap is what is tested)", c.name)
		}
		for _, p := range []string{"p_cold", "p_susp"} {
			if _, err := m.Store.GetGuard(ctx, p, "refused-"+c.code); err == nil {
				t.Fatalf("%s: a user was written", c.name)
			}
		}
		if status, body := do(http.MethodGet, users+"/"+userID, c.key, ""); status != c.status || strings.Contains(body, userID) {
			t.Fatalf("%s: read %d %s", c.name, status, body)
		}
	}
	// The forged key is now held as unknown: more of it reads no user.
	do = container()
	do(http.MethodGet, users+"/"+userID, forged, "")
	reads := m.userReads.Load()
	for range 50 {
		if status, _ := do(http.MethodGet, users+"/"+userID, forged, ""); status != 401 {
			t.Fatalf("held bad key: %d", status)
		}
	}
	if n := m.userReads.Load() - reads; n != 0 {
		t.Fatalf("a held bad key read the user %d times", n)
	}

	// An expired key, cold: 401, nothing written.
	d, old, err := admin.IssueKey(ctx, "test", "p_cold", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.ExpireKey(ctx, "test", "p_cold", d.Keys[len(d.Keys)-1].ID, time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	do = container()
	if status, body := do(http.MethodPost, users, old, create("ext-after-expiry-1")); status != 401 || !strings.Contains(body, "Invalid API Key") {
		t.Fatalf("expired key: %d %s", status, body)
	}
	if _, err := m.Store.GetGuard(ctx, "p_cold", "ext-after-expiry-1"); err == nil {
		t.Fatal("an expired key wrote a user")
	}

	// A test event, cold: written beside the key's read when the partner
	// has an endpoint; one without is answered so and writes nothing.
	_, hookKey, err := admin.Create(ctx, "test", partners.NewPartner{ID: "p_hook", Name: "Hooked", WebhookURL: "https://hooks.hook.example/id"})
	if err != nil {
		t.Fatal(err)
	}
	do = container()
	m.arm()
	if status, body := do(http.MethodPost, "/api/partner/v2/webhooks/test", hookKey, ""); status != 202 || m.met.Load() != 2 {
		t.Fatalf("cold test event: %d %s, met %d", status, body, m.met.Load())
	}
	m.armed.Store(false)
	do = container()
	if status, body := do(http.MethodPost, "/api/partner/v2/webhooks/test", key, ""); status != 409 || !strings.Contains(body, "WEBHOOK_NOT_CONFIGURED") {
		t.Fatalf("cold test event without an endpoint: %d %s", status, body)
	}
	if status, body := do(http.MethodGet, "/api/partner/v2/webhooks/events?type=webhook.test", key, ""); status != 200 || strings.Contains(body, "webhook.test") {
		t.Fatalf("a test event was written without an endpoint: %d %s", status, body)
	}

	// A key whose item the key check refuses although its lookup accepts
	// it (a record written before items said whether their partner is
	// active): the creation is made again after the lookup, once.
	rec, err := m.Store.GetPartner(ctx, "p_cold")
	if err != nil {
		t.Fatal(err)
	}
	stale := rec
	stale.Active, stale.Rev = false, rec.Rev+1
	if err := m.Store.SavePartner(ctx, &rec, stale, domain.AuditEntry{PartnerID: "p_cold"}); err != nil {
		t.Fatal(err)
	}
	do = container()
	creations := m.userCreation.Load()
	if status, body := do(http.MethodPost, users, key, create("healed")); status != 201 || m.userCreation.Load() != creations+2 {
		t.Fatalf("a refused check, a good key: %d %s, %d creations", status, body, m.userCreation.Load()-creations)
	}
}
