package kyc_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/kyc"
)

// TestAQuietCleanupWritesNothingWhenIdle: make run's cleanup (Quiet) logs
// and counts nothing when nothing expired; the deployed one (not Quiet)
// logs every run and writes its two metrics.
func TestAQuietCleanupWritesNothingWhenIdle(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	defer slog.SetDefault(prev)
	c := kyc.NewCleaner(memstore.New(), time.Now)
	c.Quiet = true
	if res, err := c.Run(context.Background()); err != nil || !res.Done {
		t.Fatalf("%+v %v", res, err)
	}
	if buf.Len() != 0 {
		t.Fatalf("an idle quiet run wrote: %s", buf.Bytes())
	}
	c.Quiet = false
	if _, err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "\n"); n != 3 || !strings.Contains(buf.String(), `"msg":"kyc cleanup"`) {
		t.Fatalf("a deployed run wrote %d lines: %s", n, buf.Bytes())
	}
}

// BenchmarkCleanup: the cleanup's own work per expired session on the
// memory store (its events built, its pages walked; no SDK, no network):
// go test ./shared/domain/kyc -run '^$' -bench Cleanup. The DynamoDB
// store's share is TestCleanupOnMoto2000Sessions' CPU figure.
func BenchmarkCleanup(b *testing.B) {
	const users, each = 2000, 10
	ctx := context.Background()
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		s := memstore.New()
		for u := range users {
			id := fmt.Sprintf("user-%05d", u)
			if _, err := s.CreateUser(ctx, domain.User{ID: id, PartnerID: "p1", ExternalUserID: id, Type: "INDIVIDUAL", Method: "NONE",
				KYCStatus: domain.KYCNotStarted, CreatedAt: at, UpdatedAt: at},
				domain.Guard{PartnerID: "p1", ExternalUserID: id, UserID: id, CreatedAt: at}, domain.OutboxEvent{ID: "evt-" + id}); err != nil {
				b.Fatal(err)
			}
			for range each {
				sess := domain.KYCSession{ID: kyc.NewSessionID(true), UserID: id, PartnerID: "p1", Status: domain.KYCPending,
					CreatedAt: at.Add(-2 * time.Hour), ExpiresAt: at.Add(-time.Hour)}
				if _, err := s.OpenKYCSession(ctx, sess, sess.CreatedAt, domain.OutboxEvent{ID: "evt-" + sess.ID}); err != nil {
					b.Fatal(err)
				}
			}
		}
		c := &kyc.Cleaner{Store: s, Now: func() time.Time { return at }, Quiet: true}
		b.StartTimer()
		res, err := c.Run(ctx)
		if err != nil || res.Expired != users*each {
			b.Fatalf("%+v %v", res, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*users*each), "ns/session")
}
