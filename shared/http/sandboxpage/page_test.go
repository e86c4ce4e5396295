package sandboxpage_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/devdata"
	"github.com/partner-identity/api/shared/domain/outbox"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/lambda/cleanup"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
	"github.com/partner-identity/api/shared/testkit/queuetest"
)

func TestMain(m *testing.M) { fixture.Main(m) }

var html = apitest.Headers{"Accept": "text/html"}

func form(values url.Values) (apitest.Headers, string) {
	return apitest.Headers{"Content-Type": "application/x-www-form-urlencoded"}, values.Encode()
}

// open creates a user with key and opens a session: its id.
func open(t *testing.T, c *apitest.Client, key, ext string) string {
	t.Helper()
	h := apitest.Headers{"partner-api-key": key}
	r := c.Do(http.MethodPost, "/api/partner/v2/users", h, `{"externalUserId":"`+ext+`","type":"INDIVIDUAL"}`)
	if r.Status != 201 {
		t.Fatalf("user: %d %s", r.Status, r.Body)
	}
	id := r.JSON()["data"].(map[string]any)["userId"].(string)
	r = c.Do(http.MethodPost, "/api/partner/v2/users/"+id+"/kyc/verification-link", h, `{"country":"MX","partnerRedirectUri":"myapp://kyc/done"}`)
	if r.Status != 201 {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	return r.JSON()["data"].(map[string]any)["sessionId"].(string)
}

// TestThePageDecidesTestSessionsOnly: the page shows a test-mode session
// with its outcomes; its form, with the page's token, decides it through
// the provider's path (a kyc.status_changed of livemode false); without
// the token, or about a live session, nothing changes.
func TestThePageDecidesTestSessionsOnly(t *testing.T) {
	q := &queuetest.Queue{}
	e := fixture.NewEnv(t, fixture.Options{WebhookRetries: q})
	if r := e.Client.Do(http.MethodPost, "/api/partner/v2/webhooks/endpoints", apitest.Headers{"partner-api-key": fixture.KeyAcmeTest},
		`{"url":"https://hooks.acme.example/test-mode"}`); r.Status != 201 {
		t.Fatalf("test endpoint: %d %s", r.Status, r.Body)
	}
	sess := open(t, e.Client, fixture.KeyAcmeTest, "page-test")
	live := open(t, e.Client, fixture.KeyAcme, "page-live")
	page := "/sandbox/kyc/" + sess

	r := e.Client.Do(http.MethodGet, page, html, "")
	body := string(r.Body)
	if r.Status != 200 || !strings.Contains(body, `data-status="PENDING"`) || !strings.Contains(body, `value="reject_retry"`) ||
		!strings.Contains(body, `href="myapp://kyc/done"`) || r.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("page: %d %s", r.Status, body)
	}
	events := len(e.Mem.Outbox())
	for _, c := range []struct {
		name, path string
		values     url.Values
		status     int
	}{
		{"no token", page, url.Values{"outcome": {"approve"}}, 403},
		{"another session's token", page, url.Values{"outcome": {"approve"}, "token": {fixture.SandboxFormToken(live)}}, 403},
		{"a live session, its own token", "/sandbox/kyc/" + live, url.Values{"outcome": {"approve"}, "token": {fixture.SandboxFormToken(live)}}, 403},
		{"an unknown outcome", page, url.Values{"outcome": {"maybe"}, "token": {fixture.SandboxFormToken(sess)}}, 400},
		{"neither", page, url.Values{"token": {fixture.SandboxFormToken(sess)}}, 400},
		{"no session", "/sandbox/kyc/7e57" + strings.Repeat("a", 28), url.Values{"outcome": {"approve"}}, 404},
		{"no test mark, never read", "/sandbox/kyc/" + strings.Repeat("a", 32), url.Values{"outcome": {"approve"}}, 403},
	} {
		h, b := form(c.values)
		if r := e.Client.Do(http.MethodPost, c.path, h, b); r.Status != c.status {
			t.Fatalf("%s: %d %s", c.name, r.Status, r.Body)
		}
	}
	if r := e.Client.Do(http.MethodGet, "/sandbox/kyc/"+live, html, ""); r.Status != 403 || strings.Contains(string(r.Body), live) {
		t.Fatalf("a live session's page: %d %s", r.Status, r.Body)
	}
	if n := len(e.Mem.Outbox()); n != events {
		t.Fatalf("refused forms wrote %d events", n-events)
	}

	h, b := form(url.Values{"outcome": {"reject_retry"}, "token": {fixture.SandboxFormToken(sess)}})
	r = e.Client.Do(http.MethodPost, page, h, b)
	if r.Status != 303 || !strings.HasPrefix(r.Header.Get("Location"), page+"?done=") {
		t.Fatalf("decide: %d %v %s", r.Status, r.Header, r.Body)
	}
	if r := e.Client.Do(http.MethodGet, r.Header.Get("Location"), html, ""); !strings.Contains(string(r.Body), `data-status="ACTION_REQUIRED"`) ||
		!strings.Contains(string(r.Body), "Reject with retry: applied") {
		t.Fatalf("page after: %s", r.Body)
	}
	evs := e.Mem.Outbox()
	last := evs[len(evs)-1]
	// A duplicate from the page: the newest event of the user, queued again.
	h, b = form(url.Values{"scenario": {"duplicate_delivery"}, "token": {fixture.SandboxFormToken(sess)}})
	if r := e.Client.Do(http.MethodPost, page, h, b); r.Status != 303 || !strings.Contains(r.Header.Get("Location"), url.QueryEscape("duplicate_delivery: "+last.ID)) {
		t.Fatalf("duplicate: %d %v", r.Status, r.Header)
	}
	if rs := q.Retries(); len(rs) != 1 || rs[0].EventID != last.ID {
		t.Fatalf("queued %+v, want %s", rs, last.ID)
	}
	if last.Type != outbox.KYCStatusChanged || last.PartnerID != "p_acme.test" || !strings.Contains(string(last.Payload), `"livemode":false`) ||
		!strings.Contains(string(last.Payload), `"status":"ACTION_REQUIRED"`) {
		t.Fatalf("event %s %s %s", last.Type, last.PartnerID, last.Payload)
	}
}

