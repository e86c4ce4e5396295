package delivery_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/domain/outbox"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/webhooks/delivery"
	"github.com/partner-identity/api/shared/webhooks/signature"
)

// TestPartnerExamplesVerifyARealDelivery: the verification examples of
// docs/examples/webhooks (Go, Node.js, Python), each with the official
// Standard Webhooks library of its language, run as a partner pastes them,
// accept a delivery the real sender signed, and refuse it with another
// secret, with a changed body, under another id and with another
// signature. Node's library comes from npm (make test installs it from
// the example's package-lock.json); Python's is the one the Go module
// github.com/standard-webhooks/standard-webhooks/libraries ships
// (the package PyPI serves as standardwebhooks), since PyPI is not
// reachable here.
func TestPartnerExamplesVerifyARealDelivery(t *testing.T) {
	var got http.Header
	var body []byte
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, body = r.Header.Clone(), mustReadAll(r)
	}))
	defer rcv.Close()
	ev := outbox.Must(outbox.UserCreated, "p_acme", map[string]string{"userId": "u1", "externalUserId": "e-ü-1"}, time.Now())
	if _, err := delivery.NewSender(2*time.Second, true).Send(context.Background(), rcv.URL, []signature.Key{signature.MustSecret(secretA)}, ev, time.Now()); err != nil {
		t.Fatal(err)
	}
	id, ts, sig := got.Get("Webhook-Id"), got.Get("Webhook-Timestamp"), got.Get("Webhook-Signature")
	dir := filepath.Join(testkit.Root(), "docs", "examples", "webhooks")
	pythonLib, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/standard-webhooks/standard-webhooks/libraries").Output()
	if err != nil {
		t.Fatalf("the Standard Webhooks module: %v", err)
	}
	examples := map[string]struct {
		argv []string
		env  []string
	}{
		"go":     {[]string{"go", "run", filepath.Join(dir, "verify.go")}, nil},
		"node":   {[]string{"node", filepath.Join(dir, "verify.js")}, nil},
		"python": {[]string{"python3", filepath.Join(dir, "verify.py")}, []string{"PYTHONPATH=" + filepath.Join(strings.TrimSpace(string(pythonLib)), "python")}},
	}
	nodeLib := true
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "standardwebhooks")); err != nil {
		// Under CI it must be there; on a fresh clone `go test ./...` runs
		// the other examples and says how to get this one.
		if os.Getenv("CI") == "true" {
			t.Fatalf("the Node.js example's library is not installed (make test installs it: npm ci --prefix docs/examples/webhooks): %v", err)
		}
		nodeLib = false
	}
	for lang, ex := range examples {
		t.Run(lang, func(t *testing.T) {
			if lang == "node" && !nodeLib {
				t.Skip("the Node.js example's library is not installed: npm ci --prefix docs/examples/webhooks (make test does)")
			}
			if _, err := exec.LookPath(ex.argv[0]); err != nil {
				if os.Getenv("CI") == "true" {
					t.Fatalf("%s is required under CI=true", ex.argv[0])
				}
				t.Skipf("%s is not installed", ex.argv[0])
			}
			run := func(secret, id, sig string, body []byte) string {
				cmd := exec.Command(ex.argv[0], append(ex.argv[1:], id, ts, sig)...)
				cmd.Env = append(append(os.Environ(), ex.env...), "WEBHOOK_SECRET="+secret)
				cmd.Stdin = bytes.NewReader(body)
				out, _ := cmd.Output()
				return strings.TrimSpace(string(out))
			}
			if v := run(secretA, id, sig, body); v != "valid" {
				t.Fatalf("the real delivery: %q", v)
			}
			for name, c := range map[string]struct {
				secret, id, sig string
				body            []byte
			}{
				"another secret":    {secretB, id, sig, body},
				"a changed body":    {secretA, id, sig, bytes.Replace(body, []byte("u1"), []byte("u2"), 1)},
				"another id":        {secretA, "evt_" + strings.Repeat("1", 32), sig, body},
				"another signature": {secretA, id, "v1," + strings.Repeat("A", 43) + "=", body},
			} {
				if v := run(c.secret, c.id, c.sig, c.body); v != "invalid" {
					t.Errorf("%s: %q", name, v)
				}
			}
		})
	}
}

func mustReadAll(r *http.Request) []byte {
	var b bytes.Buffer
	_, _ = b.ReadFrom(r.Body)
	return b.Bytes()
}
