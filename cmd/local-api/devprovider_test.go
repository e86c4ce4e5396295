package main

import (
	"context"
	"encoding/json"

	"github.com/partner-identity/api/shared/devdata"
	"github.com/partner-identity/api/shared/lambda/app"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/domain"
)

func TestDevProviderShowsTheSession(t *testing.T) {
	mem := memstore.New()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	_, _ = mem.CreateUser(context.Background(), domain.User{ID: "u1", PartnerID: "p", Type: "INDIVIDUAL"}, domain.Guard{PartnerID: "p", ExternalUserID: "e"}, domain.OutboxEvent{ID: "e1"})
	sess := domain.KYCSession{ID: "abc", UserID: "u1", PartnerID: "p", Country: "MX", Status: domain.KYCPending, ExpiresAt: now.Add(time.Hour)}
	if _, err := mem.OpenKYCSession(context.Background(), sess, now, domain.OutboxEvent{ID: "e2"}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	clock := now
	mux.Handle(devProviderPattern, devProvider(mem, func() time.Time { return clock }, nil, nil))
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

// TestDevProviderDecidesOnlyItsOwnForms: a decision is taken only for a
// session that exists, with one of the page's statuses and the page's form
// token (a page of another site cannot post one); the callback goes to the
// address make run serves, whatever Host the request names; and the
// stand-in's routes answer no cross-origin request (no CORS).
func TestDevProviderDecidesOnlyItsOwnForms(t *testing.T) {
	var callbacks []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		callbacks = append(callbacks, r.Host+r.URL.Path)
		w.WriteHeader(http.StatusOK)
	}))
	defer api.Close()
	deps, err := devdata.Build(context.Background(), app.Config{}, devdata.Local{Memory: true})
	if err != nil {
		t.Fatal(err)
	}
	mem := deps.Store.(*memstore.Store)
	now := time.Now().UTC()
	_, _ = mem.CreateUser(context.Background(), domain.User{ID: "u1", PartnerID: "p", Type: "INDIVIDUAL"}, domain.Guard{PartnerID: "p", ExternalUserID: "e"}, domain.OutboxEvent{ID: "e1"})
	sess := domain.KYCSession{ID: "0123456789abcdef0123456789abcdef", UserID: "u1", PartnerID: "p", Country: "MX", Status: domain.KYCPending, ExpiresAt: now.Add(time.Hour)}
	if _, err := mem.OpenKYCSession(context.Background(), sess, now, domain.OutboxEvent{ID: "e2"}); err != nil {
		t.Fatal(err)
	}
	h := handler(deps, []string{"*"}, func() string { return api.URL })
	page := httptest.NewRecorder()
	h.ServeHTTP(page, httptest.NewRequest("GET", "/kyc/"+sess.ID, nil))
	var view struct {
		FormToken string `json:"formToken"`
	}
	if err := json.Unmarshal(page.Body.Bytes(), &view); err != nil || len(view.FormToken) != 64 {
		t.Fatalf("page: %s", page.Body)
	}
	decide := func(id, form, host, origin string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/kyc/"+id+"/decision", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Host = host
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for _, c := range []struct {
		name, id, form string
		want           int
	}{
		{"no token", sess.ID, "status=APPROVED", 403},
		{"another session's token", sess.ID, "status=APPROVED&token=" + strings.Repeat("0", 64), 403},
		{"a status the page has not", sess.ID, "status=PENDING&token=" + view.FormToken, 400},
		{"no such session", "ffffffffffffffffffffffffffffffff", "status=APPROVED&token=" + view.FormToken, 404},
	} {
		if rec := decide(c.id, c.form, "127.0.0.1:3000", "https://evil.example"); rec.Code != c.want {
			t.Errorf("%s: %d, want %d", c.name, rec.Code, c.want)
		}
	}
	if len(callbacks) != 0 {
		t.Fatalf("refused decisions sent %d callbacks", len(callbacks))
	}
	rec := decide(sess.ID, "status=APPROVED&token="+view.FormToken, "evil.example:443", "https://evil.example")
	if rec.Code != http.StatusSeeOther || len(callbacks) != 1 || callbacks[0] != strings.TrimPrefix(api.URL, "http://")+"/kyc/providers/hosted/webhook" {
		t.Fatalf("the page's own form: %d, callbacks %v", rec.Code, callbacks)
	}
	if rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("the stand-in answered a cross-origin request with CORS headers")
	}
	pre := httptest.NewRequest(http.MethodOptions, "/kyc/"+sess.ID+"/decision", nil)
	pre.Header.Set("Origin", "https://evil.example")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	prec := httptest.NewRecorder()
	h.ServeHTTP(prec, pre)
	if prec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("a preflight to the stand-in: %d %v", prec.Code, prec.Header())
	}
}
