package main

import (
	"context"
	"github.com/partner-identity/api/shared/devdata"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/partner-identity/api/shared/lambda/app"
)

// TestPreflightFromAnAllowedOrigin: a browser's preflight for the widget's
// link-identifier call succeeds against what make run serves, with the
// surface's headers allowed; the call itself then carries the CORS headers;
// another origin gets none.
func TestPreflightFromAnAllowedOrigin(t *testing.T) {
	deps, err := devdata.Build(context.Background(), app.Config{}, devdata.Local{Memory: true})
	if err != nil {
		t.Fatal(err)
	}
	h := handler(deps, []string{"https://widget.acme.example"}, func() string { return "http://127.0.0.1:3000" })

	pre := httptest.NewRequest(http.MethodOptions, "/api/v2/user/link-identifier", nil)
	pre.Header.Set("Origin", "https://widget.acme.example")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	pre.Header.Set("Access-Control-Request-Headers", "user-authorization,content-type")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, pre)
	if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Origin") != "https://widget.acme.example" ||
		rec.Header().Get("Access-Control-Allow-Methods") != "DELETE,GET,POST,PUT" ||
		rec.Header().Get("Access-Control-Allow-Headers") != "authorization,content-type,user-authorization,user-identifier" {
		t.Fatalf("preflight: %d %v", rec.Code, rec.Header())
	}
	// What every response carries, a preflight's answer too.
	if len(rec.Header().Get("X-Request-Id")) != 24 || rec.Header().Get("Cache-Control") != "no-store" ||
		rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("preflight lacks the headers of every response: %v", rec.Header())
	}

	call := httptest.NewRequest(http.MethodGet, "/api/v2/user/info", nil)
	call.Header.Set("Origin", "https://widget.acme.example")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, call)
	if rec.Code != http.StatusUnauthorized || rec.Header().Get("Access-Control-Allow-Origin") != "https://widget.acme.example" ||
		rec.Header().Get("Access-Control-Expose-Headers") != "idempotent-replayed,ratelimit,ratelimit-policy,retry-after,x-request-id" {
		t.Fatalf("call: %d %v", rec.Code, rec.Header())
	}

	other := httptest.NewRequest(http.MethodOptions, "/api/v2/user/link-identifier", nil)
	other.Header.Set("Origin", "https://evil.example")
	other.Header.Set("Access-Control-Request-Method", "POST")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, other)
	if rec.Header().Get("Access-Control-Allow-Origin") != "" || rec.Code == http.StatusNoContent {
		t.Fatalf("another origin: %d %v", rec.Code, rec.Header())
	}
}
