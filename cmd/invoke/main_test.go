package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partner-identity/api/shared/devdata"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/testkit"
)

// TestEveryEventSucceeds: make invoke gets each event's success (the
// store holds the development user the events name; create-user's event
// registers it), for every function of the Makefile.
func TestEveryEventSucceeds(t *testing.T) {
	want := map[string]string{
		"create-user": "201", "get-user": "200", "find-user": "200", "delete-user": "204", "create-verification-link": "201",
		"get-user-kyc": "200", "kyc-sumsub-webhook": applied, "kyc-hosted-webhook": applied,
		"create-user-token": "201", "link-identifier": "200", "user-info": "200", "set-federated-identity": "204",
		"delete-federated-identity": "204", "list-federated-identities": "200", "unmatched-route": "405",
		"cleanup-kyc-sessions": `"done":true`, "webhook-dispatcher": `"batchItemFailures":[]`, "webhook-retry": `"batchItemFailures":[]`,
		"list-webhook-events": "200", "redeliver-webhook-event": "202", "send-test-webhook": "202",
		"sandbox-kyc-outcome": "404", "sandbox-simulation": "404", "sandbox-kyc-page": "404", "sandbox-kyc-decision": "404",
		"sandbox-wipe-data": "202",
		"list-api-keys":     "200", "create-api-key": "201", "roll-api-key": "404", "revoke-api-key": "404", "jwks": "200", "oauth2-token": "200",
		// The development partner's first endpoint is we_default; we_0000000000000000 is none of its.
		"get-limits": "200", "list-webhook-endpoints": "200", "create-webhook-endpoint": "201", "get-webhook-endpoint": "200", "update-webhook-endpoint": "200",
		"delete-webhook-endpoint": "404", "rotate-webhook-endpoint-secret": "404",
	}
	mk, err := os.ReadFile(filepath.Join(testkit.Root(), "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(mk), "\n") {
		_, fn, ok := strings.Cut(line, "$(call build_fn,")
		if !ok {
			continue
		}
		fn = strings.TrimSuffix(strings.TrimSpace(fn), ")")
		n++
		t.Run(fn, func(t *testing.T) {
			event := fn
			if fn == "cleanup-kyc-sessions" {
				event = "cleanup-schedule"
			}
			file := filepath.Join(testkit.Root(), "events", event+".json")
			d, err := devdata.Build(context.Background(), app.Config{Now: clockFor(fn, file)}, devdata.Local{Memory: true, WebhookURL: devWebhookURL})
			if err != nil {
				t.Fatal(err)
			}
			if fn != "create-user" {
				if err := devdata.SeedUser(context.Background(), d); err != nil {
					t.Fatal(err)
				}
			}
			h, ok := handler(d, fn)
			if !ok {
				t.Fatal("no handler")
			}
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			out, err := h.Invoke(context.Background(), raw)
			if err != nil {
				t.Fatal(err)
			}
			var resp struct {
				StatusCode int `json:"statusCode"`
			}
			_ = json.Unmarshal(out, &resp)
			got := strings.ReplaceAll(string(out), " ", "")
			if w := want[fn]; !(strings.HasPrefix(w, `"`) && strings.Contains(got, w)) && w != itoa(resp.StatusCode) {
				t.Fatalf("answered %s, want %s", out, w)
			}
		})
	}
	if n != len(want) {
		t.Errorf("%d functions in the Makefile, %d expected answers", n, len(want))
	}
}

// applied is a provider callback's answer when its result changed the session.
const applied = `"body":"{\"success\":true,\"data\":{\"outcome\":\"applied\"}}"`

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
