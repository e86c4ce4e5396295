package kyc

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/store"
	"github.com/partner-identity/api/shared/store/memstore"
)

func TestRedirectRules(t *testing.T) {
	refused := []string{
		"javascript:alert(1)",
		"JaVaScRiPt://alert(1)",
		"javascript://example.com/%0Aalert(1)",
		"data:text/html;base64,PHNjcmlwdD4=",
		"data://text/html,x",
		"file:///etc/passwd",
		"vbscript:msgbox(1)",
		"vbscript://x",
		"blob:https://example.com/uuid",
		"about:blank",
		"ftp://files.example.com/x",
		"http://example.com/done",
		"http://localhost.evil.example/done",
		"/relative/path",
		"relative/path",
		"//example.com/protocol-relative",
		"https://",
		"https:///nohost",
		"https://user:pass@example.com/",
		"https://example.com/with space",
		"https://example.com/\u0000",
		"https://exämple.com/",
		"myapp:no-slashes",
		"://missing-scheme",
		"1app://bad-scheme-start",
		"https://" + strings.Repeat("a", 2048),
		"",
	}
	for _, uri := range refused {
		if CheckRedirectURI(uri) == "" {
			t.Errorf("accepted %q", uri)
		}
	}
	accepted := []string{
		"https://app.acme.example/kyc/done",
		"https://app.acme.example/kyc/done?state=abc#frag",
		"HTTPS://APP.ACME.EXAMPLE/",
		"myapp://callback",
		"myapp://",
		"com.acme.app://kyc/done?x=1",
		"acme-pay+v2://done",
		"http://localhost:8080/kyc",
		"http://127.0.0.1/kyc",
		"http://[::1]:3000/kyc",
	}
	for _, uri := range accepted {
		if issue := CheckRedirectURI(uri); issue != "" {
			t.Errorf("refused %q: %s", uri, issue)
		}
	}
}

func TestBuildLink(t *testing.T) {
	if got := BuildLink("https://verify.example.com/s/{sessionId}", "abc", ""); got != "https://verify.example.com/s/abc" {
		t.Fatal(got)
	}
	got := BuildLink("https://verify.example.com/s/{sessionId}?lang=es", "abc", "myapp://kyc/done?x=1&y=2")
	if got != "https://verify.example.com/s/abc?lang=es&redirect_uri=myapp%3A%2F%2Fkyc%2Fdone%3Fx%3D1%26y%3D2" {
		t.Fatal(got)
	}
}

func TestDevProviderShowsTheSession(t *testing.T) {
	mem := memstore.New()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	_, _ = mem.CreateUser(context.Background(), store.User{ID: "u1", PartnerID: "p", Type: "INDIVIDUAL"}, store.Guard{PartnerID: "p", ExternalUserID: "e"}, store.OutboxEvent{ID: "e1"})
	sess := store.KYCSession{ID: "abc", UserID: "u1", PartnerID: "p", Country: "MX", Status: store.KYCPending, ExpiresAt: now.Add(time.Hour)}
	if _, err := mem.OpenKYCSession(context.Background(), sess, now, store.OutboxEvent{ID: "e2"}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	clock := now
	mux.Handle(DevProviderPattern, DevProvider(mem, func() time.Time { return clock }))
	for want, at := range map[string]time.Time{`"status":"PENDING"`: now, `"status":"EXPIRED"`: now.Add(time.Hour)} {
		clock = at
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", "/kyc/abc?redirect_uri=myapp%3A%2F%2Fx", nil))
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), want) || !strings.Contains(rec.Body.String(), `"redirectUri":"myapp://x"`) {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/kyc/nope", nil))
	if rec.Code != 404 {
		t.Fatal(rec.Code)
	}
}
