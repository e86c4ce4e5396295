package signature_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/adapters/localseal"
	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/webhooks/signature"
)

// counting counts the store's reads of sealed secrets and the sealer's
// opens (KMS Decrypt calls in AWS), and fails opens on demand.
type counting struct {
	*memstore.Store
	domain.Sealer
	reads, opens atomic.Int64
	fail         atomic.Bool
}

func (c *counting) SealedSecrets(ctx context.Context, id string) (domain.SealedSecrets, error) {
	c.reads.Add(1)
	return c.Store.SealedSecrets(ctx, id)
}

func (c *counting) Open(ctx context.Context, id string, sealed []byte) ([]byte, error) {
	c.opens.Add(1)
	if c.fail.Load() {
		return nil, errors.New("kms: throttled")
	}
	return c.Sealer.Open(ctx, id, sealed)
}

// TestAKeyringOpensEachSecretOncePerContainer: a container reads a
// partner's sealed secrets once a minute and opens (KMS Decrypt) each
// secret once, however many events it signs; a rotation costs one more
// open, both secrets sign during the overlap and the old one stops at its
// end; a partner without secrets is read once a minute too; a failed open
// is an error, not cached.
func TestAKeyringOpensEachSecretOncePerContainer(t *testing.T) {
	ctx := context.Background()
	clock := testkit.NewClock(time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC))
	c := &counting{Store: memstore.New(), Sealer: localseal.New([]byte("k"))}
	admin := partners.NewAdmin(c.Store, clock.Now, false).WithSealer(c.Sealer)
	for _, id := range []string{"p_a", "p_b"} {
		if _, _, err := admin.Create(ctx, "test", partners.NewPartner{ID: id, Name: id}); err != nil {
			t.Fatal(err)
		}
	}
	first, err := admin.RotateWebhookSecret(ctx, "test", "p_a", 0)
	if err != nil {
		t.Fatal(err)
	}
	ring := signature.NewStored(c, c, clock.Now)
	keys := func(id string) []signature.Key {
		t.Helper()
		k, err := ring.For(ctx, id, partners.DefaultEndpointID)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	for range 1000 {
		if k := keys("p_a"); len(k) != 1 || string(k[0]) != string(signature.MustSecret(first)) {
			t.Fatalf("keys %d", len(k))
		}
		if k := keys("p_b"); len(k) != 0 {
			t.Fatalf("p_b has no secret: %d keys", len(k))
		}
	}
	if r, o := c.reads.Load(), c.opens.Load(); r != 2 || o != 1 {
		t.Fatalf("1,000 events each of two partners: %d reads, %d opens; want 2 and 1", r, o)
	}

	second, err := admin.RotateWebhookSecret(ctx, "test", "p_a", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if k := keys("p_a"); len(k) != 1 {
		t.Fatalf("within the minute the container signs as before: %d keys", len(k))
	}
	clock.Add(partners.CacheTTL)
	k := keys("p_a")
	if len(k) != 2 || string(k[0]) != string(signature.MustSecret(second)) || string(k[1]) != string(signature.MustSecret(first)) {
		t.Fatalf("during the overlap: %d keys", len(k))
	}
	if o := c.opens.Load(); o != 2 {
		t.Fatalf("a rotation: %d opens in all, want 2", o)
	}
	clock.Add(time.Hour)
	if k := keys("p_a"); len(k) != 1 || string(k[0]) != string(signature.MustSecret(second)) {
		t.Fatalf("after the overlap: %d keys", len(k))
	}

	third, err := admin.RotateWebhookSecret(ctx, "test", "p_a", 0)
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(partners.CacheTTL)
	c.fail.Store(true)
	if _, err := ring.For(ctx, "p_a", "we_default"); err == nil {
		t.Fatal("a failed open signed")
	}
	c.fail.Store(false)
	if k := keys("p_a"); len(k) != 1 || string(k[0]) != string(signature.MustSecret(third)) {
		t.Fatalf("once KMS answers: %d keys", len(k))
	}
}

// TestASecretOpensOnlyForItsPartner: a sealed secret copied to another
// partner's item does not open (the sealer binds it to its partner: KMS's
// encryption context, GCM's additional data).
func TestASecretOpensOnlyForItsPartner(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	sealer := localseal.New([]byte("k"))
	admin := partners.NewAdmin(s, nil, false).WithSealer(sealer)
	for _, id := range []string{"p_a", "p_b"} {
		if _, _, err := admin.Create(ctx, "test", partners.NewPartner{ID: id, Name: id}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := admin.RotateWebhookSecret(ctx, "test", "p_a", 0); err != nil {
		t.Fatal(err)
	}
	a, err := s.SealedSecrets(ctx, "p_a")
	if err != nil {
		t.Fatal(err)
	}
	copied := domain.SealedSecrets{PartnerID: "p_b", Secrets: a.Secrets, Rev: 1, UpdatedAt: a.UpdatedAt}
	if err := s.SaveSealedSecrets(ctx, 0, copied, domain.AuditEntry{PartnerID: "p_b"}); err != nil {
		t.Fatal(err)
	}
	if k, err := signature.NewStored(s, sealer, nil).For(ctx, "p_b", "we_default"); err == nil {
		t.Fatalf("p_a's secret opened for p_b: %d keys", len(k))
	}
}
