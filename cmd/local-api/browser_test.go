package main

import (
	"context"
	"encoding/json"
	"github.com/partner-identity/api/shared/devdata"
	"github.com/partner-identity/api/shared/lambda/dispatch"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/partner-identity/api/client"
	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/testkit"
)

// chromium is the browser the test drives: Debian's chromium package
// (.ci/run installs it). Without it the test is skipped, except in CI.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (apt-get install -y chromium); CI=true makes this a failure")
	}
	t.Skip("chromium is not installed: browser test skipped (apt-get install -y chromium); CI=true makes this a failure")
	return ""
}

// artifactsDir is where tests leave files for people to look at:
// ARTIFACTS_DIR, or artifacts/ at the repository's root.
func artifactsDir(t *testing.T) string {
	dir := os.Getenv("ARTIFACTS_DIR")
	if dir == "" {
		dir = filepath.Join(testkit.Root(), "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// newBrowser is headless Chromium (exe) for the test, its window 900
// pixels wide and height high, closed when the test ends, and step, which
// fails the test with a browser step's error.
func newBrowser(t *testing.T, ctx context.Context, exe string, height int) (context.Context, func(name string, err error)) {
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(900, height))
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	return browser, func(name string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("browser, %s: %v", name, err)
		}
	}
}

// TestKYCApprovedInARealBrowser: the whole KYC loop of make run, end to end
// in headless Chromium: a partner creates a user and opens a verification
// link; the browser opens the link (the stand-in provider's page) and
// clicks Approve, which posts a signed hosted callback to the API; the
// partner's webhook receives kyc.status_changed APPROVED (verified with the
// generated client), and GET /users/{userId} shows APPROVED. The page, once
// decided, is saved as artifacts/kyc-provider-approved.png.
func TestKYCApprovedInARealBrowser(t *testing.T) {
	exe := chromium(t)
	receiver := &webhookReceiver{seen: make(chan struct{}, 1)}
	hooks := httptest.NewServer(receiver)
	defer hooks.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deps, err := devdata.Build(context.Background(), app.Config{WebhookAllowHTTP: true}, devdata.Local{Memory: true, WebhookURL: hooks.URL + "/hooks", ProviderURL: baseURL(ln.Addr())})
	if err != nil {
		t.Fatal(err)
	}
	dispatcher := dispatch.New(deps)
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: handler(deps, []string{"*"}, func() string { return baseURL(ln.Addr()) })}}
	srv.Start()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	go deliverOutbox(ctx, dispatcher, deps.Store.(*memstore.Store))

	partner, err := client.NewClientWithResponses(srv.URL, client.WithRequestEditorFn(client.PartnerAPIKey(devdata.APIKey)))
	if err != nil {
		t.Fatal(err)
	}
	created, err := partner.CreateUserWithResponse(ctx, client.CreateUserJSONRequestBody{ExternalUserId: "browser-user", Type: client.CreateUserRequestTypeINDIVIDUAL})
	if err != nil || created.JSON201 == nil {
		t.Fatalf("create: %v %s", err, created.Body)
	}
	userID := created.JSON201.Data.UserId
	redirect := "myapp://kyc/done"
	link, err := partner.CreateVerificationLinkWithResponse(ctx, userID, client.CreateVerificationLinkJSONRequestBody{Country: client.MX, PartnerRedirectUri: &redirect})
	if err != nil || link.JSON201 == nil {
		t.Fatalf("link: %v %s", err, link.Body)
	}
	kycLink := link.JSON201.Data.KycLink
	if !strings.HasPrefix(kycLink, srv.URL+"/kyc/") {
		t.Fatalf("kycLink %s is not the local stand-in's", kycLink)
	}

	browser, step := newBrowser(t, ctx, exe, 700)
	_, err = chromedp.Run(browser, chromedp.Navigate(kycLink))
	step("open the link", err)
	_, err = chromedp.Run(browser, chromedp.WaitVisible("#approve"))
	step("the page", err)
	before, err := chromedp.Run(browser, chromedp.Text("#status"))
	step("status", err)
	_, err = chromedp.Run(browser, chromedp.Click("#approve"))
	step("click Approve", err)
	_, err = chromedp.Run(browser, chromedp.WaitVisible("#callback"))
	step("the decided page", err)
	after, err := chromedp.Run(browser, chromedp.Text("#status"))
	step("status after", err)
	callback, err := chromedp.Run(browser, chromedp.Text("#callback"))
	step("callback", err)
	shot, err := chromedp.Run(browser, chromedp.FullScreenshot(100))
	step("screenshot", err)
	shotPath := filepath.Join(artifactsDir(t), "kyc-provider-approved.png")
	if err := os.WriteFile(shotPath, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", shotPath, len(shot))
	if before != "PENDING" || after != "APPROVED" || !strings.Contains(callback, `"outcome":"applied"`) {
		t.Fatalf("page: status %q then %q, callback %q", before, after, callback)
	}

	// The partner's webhook: kyc.status_changed APPROVED, signed.
	var changed *client.WebhookEvent
	for n := 1; changed == nil; n++ {
		for _, d := range receiver.waitFor(t, n) {
			ev, err := client.VerifyWebhook(devdata.WebhookSecret, d.header, d.body, time.Now())
			if err != nil {
				t.Fatalf("a delivery does not verify: %v", err)
			}
			if ev.Type == "kyc.status_changed" {
				changed = ev
			}
		}
	}
	raw, _ := json.Marshal(changed.Data)
	var data map[string]any
	_ = json.Unmarshal(raw, &data)
	if data["status"] != "APPROVED" || data["previousStatus"] != "PENDING" || data["userId"] != userID.String() ||
		data["sessionId"] != link.JSON201.Data.SessionId || data["externalUserId"] != "browser-user" {
		t.Fatalf("kyc.status_changed %s", raw)
	}
	got, err := partner.GetUserWithResponse(ctx, userID)
	if err != nil || got.JSON200 == nil || got.JSON200.Data.KycStatus != client.KycStatusAPPROVED {
		t.Fatalf("GET user: %v %s", err, got.Body)
	}
}
