package partners

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/domain"
)

// TestTestSide: a partner is made with a test side and a test key whose
// prefix tells its mode; the test key authenticates as the test side,
// which takes the live partner's flow, standing and templates as they
// change, never its keys; a live key may make test keys, a test key
// only test keys; removing the partner removes its test side.
func TestTestSide(t *testing.T) {
	stores(t, func(t *testing.T, s domain.Store) {
		ctx := context.Background()
		admin := NewAdmin(s, nil, true)
		d, live, err := admin.Create(ctx, "ops", NewPartner{ID: "p_acme", Name: "Acme", Flow: FlowAPI, IdentityProvider: "acme"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(live, LiveKeyPrefix) || !strings.HasPrefix(d.TestKey, TestKeyPrefix) || !ValidKeyFormat(d.TestKey) {
			t.Fatalf("keys %q %q", live, d.TestKey)
		}
		if KeyClaim(live) != "p_acme" || KeyClaim(d.TestKey) != "p_acme.test" || KeyMode(d.TestKey) != ModeTest || KeyMode(live) != ModeLive {
			t.Fatalf("claims %q %q", KeyClaim(live), KeyClaim(d.TestKey))
		}
		dir := NewDirectory(s, nil)
		defer dir.Wait()
		lp, err := dir.Authenticate(ctx, live)
		if err != nil || lp.ID != "p_acme" {
			t.Fatalf("live key: %+v %v", lp, err)
		}
		tp, err := dir.Authenticate(ctx, d.TestKey)
		if err != nil || tp.ID != "p_acme.test" || tp.IdentityProvider != "" || len(tp.Keys) != 1 || tp.Name != "Acme" {
			t.Fatalf("test key: %+v %v", tp, err)
		}

		// The live partner's changes reach its test side; its keys do not.
		if _, err := admin.SetTemplate(ctx, "ops", "p_acme", "FI", KYCTemplate{Provider: "sumsub", TemplateID: "basic"}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.Suspend(ctx, "ops", "p_acme"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := admin.IssueKey(ctx, "ops", "p_acme", time.Time{}); err != nil {
			t.Fatal(err)
		}
		side, err := admin.Show(ctx, "p_acme.test")
		if err != nil || !side.Partner.Suspended() || side.Partner.KYCTemplates["FI"].TemplateID != "basic" || len(side.Keys) != 1 {
			t.Fatalf("test side after the live changes: %+v %v", side, err)
		}
		if _, err := admin.Reinstate(ctx, "ops", "p_acme"); err != nil {
			t.Fatal(err)
		}

		// Keys by mode.
		liveDigest, testDigest := KeyDigest(live), KeyDigest(d.TestKey)
		if _, k, err := admin.CreateKeyIn(ctx, liveDigest, "p_acme", ModeTest); err != nil || KeyClaim(k) != "p_acme.test" {
			t.Fatalf("a test key from a live key: %q %v", k, err)
		}
		if _, k, err := admin.CreateKeyIn(ctx, testDigest, "p_acme.test", ""); err != nil || KeyMode(k) != ModeTest {
			t.Fatalf("a key from a test key: %q %v", k, err)
		}
		before, _ := admin.Show(ctx, "p_acme")
		if _, _, err := admin.CreateKeyIn(ctx, testDigest, "p_acme.test", ModeLive); !errors.Is(err, domain.E(domain.Forbidden, ReasonLiveFromTest)) {
			t.Fatalf("a live key from a test key: %v", err)
		}
		if after, _ := admin.Show(ctx, "p_acme"); len(after.Keys) != len(before.Keys) {
			t.Fatalf("a refused live key written: %d keys, were %d", len(after.Keys), len(before.Keys))
		}
		if side, _ := admin.Show(ctx, "p_acme.test"); len(side.Keys) != 3 {
			t.Fatalf("test keys: %d", len(side.Keys))
		}

		// A partner id may not name a test side.
		if _, _, err := admin.Create(ctx, "ops", NewPartner{ID: "p_x.test", Name: "X"}); !errors.Is(err, domain.ErrInvalid) {
			t.Fatalf("a test side's id: %v", err)
		}

		if err := admin.Remove(ctx, "ops", "p_acme"); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.Show(ctx, "p_acme.test"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("test side after the removal: %v", err)
		}
	})
}

// TestEnsureTestSide: a partner made before test mode (imported) gets its
// test side on its first test key; an imported document's test keys
// authenticate as the test side.
func TestEnsureTestSide(t *testing.T) {
	stores(t, func(t *testing.T, s domain.Store) {
		ctx := context.Background()
		admin := NewAdmin(s, nil, true)
		now := time.Now().UTC()
		rec := domain.PartnerRecord{ID: "p_old", Settings: (&Partner{Name: "Old", Flow: FlowAPI}).Settings(), Active: true, Rev: 1, CreatedAt: now, UpdatedAt: now,
			Keys: []domain.APIKey{{ID: "key_1", Digest: KeyDigest("pik_an_old_live_key_0000000000"), CreatedAt: now}}}
		if err := s.SavePartner(ctx, nil, rec, domain.AuditEntry{PartnerID: "p_old", Actor: "t", Action: "create", At: now}); err != nil {
			t.Fatal(err)
		}
		if _, k, err := admin.CreateKeyIn(ctx, KeyDigest("pik_an_old_live_key_0000000000"), "p_old", ModeTest); err != nil || KeyClaim(k) != "p_old.test" {
			t.Fatalf("first test key: %q %v", k, err)
		}
		if err := admin.EnsureTestSide(ctx, "ops", "p_old"); err != nil {
			t.Fatalf("again: %v", err)
		}

		doc := `{"partners":[{"id":"p_doc","name":"Doc","flow":"API","apiKeySha256":["` + KeyDigest("doc_live_key_0000000000") + `"],
			"testApiKeySha256":["` + KeyDigest("doc_test_key_0000000000") + `"]}]}`
		if _, _, err := admin.Import(ctx, "ops", []byte(doc)); err != nil {
			t.Fatal(err)
		}
		dir := NewDirectory(s, nil)
		defer dir.Wait()
		if p, err := dir.Authenticate(ctx, "doc_test_key_0000000000"); err != nil || p.ID != "p_doc.test" {
			t.Fatalf("imported test key: %+v %v", p, err)
		}
		if p, err := dir.Authenticate(ctx, "doc_live_key_0000000000"); err != nil || p.ID != "p_doc" {
			t.Fatalf("imported live key: %+v %v", p, err)
		}
		// The registry document lists no test side by id.
		if _, _, err := admin.Import(ctx, "ops", []byte(`{"partners":[{"id":"p_doc.test","name":"D","flow":"API"}]}`)); !errors.Is(err, domain.ErrInvalid) {
			t.Fatalf("a test side by id: %v", err)
		}
	})
}
