package partnerv2_test

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/fixture"
	"github.com/partner-identity/api/shared/testkit/sumsubtest"
)

// sumsubEnv is a client whose Sumsub is the stand-in.
func sumsubEnv(t *testing.T, hc *http.Client) (*memstore.Store, *sumsubtest.Server, *fixture.Env) {
	stand := sumsubtest.New(t)
	mem := memstore.New()
	c := fixture.Client(t, mem, fixture.Options{KYCProviders: fixture.KYCProviders(t, stand.URL), HTTPClient: hc})
	return mem, stand, &fixture.Env{Mem: mem, Client: c}
}

// TestSumsubVerificationLink: a template with provider sumsub gets its
// link from Sumsub's signed "Generate external WebSDK link" call, made for
// the level, our userId, the session's lifetime and the partner's redirect.
func TestSumsubVerificationLink(t *testing.T) {
	mem, stand, e := sumsubEnv(t, nil)
	uid := createTyped(t, e, keyAcme, "ext-sumsub-link", "INDIVIDUAL")
	r := e.Client.Do(http.MethodPost, linkPath(uid), headers(keyAcme), `{"country":"DE","partnerRedirectUri":"https://app.acme.example/kyc/done"}`)
	if r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	data := r.JSON()["data"].(map[string]any)
	if data["kycLink"] != sumsubtest.LinkURL {
		t.Fatalf("kycLink %v", data["kycLink"])
	}
	want := map[string]any{"levelName": "basic-kyc-level", "userId": uid, "ttlInSecs": 86400.0,
		"redirect": map[string]any{"successUrl": "https://app.acme.example/kyc/done", "rejectUrl": "https://app.acme.example/kyc/done"}}
	if b := stand.Bodies(); len(b) != 1 || !reflect.DeepEqual(b[0], want) || stand.Refused() != 0 {
		t.Fatalf("Sumsub got %v (refused %d), want one %v", b, stand.Refused(), want)
	}
	sess, err := mem.GetKYCSession(t.Context(), data["sessionId"].(string))
	if err != nil || sess.Provider != domain.ProviderSumsub || sess.TemplateID != "basic-kyc-level" || sess.Status != domain.KYCPending {
		t.Fatalf("session %+v %v", sess, err)
	}
	// The hosted template is untouched: no call to Sumsub.
	if r := e.Client.Do(http.MethodPost, linkPath(uid), headers(keyAcme), `{"country":"MX"}`); r.Status != 201 || len(stand.Bodies()) != 1 {
		t.Fatalf("hosted link: %d, Sumsub calls %d", r.Status, len(stand.Bodies()))
	}
}

