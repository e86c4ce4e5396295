package userv2_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
)

// keyAndLink is a store whose key lookup and identifier link read wait
// for each other when armed (up to a deadlock breaker): at once, both
// find the other there.
type keyAndLink struct {
	*memstore.Store
	armed      atomic.Bool
	key, link  chan struct{}
	met, links atomic.Int32
}

func (m *keyAndLink) meet(mine, other chan struct{}) {
	if !m.armed.Load() {
		return
	}
	close(mine)
	select {
	case <-other:
		m.met.Add(1)
	case <-time.After(5 * time.Second):
	}
}

func (m *keyAndLink) PartnerByKey(ctx context.Context, d string) (domain.KeyMatch, error) {
	m.meet(m.key, m.link)
	return m.Store.PartnerByKey(ctx, d)
}

func (m *keyAndLink) GetLink(ctx context.Context, partnerID, hash string) (domain.Link, error) {
	m.links.Add(1)
	m.meet(m.link, m.key)
	return m.Store.GetLink(ctx, partnerID, hash)
}

// TestACheckoutKeyIsReadBesideTheLink: GET /api/v2/user/info with a
// partner key and User-Identifier, in a container that does not hold the
// key yet: the key is read while the pepper comes and the identifier's
// link (then its user) is read for the partner the key names at the same
// time; a forged key naming that partner is ER805 and shows nothing of
// the user; a key the container holds as unknown reads no link.
func TestACheckoutKeyIsReadBesideTheLink(t *testing.T) {
	ctx := context.Background()
	m := &keyAndLink{Store: memstore.New()}
	_, key, err := partners.NewAdmin(m.Store, nil, false).Create(ctx, "test", partners.NewPartner{ID: "p_shop", Name: "Shop"})
	if err != nil {
		t.Fatal(err)
	}
	container := func() *apitest.Client {
		return fixture.Client(t, m, fixture.Options{Partners: partners.NewDirectoryTouchingAfter(m, nil, partners.TouchInline)})
	}
	c := container()
	user := createUser(t, c, key, "checkout-1")
	if r := c.Do(http.MethodPost, linkPath, bearer(mint(t, c, key, user)), linkBody(identA)); r.Status != 200 {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	info := func(c *apitest.Client, key string) *apitest.Response {
		return c.Do(http.MethodGet, infoPath, apitest.Headers{"partner-api-key": key, "User-Identifier": identA}, "")
	}

	m.key, m.link = make(chan struct{}), make(chan struct{})
	m.armed.Store(true)
	if r := info(container(), key); r.Status != 200 || !strings.Contains(string(r.Body), user) || m.met.Load() != 2 {
		t.Fatalf("cold checkout: %d %s, met %d (2: at once)", r.Status, r.Body, m.met.Load())
	}
	m.armed.Store(false)

	forged := "pik_" + strings.Repeat("Z", 43) + "_p_shop"
	c = container()
	r := info(c, forged)
	assertER(t, r, http.StatusUnauthorized, "ER805")
	links := m.links.Load()
	for range 20 {
		assertER(t, info(c, forged), http.StatusUnauthorized, "ER805")
	}
	if n := m.links.Load() - links; n != 0 {
		t.Fatalf("a held bad key read %d links", n)
	}
}
