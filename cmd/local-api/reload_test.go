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
	watched := devdata.NewPartnersFile(deps, file)
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