// TestSumsubFailureWritesNothing: a provider that fails, answers nonsense or
// does not answer in time is 500 "Failed to create verification link", and
// nothing is written.
func TestSumsubFailureWritesNothing(t *testing.T) {
	answers := map[string]func(w http.ResponseWriter){
		"error":     func(w http.ResponseWriter) { http.Error(w, `{"description":"Level not found"}`, http.StatusNotFound) },
		"nonsense":  func(w http.ResponseWriter) { _, _ = w.Write([]byte(`{"link":"https://in.sumsub.com/x"}`)) },
		"not https": func(w http.ResponseWriter) { _, _ = w.Write([]byte(`{"url":"javascript:alert(1)"}`)) },
		"hangs":     func(w http.ResponseWriter) { time.Sleep(2 * time.Second) },
	}
	for name, answer := range answers {
		t.Run(name, func(t *testing.T) {
			mem, stand, e := sumsubEnv(t, &http.Client{Timeout: 200 * time.Millisecond})
			stand.Answer(answer)
			uid := createTyped(t, e, keyAcme, "ext-sumsub-fail", "INDIVIDUAL")
			before := mem.Dump()
			r := e.Client.Do(http.MethodPost, linkPath(uid), headers(keyAcme), `{"country":"DE"}`)
			if code, msg, _ := errorOf(t, r); r.Status != 500 || code != "INTERNAL_SERVER_ERROR" || msg != "Failed to create verification link" {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			if mem.Dump() != before {
				t.Fatal("a failed provider call wrote")
			}
			if len(stand.Bodies()) != 1 {
				t.Fatalf("%d provider calls, want 1", len(stand.Bodies()))
			}
		})
	}
	t.Run("no sumsub account", func(t *testing.T) {
		mem := memstore.New()
		noSumsub := func(t *testing.T) *fixture.Env {
			c := fixture.Client(t, mem, fixture.Options{KYCProviders: fixture.KYCProvidersHostedOnly(t)})
			return &fixture.Env{Mem: mem, Client: c}
		}(t)
		uid := createTyped(t, noSumsub, keyAcme, "ext-sumsub-none", "INDIVIDUAL")
		before := mem.Dump()
		if r := noSumsub.Client.Do(http.MethodPost, linkPath(uid), headers(keyAcme), `{"country":"DE"}`); r.Status != 500 || mem.Dump() != before {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
}

// TestApprovedUserGetsNoNewLink: 409 KYC_ALREADY_APPROVED, nothing written.
func TestApprovedUserGetsNoNewLink(t *testing.T) {
	e := fixture.NewEnv(t, fixture.Options{})
	uid := createTyped(t, e, keyAcme, "ext-approved", "INDIVIDUAL")
	r := e.Client.Do(http.MethodPost, linkPath(uid), headers(keyAcme), `{"country":"MX"}`)
	sid := r.JSON()["data"].(map[string]any)["sessionId"].(string)
	for _, to := range []string{domain.KYCInReview, domain.KYCApproved} {
		sess, _ := e.Mem.GetKYCSession(t.Context(), sid)
		ev := domain.OutboxEvent{ID: "evt_" + to, Type: "kyc.status_changed", PartnerID: "p_acme", Payload: []byte(`{}`)}
		if err := e.Mem.ChangeKYCStatus(t.Context(), domain.KYCStatusChange{SessionID: sid, UserID: uid, From: sess.Status, FromAt: sess.StatusAt,
			To: to, At: time.Now(), Latest: true, Now: time.Now()}, &ev); err != nil {
			t.Fatal(err)
		}
		if to == domain.KYCInReview {
			// IN_REVIEW may open a new session (it becomes the latest).
			r := e.Client.Do(http.MethodPost, linkPath(uid), headers(keyAcme), `{"country":"MX"}`)
			if r.Status != 201 {
				t.Fatalf("in review: %d %s", r.Status, r.Body)
			}
			sid = r.JSON()["data"].(map[string]any)["sessionId"].(string)
		}
	}
	before := e.Mem.Dump()
	r = e.Client.Do(http.MethodPost, linkPath(uid), headers(keyAcme), `{"country":"MX"}`)
	if code, msg, _ := errorOf(t, r); r.Status != 409 || code != "KYC_ALREADY_APPROVED" || msg != "User KYC is already approved" {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if e.Mem.Dump() != before {
		t.Fatal("a refused link wrote")
	}
}

// TestGetUserKYC: the user's kycStatus and its newest 20 sessions, newest
// first, each as of now; the ownership rule and the key's refusals.
func TestGetUserKYC(t *testing.T) {
	clk := testkit.NewClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	e := fixture.NewEnv(t, fixture.Options{Now: clk.Now})
	uid := createTyped(t, e, keyAcme, "ext-kyc-read", "INDIVIDUAL")
	betas := createTyped(t, e, keyBeta, "ext-kyc-read-beta", "INDIVIDUAL")
	path := usersPath + "/" + uid + "/kyc"

	r := e.Client.Do(http.MethodGet, path, headers(keyAcme), "")
	if d := r.JSON()["data"].(map[string]any); r.Status != 200 || d["kycStatus"] != "NOT_STARTED" || len(d["sessions"].([]any)) != 0 {
		t.Fatalf("before any session: %d %s", r.Status, r.Body)
	}
	var ids []string
	for i := 0; i < 22; i++ {
		clk.Add(time.Minute)
		r := e.Client.Do(http.MethodPost, linkPath(uid), headers(keyAcme), `{"country":"MX"}`)
		ids = append([]string{r.JSON()["data"].(map[string]any)["sessionId"].(string)}, ids...)
		// More than a user holds open at once: each leaves the open set as a result would.
		if err := e.Mem.CloseOpenKYC(t.Context(), uid, ids[:1]); err != nil {
			t.Fatal(err)
		}
	}
	clk.Add(23*time.Hour + 50*time.Minute) // the oldest listed have expired, the newest not
	r = e.Client.Do(http.MethodGet, path, headers(keyBeta), "")
	if code, msg, _ := errorOf(t, r); r.Status != 401 || code != "UNAUTHORIZED" || msg != "User is not associated with the partner" {
		t.Fatalf("another partner: %d %s", r.Status, r.Body)
	}
	r = e.Client.Do(http.MethodGet, path, headers(keyAcme), "")
	d := r.JSON()["data"].(map[string]any)
	sessions := d["sessions"].([]any)
	if r.Status != 200 || d["userId"] != uid || d["kycStatus"] != "PENDING" || len(sessions) != 20 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	for i, s := range sessions {
		s := s.(map[string]any)
		wantStatus := "PENDING"
		if i >= 10 { // created 11+ minutes before the newest: past 24h
			wantStatus = "EXPIRED"
		}
		if s["sessionId"] != ids[i] || s["status"] != wantStatus || s["provider"] != "hosted" || s["country"] != "MX" {
			t.Fatalf("session %d: %v, want %s %s", i, s, ids[i], wantStatus)
		}
	}
	for name, c := range map[string]struct {
		key, user string
		status    int
	}{
		"no key": {"", uid, 401}, "unknown key": {keyUnknown, uid, 401}, "suspended": {keyGamma, uid, 403},
		"unknown user": {keyAcme, "5b1f0c6e-3d2a-4c8b-9e7f-1a2b3c4d5e6f", 404}, "malformed id": {keyAcme, "nope", 404},
		"beta's own": {keyBeta, betas, 200},
	} {
		if r := e.Client.Do(http.MethodGet, usersPath+"/"+c.user+"/kyc", headers(c.key), ""); r.Status != c.status {
			t.Fatalf("%s: %d, want %d: %s", name, r.Status, c.status, r.Body)
		}
	}
	failing := fixture.Client(t, &fixture.FailingStore{}, fixture.Options{})
	r = failing.Do(http.MethodGet, path, headers(keyAcme), "")
	if code, msg, _ := errorOf(t, r); r.Status != 500 || code != "INTERNAL_SERVER_ERROR" || msg != "Internal server error" {
		t.Fatalf("outage: %d %s", r.Status, r.Body)
	}
}

// TestSumsubIsCalledOnlyWhenAuthorised: the request is authorised before
// any provider call: another partner's user (401), a BUSINESS user (400),
// an approved user (409), a user that does not exist (404) never reach
// Sumsub, and nothing is written.
func TestSumsubIsCalledOnlyWhenAuthorised(t *testing.T) {
	mem, stand, e := sumsubEnv(t, nil)
	betas := createTyped(t, e, keyBeta, "ext-beta-sumsub", "INDIVIDUAL")
	business := createTyped(t, e, keyAcme, "ext-business-sumsub", "BUSINESS")
	approved := createTyped(t, e, keyAcme, "ext-approved-sumsub", "INDIVIDUAL")
	r := e.Client.Do(http.MethodPost, linkPath(approved), headers(keyAcme), `{"country":"MX"}`)
	sid := r.JSON()["data"].(map[string]any)["sessionId"].(string)
	if err := mem.ChangeKYCStatus(t.Context(), domain.KYCStatusChange{SessionID: sid, UserID: approved, From: domain.KYCPending,
		To: domain.KYCApproved, At: time.Now(), Latest: true, Now: time.Now()}, nil); err != nil {
		t.Fatal(err)
	}
	before := mem.Dump()
	for _, c := range []struct {
		user   string
		status int
		code   string
	}{
		{betas, 401, "UNAUTHORIZED"},
		{business, 400, "INVALID_VERIFICATION_TYPE_FOR_USER"},
		{approved, 409, "KYC_ALREADY_APPROVED"},
		{"5b1f0c6e-3d2a-4c8b-9e7f-1a2b3c4d5e6f", 404, "NOT_FOUND_ERROR"},
	} {
		r := e.Client.Do(http.MethodPost, linkPath(c.user), headers(keyAcme), `{"country":"DE","partnerRedirectUri":"https://app.acme.example/kyc/done"}`)
		if code, _, _ := errorOf(t, r); r.Status != c.status || code != c.code {
			t.Fatalf("%s: %d %s, want %d %s", c.user, r.Status, r.Body, c.status, c.code)
		}
	}
	if n := len(stand.Bodies()); n != 0 || stand.Refused() != 0 {
		t.Fatalf("Sumsub was called %d times for requests that were refused", n)
	}
	if mem.Dump() != before {
		t.Fatal("a refused request wrote")
	}
}

// TestTheEleventhOpenSessionIsRefused: 409 KYC_SESSION_LIMIT_REACHED in
// the Partner v2 dialect, nothing written; once a session passes its
// expiry the next link is opened.
func TestTheEleventhOpenSessionIsRefused(t *testing.T) {
	clk := testkit.NewClock(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	e := fixture.NewEnv(t, fixture.Options{Now: clk.Now})
	uid := createTyped(t, e, keyAcme, "ext-kyc-cap", "INDIVIDUAL")
	for i := range domain.MaxOpenKYCSessions {
		clk.Add(time.Minute)
		if r := e.Client.Do(http.MethodPost, linkPath(uid), headers(keyAcme), `{"country":"MX"}`); r.Status != 201 {
			t.Fatalf("link %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	before := e.Mem.Dump()
	r := e.Client.Do(http.MethodPost, linkPath(uid), headers(keyAcme), `{"country":"MX"}`)
	if code, msg, _ := errorOf(t, r); r.Status != 409 || code != "KYC_SESSION_LIMIT_REACHED" || msg != "The user holds 10 open verification sessions, the most it may" {
		t.Fatalf("the eleventh: %d %s", r.Status, r.Body)
	}
	if e.Mem.Dump() != before {
		t.Fatal("a refused link wrote")
	}
	clk.Add(24 * time.Hour) // every session past its expiry
	if r := e.Client.Do(http.MethodPost, linkPath(uid), headers(keyAcme), `{"country":"MX"}`); r.Status != 201 {
		t.Fatalf("after the expiries: %d %s", r.Status, r.Body)
	}
}
