package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/partner-identity/api/client"
	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/devdata"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/lambda/dispatch"
)

// TestSandboxInARealBrowser: a partner integrating in test mode, end to end
// in headless Chromium: with its test key it registers a test webhook
// endpoint, creates a user and opens a verification link, which is the
// sandbox's page; the browser picks "Reject with retry", then, the user
// having tried again, "Approve"; the partner's test endpoint receives both
// kyc.status_changed webhooks, signed with its test endpoint's secret
// (verified with the generated client), livemode false; the live side saw
// nothing. The decided page is saved as artifacts/sandbox-page.png.
func TestSandboxInARealBrowser(t *testing.T) {
	exe := chromium(t)
	liveHooks, testHooks := &webhookReceiver{seen: make(chan struct{}, 1)}, &webhookReceiver{seen: make(chan struct{}, 1)}
	live, test := httptest.NewServer(liveHooks), httptest.NewServer(testHooks)
	defer live.Close()
	defer test.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deps, err := devdata.Build(context.Background(), app.Config{WebhookAllowHTTP: true}, devdata.Local{Memory: true, WebhookURL: live.URL + "/hooks", ProviderURL: baseURL(ln.Addr())})
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: handler(deps, []string{"*"}, func() string { return baseURL(ln.Addr()) })}}
	srv.Start()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	go deliverOutbox(ctx, dispatch.New(deps), deps.Store.(*memstore.Store))

	// The partner's test endpoint, made with its test key: its secret.
	call := func(method, path, body string) map[string]any {
		req, _ := http.NewRequestWithContext(ctx, method, srv.URL+path, bytes.NewReader([]byte(body)))
		req.Header.Set("partner-api-key", devdata.TestAPIKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %v %v", method, path, resp.StatusCode, out, err)
		}
		return out["data"].(map[string]any)
	}
	secret := call(http.MethodPost, "/api/partner/v2/webhooks/endpoints", `{"url":"`+test.URL+`/test-hooks"}`)["secret"].(string)
	partner, err := client.NewClientWithResponses(srv.URL, client.WithRequestEditorFn(client.PartnerAPIKey(devdata.TestAPIKey)))
	if err != nil {
		t.Fatal(err)
	}
	created, err := partner.CreateUserWithResponse(ctx, client.CreateUserJSONRequestBody{ExternalUserId: "sandbox-browser-user", Type: client.CreateUserRequestTypeINDIVIDUAL})
	if err != nil || created.JSON201 == nil || created.JSON201.Data.Livemode {
		t.Fatalf("create: %v %s", err, created.Body)
	}
	userID := created.JSON201.Data.UserId
	link, err := partner.CreateVerificationLinkWithResponse(ctx, userID, client.CreateVerificationLinkJSONRequestBody{Country: client.MX})
	if err != nil || link.JSON201 == nil {
		t.Fatalf("link: %v %s", err, link.Body)
	}
	kycLink := link.JSON201.Data.KycLink
	if kycLink != srv.URL+"/sandbox/kyc/"+link.JSON201.Data.SessionId {
		t.Fatalf("kycLink %s is not the sandbox's page", kycLink)
	}

	browser, step := newBrowser(t, ctx, exe, 800)
	_, err = chromedp.Run(browser, chromedp.Navigate(kycLink))
	step("open the link", err)
	_, err = chromedp.Run(browser, chromedp.WaitVisible("#reject_retry"))
	step("the page", err)
	before, err := chromedp.Run(browser, chromedp.Text("#status"))
	step("status", err)
	_, err = chromedp.Run(browser, chromedp.Click("#reject_retry"))
	step("click Reject with retry", err)
	_, err = chromedp.Run(browser, chromedp.WaitVisible("#done"))
	step("the decided page", err)
	after, err := chromedp.Run(browser, chromedp.Text("#status"))
	step("status after", err)
	done, err := chromedp.Run(browser, chromedp.Text("#done"))
	step("done", err)
	if before != "PENDING" || after != "ACTION_REQUIRED" || !strings.Contains(done, "Reject with retry: applied") {
		t.Fatalf("page: status %q then %q, done %q", before, after, done)
	}
	_, err = chromedp.Run(browser, chromedp.Click("#approve"))
	step("click Approve", err)
	_, err = chromedp.Run(browser, chromedp.WaitVisible(`#status[data-status="APPROVED"]`))
	step("approved", err)
	shot, err := chromedp.Run(browser, chromedp.FullScreenshot(100))
	step("screenshot", err)
	shotPath := filepath.Join(artifactsDir(t), "sandbox-page.png")
	if err := os.WriteFile(shotPath, shot, 0o644); err != nil {
		t.Fatal(err)
	}

	// The test endpoint: both kyc.status_changed, signed with its secret, livemode false.
	var statuses []string
	for n := 1; len(statuses) < 2; n++ {
		statuses = statuses[:0]
		for _, d := range testHooks.waitFor(t, n) {
			ev, err := client.VerifyWebhook(secret, d.header, d.body, time.Now())
			if err != nil {
				t.Fatalf("a test-mode delivery does not verify with the test endpoint's secret: %v", err)
			}
			if ev.Livemode {
				t.Fatalf("a test-mode event with livemode true: %s", d.body)
			}
			if ev.Type == "kyc.status_changed" {
				raw, _ := json.Marshal(ev.Data)
				var data map[string]any
				_ = json.Unmarshal(raw, &data)
				statuses = append(statuses, data["status"].(string))
			}
		}
	}
	if strings.Join(statuses, ",") != "ACTION_REQUIRED,APPROVED" {
		t.Fatalf("test endpoint got %v", statuses)
	}
	liveHooks.mu.Lock()
	defer liveHooks.mu.Unlock()
	if len(liveHooks.got) != 0 {
		t.Fatalf("the live endpoint got %d test-mode deliveries", len(liveHooks.got))
	}
}
