package kyc_test

import (
	"context"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/kyc"
	"github.com/partner-identity/api/shared/domain/partners"
)

// TestOpenSessionsPerUserAreCapped: a user opens MaxOpenKYCSessions
// sessions; one more is a Conflict (ReasonSessionLimit) that writes
// nothing while all are pending and unexpired; once one passes its expiry
// (the cleanup not run yet) the next link is opened, the expired session
// leaving the open set; a result frees a place the same way.
func TestOpenSessionsPerUserAreCapped(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	s := memstore.New()
	if _, err := s.CreateUser(ctx, domain.User{ID: "u1", PartnerID: "p1", ExternalUserID: "x", Type: "INDIVIDUAL", Method: "NONE",
		KYCStatus: domain.KYCNotStarted, CreatedAt: now, UpdatedAt: now},
		domain.Guard{PartnerID: "p1", ExternalUserID: "x", UserID: "u1", CreatedAt: now}, domain.OutboxEvent{ID: "evt-u1"}); err != nil {
		t.Fatal(err)
	}
	p := &partners.Partner{ID: "p1", KYCTemplates: map[string]partners.KYCTemplate{
		"MX": {TemplateID: "mx", LinkURL: "https://kyc.example/s/" + partners.SessionIDPlaceholder}}}
	clock := now
	svc := kyc.New(kyc.Deps{Store: s, Now: func() time.Time { return clock }, SessionTTL: time.Hour})
	var first string
	for i := range domain.MaxOpenKYCSessions {
		o, err := svc.Open(ctx, p, "u1", kyc.LinkInput{Country: "MX"})
		if err != nil {
			t.Fatalf("link %d: %v", i+1, err)
		}
		if i == 0 {
			first = o.SessionID
		}
		clock = clock.Add(time.Minute)
	}
	sessions := s.SessionCount()
	if _, err := svc.Open(ctx, p, "u1", kyc.LinkInput{Country: "MX"}); !errorIs(err, domain.E(domain.Conflict, domain.ReasonSessionLimit)) {
		t.Fatalf("one over the cap: %v", err)
	}
	if s.SessionCount() != sessions {
		t.Fatal("a refused link wrote a session")
	}
	// The first passes its expiry (an hour): the next link is opened.
	clock = now.Add(time.Hour)
	if _, err := svc.Open(ctx, p, "u1", kyc.LinkInput{Country: "MX"}); err != nil {
		t.Fatalf("a link once a session expired: %v", err)
	}
	u, _ := s.GetUser(ctx, "u1")
	if len(u.OpenKYC) != domain.MaxOpenKYCSessions {
		t.Fatalf("open set %d, want %d", len(u.OpenKYC), domain.MaxOpenKYCSessions)
	}
	for _, id := range u.OpenKYC {
		if id == first {
			t.Fatal("the expired session is still open")
		}
	}
	if _, err := svc.Open(ctx, p, "u1", kyc.LinkInput{Country: "MX"}); !errorIs(err, domain.E(domain.Conflict, domain.ReasonSessionLimit)) {
		t.Fatalf("at the cap again: %v", err)
	}
}

func errorIs(err, target error) bool {
	e, ok := domain.As(err)
	t, _ := domain.As(target)
	return ok && e.Kind == t.Kind && e.Reason == t.Reason
}
