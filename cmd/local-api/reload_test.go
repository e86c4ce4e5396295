package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/devdata"

	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/webhooks/signature"
)

// TestEditedPartnersFileTakesEffect: make run -partners FILE imports the
// file again when it changes (checked every second), so an operator's
// edit (here: suspending the partner, then a half-saved file, then
// restoring it) is what requests meet once the directory's minute has
// passed, without a restart.
func TestEditedPartnersFileTakesEffect(t *testing.T) {
	const key = "reload_partner_key_0123456789abcdef"
	registry := func(flow string) string {
		return `{"partners":[{"id":"p_reload","name":"Reload","apiKeySha256":["` + partners.KeyDigest(key) + `"],"flow":"` + flow + `"}]}`
	}
	file := filepath.Join(t.TempDir(), "partners.json")
	write := func(doc string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(registry("API"))
	var clock atomic.Int64
	clock.Store(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	deps, err := devdata.Build(context.Background(), app.Config{Now: now}, devdata.Local{Memory: true, PartnersFile: file})
	if err != nil {
		t.Fatal(err)
	}
	watched := devdata.NewPartnersFile(deps, file, "")
	h := handler(deps, []string{"*"}, func() string { return "http://127.0.0.1:3000" })
	status := func() int {
		req := httptest.NewRequest(http.MethodGet, "/api/partner/v2/users?externalUserId=nobody", nil)
		req.Header.Set("partner-api-key", key)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	step := func(what string, d time.Duration, want int) {
		t.Helper()
		clock.Add(int64(d))
		if got := status(); got != want {
			t.Fatalf("%s: %d, want %d", what, got, want)
		}
	}
	check := func(wantImported, wantErr bool) {
		t.Helper()
		if imported, err := watched.Check(context.Background()); imported != wantImported || (err != nil) != wantErr {
			t.Fatalf("check: imported %v, error %v", imported, err)
		}
	}
	step("the partner in good standing", 0, 404)
	check(false, false) // unchanged: nothing imported
	write(registry("SUSPENDED"))
	check(true, false)
	step("suspended, within the directory's minute", partners.CacheTTL/2, 404)
	step("suspended, after it", partners.CacheTTL, 403)
	write(strings.TrimSuffix(registry("API"), "]}")) // half saved
	check(false, true)
	step("a file that does not parse changes nothing", 2*partners.CacheTTL, 403)
	write(registry("API"))
	check(true, false)
	step("restored", 2*partners.CacheTTL, 404)
}

// TestEditedWebhookSecretsFileTakesEffect: make run -webhook-secrets FILE
// seals the file's secrets into the store at start and again when it
// changes; deliveries sign with what the file says within the keyring's
// minute, and a file that does not parse changes nothing.
func TestEditedWebhookSecretsFileTakesEffect(t *testing.T) {
	dir := t.TempDir()
	partnersFile, secretsFile := filepath.Join(dir, "partners.json"), filepath.Join(dir, "hooks.json")
	secretA, secretB := "whsec_"+strings.Repeat("QUFB", 8), "whsec_"+strings.Repeat("QkJC", 8)
	write := func(file, doc string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(partnersFile, `{"partners":[{"id":"p_reload","name":"Reload"}]}`)
	write(secretsFile, `{"webhookSecrets":{"p_reload":"`+secretA+`"}}`)
	var clock atomic.Int64
	clock.Store(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	deps, err := devdata.Build(context.Background(), app.Config{Now: now},
		devdata.Local{Memory: true, PartnersFile: partnersFile, WebhookSecretsFile: secretsFile})
	if err != nil {
		t.Fatal(err)
	}
	watched := devdata.NewPartnersFile(deps, partnersFile, secretsFile)
	signsWith := func(what string, want ...string) {
		t.Helper()
		keys, err := deps.WebhookKeys.For(context.Background(), "p_reload", "we_default")
		if err != nil || len(keys) != len(want) {
			t.Fatalf("%s: %d keys, %v", what, len(keys), err)
		}
		for i, w := range want {
			if string(keys[i]) != string(signature.MustSecret(w)) {
				t.Fatalf("%s: key %d is not the file's", what, i)
			}
		}
	}
	signsWith("at start", secretA)
	write(secretsFile, `{"webhookSecrets":{"p_reload":["`+secretB+`","`+secretA+`"]}}`)
	if imported, err := watched.Check(context.Background()); !imported || err != nil {
		t.Fatalf("check: %v %v", imported, err)
	}
	signsWith("within the keyring's minute", secretA)
	clock.Add(int64(partners.CacheTTL))
	signsWith("a rotation: the new and the old", secretB, secretA)
	write(secretsFile, `{"webhookSecrets":{"p_reload":"whsec_short"}}`)
	if imported, err := watched.Check(context.Background()); imported || err == nil || strings.Contains(err.Error(), "whsec_short") {
		t.Fatalf("a bad file: %v %v", imported, err)
	}
	clock.Add(int64(partners.CacheTTL))
	signsWith("a bad file changes nothing", secretB, secretA)
}
