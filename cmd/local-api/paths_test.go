package main

import (
	"context"
	"encoding/json"
	"github.com/partner-identity/api/shared/devdata"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/partner-identity/api/shared/lambda/app"
)

// TestUncleanPathsGetTheDialects404: the local API answers a path with
// "//", "." or ".." segments as the functions do, with the surface's 404
// and a request id, never ServeMux's redirect to the clean path.
func TestUncleanPathsGetTheDialects404(t *testing.T) {
	deps, err := devdata.Build(context.Background(), app.Config{}, devdata.Local{Memory: true})
	if err != nil {
		t.Fatal(err)
	}
	h := handler(deps, []string{"*"}, func() string { return "http://127.0.0.1:3000" })
	for target, contentType := range map[string]string{
		"/api/partner/v2//users":                 "application/json",
		"/api/partner/v2/users/./x":              "application/json",
		"/api/partner/v2/users/x/../x/token":     "application/json",
		"/api/v2/user/../user/info":              "application/json",
		"/api/v2/user//info":                     "application/json",
		"/federated-identities//devpartner":      "application/vnd.api+json",
		"/federated-identities/./devpartner":     "application/vnd.api+json",
		"/kyc//0123456789abcdef0123456789abcdef": "application/json",
		"/kyc/../api/v2/user/info":               "application/json",
	} {
		req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:3000/", nil)
		req.URL.Path = target // as sent, not cleaned by the client
		req.Header.Set("partner-api-key", devdata.APIKey)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 404 || rec.Header().Get("Location") != "" || rec.Header().Get("X-Request-Id") == "" ||
			!strings.HasPrefix(rec.Header().Get("Content-Type"), contentType) || !json.Valid(rec.Body.Bytes()) {
			t.Errorf("%s: %d %v %s, want the dialect's 404 with a request id", target, rec.Code, rec.Header(), rec.Body)
		}
	}
}

// TestKYCLinksNameTheServedAddress: the development partner's links go to
// the address the local API listens on, whatever the port.
func TestKYCLinksNameTheServedAddress(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:3001": "http://127.0.0.1:3001",
		"0.0.0.0:4000":   "http://127.0.0.1:4000",
		"[::]:4001":      "http://127.0.0.1:4001",
		"[::1]:4002":     "http://[::1]:4002",
	} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := baseURL(a); got != want {
			t.Errorf("baseURL(%s) = %s, want %s", addr, got, want)
		}
	}
	deps, err := devdata.Build(context.Background(), app.Config{}, devdata.Local{Memory: true, ProviderURL: "http://127.0.0.1:3456"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler(deps, []string{"*"}, func() string { return "http://127.0.0.1:3000" }))
	defer srv.Close()
	do := func(method, path, body string) map[string]any {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("partner-api-key", devdata.APIKey)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var v struct{ Data map[string]any }
		_ = json.NewDecoder(res.Body).Decode(&v)
		return v.Data
	}
	user := do(http.MethodPost, "/api/partner/v2/users", `{"externalUserId":"addr-1","type":"INDIVIDUAL"}`)
	link := do(http.MethodPost, "/api/partner/v2/users/"+user["userId"].(string)+"/kyc/verification-link", `{"country":"MX"}`)
	if kycLink, _ := link["kycLink"].(string); !strings.HasPrefix(kycLink, "http://127.0.0.1:3456/kyc/") {
		t.Fatalf("kycLink %q, want the served address", kycLink)
	}
}
