package main

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
	mux.Handle(devProviderPattern, devProvider(mem, func() time.Time { return clock }, nil))
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
