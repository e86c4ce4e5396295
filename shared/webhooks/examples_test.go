package webhooks_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/outbox"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/webhooks"
)

// TestPartnerExamplesVerifyARealDelivery: the verification examples of
// docs/examples/webhooks (Go, Node.js, Python), run as a partner pastes
// them, accept a delivery the real sender signed, and refuse it with
// another secret, with a changed body and with another signature.
func TestPartnerExamplesVerifyARealDelivery(t *testing.T) {
	var got http.Header
	var body []byte
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, body = r.Header.Clone(), mustReadAll(r.Body)
	}))
	defer rcv.Close()
	const secret = "whsec_partner_example_0123456789"
	ev := outbox.Must(outbox.UserCreated, "p_acme", map[string]string{"userId": "u1", "externalUserId": "e-ü-1"}, time.Now())
	if err := webhooks.NewSender(2*time.Second, true).Send(context.Background(), rcv.URL, secret, ev, time.Now()); err != nil {
		t.Fatal(err)
	}
	ts, sig := got.Get("Webhook-Timestamp"), got.Get("Webhook-Signature")
	dir := filepath.Join(testkit.Root(), "docs", "examples", "webhooks")
	examples := map[string][]string{
		"go":     {"go", "run", filepath.Join(dir, "verify.go")},
		"node":   {"node", filepath.Join(dir, "verify.js")},
		"python": {"python3", filepath.Join(dir, "verify.py")},
	}
	for lang, argv := range examples {
		t.Run(lang, func(t *testing.T) {
			if _, err := exec.LookPath(argv[0]); err != nil {
				if os.Getenv("CI") == "true" {
					t.Fatalf("%s is required under CI=true", argv[0])
				}
				t.Skipf("%s is not installed", argv[0])
			}
			run := func(secret, sig string, body []byte) string {
				cmd := exec.Command(argv[0], append(argv[1:], ts, sig)...)
				cmd.Env = append(os.Environ(), "WEBHOOK_SECRET="+secret)
				cmd.Stdin = bytes.NewReader(body)
				out, _ := cmd.Output()
				return strings.TrimSpace(string(out))
			}
			if v := run(secret, sig, body); v != "valid" {
				t.Fatalf("the real delivery: %q", v)
			}
			for name, c := range map[string]struct {
				secret, sig string
				body        []byte
			}{
				"another secret":    {"whsec_someone_else_0123456789", sig, body},
				"a changed body":    {secret, sig, bytes.Replace(body, []byte("u1"), []byte("u2"), 1)},
				"another signature": {secret, "v1=" + strings.Repeat("0", 64), body},
			} {
				if v := run(c.secret, c.sig, c.body); v != "invalid" {
					t.Errorf("%s: %q", name, v)
				}
			}
		})
	}
}

func mustReadAll(r io.Reader) []byte {
	b, _ := io.ReadAll(r)
	return b
}
