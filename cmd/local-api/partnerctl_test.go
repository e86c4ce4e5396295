package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/partner-identity/api/cmd/partnerctl/cli"
	"github.com/partner-identity/api/shared/devdata"
	"github.com/partner-identity/api/shared/lambda/app"
)

// TestPartnerctlAgainstMakeRun: partnerctl -local runs its commands in
// make run's process, on its store: a partner created (and a file
// imported) that way calls the API at once with the key it printed; only
// from this machine, only as JSON (a page's form cannot reach it).
func TestPartnerctlAgainstMakeRun(t *testing.T) {
	deps, err := devdata.Build(context.Background(), app.Config{}, devdata.Local{Memory: true})
	if err != nil {
		t.Fatal(err)
	}
	h := handler(deps, []string{"*"}, func() string { return "http://127.0.0.1:3000" })
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctl := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := cli.Remote(context.Background(), srv.URL, args, "dev@laptop", os.ReadFile, &out); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return out.String()
	}
	m := regexp.MustCompile(`API key key_[0-9a-f]+: (\S+)`).FindStringSubmatch(ctl("create", "-id", "p_local", "-name", "Local"))
	if m == nil {
		t.Fatal("no key printed")
	}
	call := func(key string) int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/partner/v2/users?externalUserId=nobody", nil)
		req.Header.Set("partner-api-key", key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if s := call(m[1]); s != 404 {
		t.Fatalf("the new partner's key: %d, want 404 (authenticated)", s)
	}
	file := filepath.Join(t.TempDir(), "partners.json")
	if err := os.WriteFile(file, []byte(`{"partners":[{"id":"p_file","name":"File","apiKeySha256":["`+
		strings.Repeat("ab", 32)+`"],"flow":"API"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := ctl("import", file); !strings.Contains(out, "1 created") {
		t.Fatalf("import: %s", out)
	}
	if out := ctl("list"); !strings.Contains(out, "p_file") || !strings.Contains(out, "p_local") || !strings.Contains(out, devdata.PartnerID) {
		t.Fatalf("list:\n%s", out)
	}
	if out := ctl("audit", "p_local"); !strings.Contains(out, "dev@laptop") {
		t.Fatalf("audit:\n%s", out)
	}
	var out bytes.Buffer
	if err := cli.Remote(context.Background(), srv.URL, []string{"show", "p_none"}, "dev", os.ReadFile, &out); err == nil || !strings.Contains(err.Error(), "no such partner") {
		t.Fatalf("an error from make run: %v", err)
	}

	for name, req := range map[string]*http.Request{
		"from another machine": func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, cli.LocalPath, strings.NewReader(`{"args":["list"],"actor":"x"}`))
			r.Header.Set("Content-Type", "application/json")
			r.RemoteAddr = "10.0.0.7:40000"
			return r
		}(),
		"a form's body": func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, cli.LocalPath, strings.NewReader(`{"args":["list"],"actor":"x"}`))
			r.Header.Set("Content-Type", "text/plain")
			return r
		}(),
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code < 400 || strings.Contains(rec.Body.String(), "p_local") {
			t.Errorf("%s: %d %s", name, rec.Code, rec.Body)
		}
	}
}
