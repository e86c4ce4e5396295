package partners

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/adapters/localseal"
	"github.com/partner-identity/api/shared/domain"
)

// TestAdmin: every change validated before it is written, recorded (who,
// what, never a key), written once however often it is asked for.
func TestAdmin(t *testing.T) {
	stores(t, func(t *testing.T, s domain.Store) {
		ctx := context.Background()
		admin := NewAdmin(s, nil, true)
		d, key, err := admin.Create(ctx, "alice@ops", NewPartner{ID: "p_acme", Name: "Acme", Flow: FlowWidget,
			WebhookURL: "https://hooks.acme.example/identity"})
		if err != nil || !ValidKeyFormat(key) || len(d.Keys) != 1 || d.Partner.Flow != FlowWidget || d.Rev != 1 {
			t.Fatalf("create: %+v %q %v", d, key, err)
		}
		if _, _, err := admin.Create(ctx, "alice@ops", NewPartner{ID: "p_acme", Name: "Again"}); !errors.Is(err, domain.E(domain.Conflict, domain.ReasonPartnerExists)) {
			t.Fatalf("a second create: %v", err)
		}

		// Refused before anything is written.
		bad := []func() error{
			func() error {
				_, _, err := admin.Create(ctx, "a", NewPartner{ID: "p#1", Name: "x"})
				return err
			},
			func() error {
				_, _, err := admin.Create(ctx, "a", NewPartner{ID: "p2", Name: "x", Flow: "ANY"})
				return err
			},
			func() error {
				_, _, err := admin.Create(ctx, "a", NewPartner{ID: "p3", Name: "x", WebhookURL: "http://10.0.0.1/hook"})
				return err
			},
			func() error {
				_, err := admin.SetTemplate(ctx, "a", "p_acme", "US", KYCTemplate{TemplateID: "t", LinkURL: "https://kyc.example/no-placeholder"})
				return err
			},
			func() error {
				_, err := admin.SetTemplate(ctx, "a", "p_acme", "usa", KYCTemplate{Provider: "sumsub", TemplateID: "basic"})
				return err
			},
			func() error {
				_, err := admin.SetWebhook(ctx, "a", "p_acme", "https://hooks.acme.example:8443/x")
				return err
			},
			func() error { _, err := admin.SetFlow(ctx, "a", "p_acme", "SUSPENDED"); return err },
		}
		for i, f := range bad {
			if err := f(); !errors.Is(err, domain.ErrInvalid) {
				t.Errorf("change %d: %v, want invalid", i, err)
			}
		}
		if ps, _, _ := admin.List(ctx, "", 10); len(ps) != 2 || ps[0].Partner.ID != "p_acme" || ps[1].Partner.ID != "p_acme.test" {
			t.Fatalf("refused partners written: %d", len(ps))
		}

		// Idempotent: the same change twice is one write, one audit entry.
		for range 2 {
			if _, err := admin.SetTemplate(ctx, "bob@ops", "p_acme", "FI", KYCTemplate{Provider: "sumsub", TemplateID: "basic-kyc-level"}); err != nil {
				t.Fatal(err)
			}
			if _, err := admin.Suspend(ctx, "bob@ops", "p_acme"); err != nil {
				t.Fatal(err)
			}
		}
		d, _, err = admin.IssueKey(ctx, "bob@ops", "p_acme", time.Now().Add(24*time.Hour))
		if err != nil || len(d.Keys) != 2 || d.Keys[1].ExpiresAt.IsZero() {
			t.Fatalf("issue: %+v %v", d, err)
		}
		if _, err := admin.RevokeKey(ctx, "bob@ops", "p_acme", "key_none"); err != nil {
			t.Fatalf("revoking no key: %v", err)
		}
		d, err = admin.Show(ctx, "p_acme")
		if err != nil || !d.Partner.Suspended() || d.Partner.KYCTemplates["FI"].TemplateID != "basic-kyc-level" || d.Rev != 4 {
			t.Fatalf("show: %+v %v", d, err)
		}
		audit, err := admin.Audit(ctx, "p_acme")
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, a := range audit {
			actions = append(actions, a.Actor+" "+a.Action)
			if strings.Contains(a.Detail, key) || strings.Contains(a.Detail, "pik_") {
				t.Fatalf("a key in the audit: %+v", a)
			}
		}
		if strings.Join(actions, ", ") != "alice@ops create, bob@ops set KYC template, bob@ops suspend, bob@ops issue key" {
			t.Fatalf("audit: %v", actions)
		}

		// At most MaxKeys keys.
		for len(d.Keys) < MaxKeys {
			if d, _, err = admin.IssueKey(ctx, "bob@ops", "p_acme", time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := admin.IssueKey(ctx, "bob@ops", "p_acme", time.Time{}); !errors.Is(err, domain.ErrInvalid) {
			t.Fatalf("key %d: %v", MaxKeys+1, err)
		}

		// Removed: gone, its audit kept.
		if err := admin.Remove(ctx, "carol@ops", "p_acme"); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.Show(ctx, "p_acme"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("removed: %v", err)
		}
		if a, _ := admin.Audit(ctx, "p_acme"); a[len(a)-1].Action != "remove" {
			t.Fatalf("audit after removal: %+v", a[len(a)-1])
		}
	})
}

// TestImport: today's registry document moves into the store; a second
// import writes nothing; a key in the document authenticates.
func TestImport(t *testing.T) {
	stores(t, func(t *testing.T, s domain.Store) {
		ctx := context.Background()
		doc := `{"partners":[
		 {"id":"a","name":"A","apiKeySha256":["` + KeyDigest("key_a_current_000000000") + `","` + KeyDigest("key_a_previous_00000000") + `"],"flow":"API",
		  "kycTemplates":{"FI":{"provider":"sumsub","templateId":"basic"}},"identityProvider":"a-id"},
		 {"id":"b","name":"B","apiKeySha256":["` + KeyDigest("key_b_current_000000000") + `"],"flow":"SUSPENDED"}]}`
		admin := NewAdmin(s, nil, false)
		created, changed, err := admin.Import(ctx, "ops", []byte(doc))
		if err != nil || created != 2 || changed != 0 {
			t.Fatalf("import: %d %d %v", created, changed, err)
		}
		created, changed, err = admin.Import(ctx, "ops", []byte(doc))
		if err != nil || created != 0 || changed != 0 {
			t.Fatalf("again: %d %d %v", created, changed, err)
		}
		if a, _ := admin.Audit(ctx, "a"); len(a) != 1 {
			t.Fatalf("audit after two imports: %+v", a)
		}
		dir := NewDirectory(s, nil)
		defer dir.Wait()
		for key, want := range map[string]string{"key_a_previous_00000000": "a", "key_b_current_000000000": "b"} {
			p, err := dir.Authenticate(ctx, key)
			if err != nil || p.ID != want {
				t.Fatalf("%s: %+v %v", key, p, err)
			}
		}
		if p, _ := dir.Authenticate(ctx, "key_b_current_000000000"); p.MayCall(OpReadUser) {
			t.Fatal("b's flow SUSPENDED lets it call")
		}
		if p, err := dir.ByIdentityProvider(ctx, "a-id"); err != nil || p.KYCTemplates["FI"].TemplateID != "basic" {
			t.Fatalf("by provider: %+v %v", p, err)
		}
		// A document that drops a key: the key goes, the other keeps its id.
		before, _ := admin.Show(ctx, "a")
		doc2 := strings.Replace(doc, `","`+KeyDigest("key_a_previous_00000000"), "", 1)
		if _, changed, err := admin.Import(ctx, "ops", []byte(doc2)); err != nil || changed != 1 {
			t.Fatalf("import without a key: %d %v", changed, err)
		}
		after, _ := admin.Show(ctx, "a")
		if len(after.Keys) != 1 || after.Keys[0].ID != before.Keys[0].ID {
			t.Fatalf("keys %+v, before %+v", after.Keys, before.Keys)
		}
		// An invalid document writes nothing.
		if _, _, err := admin.Import(ctx, "ops", []byte(`{"partners":[{"id":"c","apiKeySha256":["zz"]}]}`)); !errors.Is(err, domain.ErrInvalid) {
			t.Fatalf("invalid document: %v", err)
		}
		if _, err := admin.Show(ctx, "c"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("c written: %v", err)
		}
	})
}

// TestImportKeepsThePartnersOwnEndpoints: the registry document, imported
// again, leaves the endpoints a partner added itself, and its first
// endpoint's settings while the document gives the same URL; a document
// that lists webhookEndpoints sets them.
func TestImportKeepsThePartnersOwnEndpoints(t *testing.T) {
	stores(t, func(t *testing.T, s domain.Store) {
		ctx := context.Background()
		admin := NewAdmin(s, nil, true).WithSealer(localseal.New([]byte("test")))
		doc := `{"partners":[{"id":"p_acme","name":"Acme","apiKeySha256":["` + strings.Repeat("a", 64) + `"],"flow":"API",
			"webhook":{"url":"https://hooks.acme.example/identity"}}]}`
		if _, _, err := admin.Import(ctx, "ops", []byte(doc)); err != nil {
			t.Fatal(err)
		}
		url, events, desc := "https://hooks.acme.example/kyc", []string{"kyc.status_changed"}, "KYC"
		own, _, err := admin.CreateEndpoint(ctx, "", "p_acme", EndpointInput{URL: &url, EnabledEvents: &events})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := admin.UpdateEndpoint(ctx, "", "p_acme", DefaultEndpointID, EndpointInput{Description: &desc}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := admin.Import(ctx, "ops", []byte(doc)); err != nil {
			t.Fatal(err)
		}
		list, err := admin.ListEndpoints(ctx, "p_acme")
		if err != nil || len(list) != 2 || list[0].Description != desc || list[1].ID != own.ID || list[1].URL != url {
			t.Fatalf("after the import again: %+v %v", list, err)
		}
		listed := strings.Replace(doc, `"webhook":{"url":"https://hooks.acme.example/identity"}`,
			`"webhook":{"url":"https://hooks.acme.example/v2"},"webhookEndpoints":[]`, 1)
		if _, _, err := admin.Import(ctx, "ops", []byte(listed)); err != nil {
			t.Fatal(err)
		}
		if list, err := admin.ListEndpoints(ctx, "p_acme"); err != nil || len(list) != 1 || list[0].URL != "https://hooks.acme.example/v2" || list[0].Description != "" {
			t.Fatalf("a document that lists its endpoints: %+v %v", list, err)
		}
	})
}
