package kyc_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/adapters/memstore"
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