// TestSandboxOff: a deployment with the sandbox off (Sandbox=disabled)
// refuses every test key as an invalid key and shows no page; live keys
// work as ever.
func TestSandboxOff(t *testing.T) {
	d, err := devdata.Build(context.Background(), app.Config{}, devdata.Local{Memory: true, NoSandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	c := apitest.New(t, devdata.Mux(d, nil))
	if r := c.Do(http.MethodGet, "/api/partner/v2/limits", apitest.Headers{"partner-api-key": devdata.TestAPIKey}, ""); r.Status != 401 ||
		!strings.Contains(string(r.Body), "Invalid API Key") {
		t.Fatalf("a test key with the sandbox off: %d %s", r.Status, r.Body)
	}
	if r := c.Do(http.MethodGet, "/api/partner/v2/limits", apitest.Headers{"partner-api-key": devdata.APIKey}, ""); r.Status != 200 {
		t.Fatalf("a live key with the sandbox off: %d %s", r.Status, r.Body)
	}
	if r := c.Do(http.MethodGet, "/sandbox/kyc/7e57"+strings.Repeat("a", 28), html, ""); r.Status != 404 {
		t.Fatalf("the page with the sandbox off: %d %s", r.Status, r.Body)
	}
	// On (the default), the same test key works.
	on, err := devdata.Build(context.Background(), app.Config{}, devdata.Local{Memory: true})
	if err != nil {
		t.Fatal(err)
	}
	if r := apitest.New(t, devdata.Mux(on, nil)).Do(http.MethodGet, "/api/partner/v2/limits", apitest.Headers{"partner-api-key": devdata.TestAPIKey}, ""); r.Status != 200 {
		t.Fatalf("a test key with the sandbox on: %d %s", r.Status, r.Body)
	}
}

// TestADelayedOutcome: an outcome asked with a delay (202, scheduled, the
// session still pending) is decided by the cleanup's first run at or after
// it, through the same callback (its kyc.status_changed), once; a delay
// out of bounds is refused and schedules nothing.
func TestADelayedOutcome(t *testing.T) {
	clk := testkit.NewClock(time.Now())
	d, err := devdata.Build(context.Background(), app.Config{Now: clk.Now}, devdata.Local{Memory: true})
	if err != nil {
		t.Fatal(err)
	}
	c := apitest.New(t, devdata.Mux(d, nil))
	sess := open(t, c, devdata.TestAPIKey, "delayed")
	path := "/api/partner/v2/sandbox/kyc-sessions/" + sess + "/outcome"
	key := apitest.Headers{"partner-api-key": devdata.TestAPIKey}
	for _, bad := range []string{`{"outcome":"approve","delaySeconds":0}`, `{"outcome":"approve","delaySeconds":3601}`, `{"outcome":"approve","delaySeconds":"60"}`} {
		if r := c.Do(http.MethodPost, path, key, bad); r.Status != 400 {
			t.Fatalf("%s: %d %s", bad, r.Status, r.Body)
		}
	}
	r := c.Do(http.MethodPost, path, key, `{"outcome":"approve","delaySeconds":60}`)
	data, _ := r.JSON()["data"].(map[string]any)
	if r.Status != 202 || data["result"] != "scheduled" || data["status"] != "PENDING" || data["dueAt"] == nil {
		t.Fatalf("delayed: %d %s", r.Status, r.Body)
	}
	status := func() string {
		r := c.Do(http.MethodGet, "/sandbox/kyc/"+sess, html, "")
		for _, s := range []string{"PENDING", "APPROVED"} {
			if strings.Contains(string(r.Body), `data-status="`+s+`"`) {
				return s
			}
		}
		return string(r.Body)
	}
	mem := d.Store.(*memstore.Store)
	events := len(mem.Outbox())
	if res, err := cleanup.New(d).Run(context.Background()); err != nil || res.Decided != 0 || status() != "PENDING" {
		t.Fatalf("a run before it is due: %+v %v %s", res, err, status())
	}
	clk.Add(61 * time.Second)
	if res, err := cleanup.New(d).Run(context.Background()); err != nil || res.Decided != 1 || status() != "APPROVED" {
		t.Fatalf("the run after it is due: %+v %v %s", res, err, status())
	}
	evs := mem.Outbox()[events:]
	if len(evs) != 1 || evs[0].Type != outbox.KYCStatusChanged || !strings.Contains(string(evs[0].Payload), `"livemode":false`) {
		t.Fatalf("events written: %+v", evs)
	}
	if res, err := cleanup.New(d).Run(context.Background()); err != nil || res.Decided != 0 {
		t.Fatalf("decided twice: %+v %v", res, err)
	}
}
