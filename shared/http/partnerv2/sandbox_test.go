package partnerv2_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/partner-identity/api/shared/domain/outbox"
	"github.com/partner-identity/api/shared/testkit/fixture"
	"github.com/partner-identity/api/shared/testkit/queuetest"
)

const keyAcmeTest = fixture.KeyAcmeTest

func outcomePath(sessionID string) string {
	return "/api/partner/v2/sandbox/kyc-sessions/" + sessionID + "/outcome"
}

// openSession creates a user with key and opens a KYC session for it: the
// user's id, the session's id and its link.
func openSession(t *testing.T, e *fixture.Env, key, ext string) (userID, sessionID, link string) {
	t.Helper()
	userID = createTyped(t, e, key, ext, "INDIVIDUAL")
	r := e.Client.Do(http.MethodPost, linkPath(userID), headers(key), `{"country":"MX"}`)
	if r.Status != 201 {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	d := data(r)
	return userID, d["sessionId"].(string), d["kycLink"].(string)
}

// statusEvents are the kyc.status_changed events written, oldest first:
// their status and livemode.
func statusEvents(t *testing.T, e *fixture.Env, userID string) (statuses []string, livemodes []bool) {
	t.Helper()
	for _, ev := range e.Mem.Outbox() {
		if ev.Type != outbox.KYCStatusChanged || ev.UserID != userID {
			continue
		}
		var p struct {
			Livemode bool `json:"livemode"`
			Data     struct {
				Status string `json:"status"`
			} `json:"data"`
		}
		if err := json.Unmarshal(ev.Payload, &p); err != nil {
			t.Fatal(err)
		}
		statuses, livemodes = append(statuses, p.Data.Status), append(livemodes, p.Livemode)
	}
	return statuses, livemodes
}

// TestSandboxOutcomes: a test-mode session's link is the sandbox's page; an
// outcome asked by API moves it through the provider's callback (its
// kyc.status_changed event, livemode false); a live key, a live session, an
// unknown outcome or session change nothing.
func TestSandboxOutcomes(t *testing.T) {
	e := fixture.NewEnv(t, fixture.Options{})
	user, sess, link := openSession(t, e, keyAcmeTest, "sbx-outcome")
	if link != fixture.SandboxURL+"/sandbox/kyc/"+sess {
		t.Fatalf("test-mode link %q", link)
	}
	liveUser, liveSess, liveLink := openSession(t, e, keyAcme, "sbx-live")
	if strings.Contains(liveLink, "/sandbox/") {
		t.Fatalf("live link %q", liveLink)
	}

	for _, c := range []struct {
		name, key, session, body string
		status                   int
		code                     string
	}{
		{"live key", keyAcme, sess, `{"outcome":"approve"}`, 403, "TEST_MODE_REQUIRED"},
		{"live session, test key", keyAcmeTest, liveSess, `{"outcome":"approve"}`, 403, "TEST_MODE_REQUIRED"},
		{"live session, live key", keyAcme, liveSess, `{"outcome":"approve"}`, 403, "TEST_MODE_REQUIRED"},
		{"no key", "", sess, `{"outcome":"approve"}`, 401, "UNAUTHORIZED"},
		{"unknown outcome", keyAcmeTest, sess, `{"outcome":"maybe"}`, 400, "INVALID_USER_INPUT_ERROR"},
		{"no outcome", keyAcmeTest, sess, `{}`, 400, "INVALID_USER_INPUT_ERROR"},
		{"unknown field", keyAcmeTest, sess, `{"outcome":"approve","delay":"x"}`, 400, "INVALID_USER_INPUT_ERROR"},
		{"unknown session", keyAcmeTest, "7e57" + strings.Repeat("0", 28), `{"outcome":"approve"}`, 404, "NOT_FOUND_ERROR"},
		{"no test mark, never read", keyAcmeTest, strings.Repeat("0", 32), `{"outcome":"approve"}`, 403, "TEST_MODE_REQUIRED"},
		{"not a session id", keyAcmeTest, "abc", `{"outcome":"approve"}`, 404, "NOT_FOUND_ERROR"},
	} {
		r := e.Client.Do(http.MethodPost, outcomePath(c.session), headers(c.key), c.body)
		if code, _, _ := errorOf(t, r); r.Status != c.status || code != c.code {
			t.Fatalf("%s: %d %s", c.name, r.Status, r.Body)
		}
	}
	if st, _ := statusEvents(t, e, user); len(st) != 0 {
		t.Fatalf("refusals wrote events: %v", st)
	}
	if st, _ := statusEvents(t, e, liveUser); len(st) != 0 {
		t.Fatalf("the live session moved: %v", st)
	}

	// Reject with retry, then approve: each through the callback.
	for _, c := range []struct{ outcome, status string }{{"reject_retry", "ACTION_REQUIRED"}, {"approve", "APPROVED"}} {
		r := e.Client.Do(http.MethodPost, outcomePath(sess), headers(keyAcmeTest), `{"outcome":"`+c.outcome+`"}`)
		if r.Status != 200 || data(r)["status"] != c.status || data(r)["result"] != "applied" || data(r)["livemode"] != false {
			t.Fatalf("%s: %d %s", c.outcome, r.Status, r.Body)
		}
	}
	statuses, livemodes := statusEvents(t, e, user)
	if strings.Join(statuses, ",") != "ACTION_REQUIRED,APPROVED" || livemodes[0] || livemodes[1] {
		t.Fatalf("events %v %v", statuses, livemodes)
	}
	r := e.Client.Do(http.MethodGet, usersPath+"/"+user, headers(keyAcmeTest), "")
	if data(r)["kycStatus"] != "APPROVED" || data(r)["livemode"] != false {
		t.Fatalf("user after: %s", r.Body)
	}
	// An expiry is for a pending session only.
	r = e.Client.Do(http.MethodPost, outcomePath(sess), headers(keyAcmeTest), `{"outcome":"expire"}`)
	if code, _, _ := errorOf(t, r); r.Status != 409 || code != "SANDBOX_STATE_CONFLICT" {
		t.Fatalf("expire an approved session: %d %s", r.Status, r.Body)
	}

	// Expire: the session and its user read EXPIRED at once.
	user2, sess2, _ := openSession(t, e, keyAcmeTest, "sbx-expire")
	r = e.Client.Do(http.MethodPost, outcomePath(sess2), headers(keyAcmeTest), `{"outcome":"expire"}`)
	if r.Status != 200 || data(r)["status"] != "EXPIRED" {
		t.Fatalf("expire: %d %s", r.Status, r.Body)
	}
	if r := e.Client.Do(http.MethodGet, usersPath+"/"+user2, headers(keyAcmeTest), ""); data(r)["kycStatus"] != "EXPIRED" {
		t.Fatalf("user after the expiry: %s", r.Body)
	}
}

// TestSandboxSimulations: a late rejection of an approved session, an
// out-of-order pair (the older delivered again after the newer) and a
// duplicate delivery, each of test-mode objects only.
func TestSandboxSimulations(t *testing.T) {
	q := &queuetest.Queue{}
	e := fixture.NewEnv(t, fixture.Options{WebhookRetries: q})
	// Out of order needs a test endpoint to deliver to.
	user0, sess0, _ := openSession(t, e, keyAcmeTest, "sbx-sim-unhooked")
	if r := e.Client.Do(http.MethodPost, "/api/partner/v2/sandbox/simulations", headers(keyAcmeTest), `{"scenario":"out_of_order","sessionId":"`+sess0+`"}`); r.Status != 409 {
		t.Fatalf("out of order without an endpoint: %d %s", r.Status, r.Body)
	}
	if st, _ := statusEvents(t, e, user0); len(st) != 0 {
		t.Fatalf("refused out of order wrote %v", st)
	}
	if r := e.Client.Do(http.MethodPost, "/api/partner/v2/webhooks/endpoints", headers(keyAcmeTest), `{"url":"https://hooks.acme.example/test-mode"}`); r.Status != 201 {
		t.Fatalf("test endpoint: %d %s", r.Status, r.Body)
	}
	sim := func(key, body string) (int, map[string]any) {
		r := e.Client.Do(http.MethodPost, "/api/partner/v2/sandbox/simulations", headers(key), body)
		if r.Status >= 300 {
			code, _, _ := errorOf(t, r)
			return r.Status, map[string]any{"code": code}
		}
		return r.Status, data(r)
	}

	user, sess, _ := openSession(t, e, keyAcmeTest, "sbx-sim")
	// A late rejection needs an approved session.
	if st, d := sim(keyAcmeTest, `{"scenario":"late_rejection","sessionId":"`+sess+`"}`); st != 409 || d["code"] != "SANDBOX_STATE_CONFLICT" {
		t.Fatalf("late rejection of a pending session: %d %v", st, d)
	}
	// Out of order: IN_REVIEW then APPROVED, the older again after.
	st, d := sim(keyAcmeTest, `{"scenario":"out_of_order","sessionId":"`+sess+`"}`)
	ids, _ := d["eventIds"].([]any)
	if st != 202 || len(ids) != 2 {
		t.Fatalf("out of order: %d %v", st, d)
	}
	if statuses, _ := statusEvents(t, e, user); strings.Join(statuses, ",") != "IN_REVIEW,APPROVED" {
		t.Fatalf("out of order wrote %v", statuses)
	}
	if rs := q.Retries(); len(rs) != 1 || rs[0].EventID != ids[1] {
		t.Fatalf("redelivered %+v, want the older %v", rs, ids[1])
	}
	// Late rejection, now that it is approved.
	if st, d := sim(keyAcmeTest, `{"scenario":"late_rejection","sessionId":"`+sess+`"}`); st != 202 || len(d["eventIds"].([]any)) != 1 {
		t.Fatalf("late rejection: %d %v", st, d)
	}
	if statuses, _ := statusEvents(t, e, user); strings.Join(statuses, ",") != "IN_REVIEW,APPROVED,REJECTED" {
		t.Fatalf("after the late rejection %v", statuses)
	}
	// A duplicate of an event.
	if st, d := sim(keyAcmeTest, `{"scenario":"duplicate_delivery","eventId":"`+ids[0].(string)+`"}`); st != 202 || d["eventIds"].([]any)[0] != ids[0] {
		t.Fatalf("duplicate: %d %v", st, d)
	}

	// Live: refused, whatever the object.
	_, liveSess, _ := openSession(t, e, keyAcme, "sbx-sim-live")
	before := len(e.Mem.Outbox())
	for _, c := range []struct {
		key, body string
		status    int
		code      string
	}{
		{keyAcme, `{"scenario":"late_rejection","sessionId":"` + sess + `"}`, 403, "TEST_MODE_REQUIRED"},
		{keyAcmeTest, `{"scenario":"out_of_order","sessionId":"` + liveSess + `"}`, 403, "TEST_MODE_REQUIRED"},
		{keyAcmeTest, `{"scenario":"late_rejection","sessionId":"` + liveSess + `"}`, 403, "TEST_MODE_REQUIRED"},
		{keyAcmeTest, `{"scenario":"duplicate_delivery","eventId":"evt_00000000000000000000000000000000"}`, 404, "NOT_FOUND_ERROR"},
		{keyAcmeTest, `{"scenario":"everything"}`, 400, "INVALID_USER_INPUT_ERROR"},
		{keyAcmeTest, `{"scenario":"out_of_order"}`, 400, "INVALID_USER_INPUT_ERROR"},
		{keyAcmeTest, `{"scenario":"out_of_order","sessionId":"` + sess + `","eventId":"x"}`, 400, "INVALID_USER_INPUT_ERROR"},
	} {
		if st, d := sim(c.key, c.body); st != c.status || d["code"] != c.code {
			t.Fatalf("%s %s: %d %v", c.key, c.body, st, d)
		}
	}
	if after := len(e.Mem.Outbox()); after != before {
		t.Fatalf("refused simulations wrote %d events", after-before)
	}
	// A live event is not a test key's to duplicate.
	var liveEvent string
	for _, ev := range e.Mem.Outbox() {
		if ev.PartnerID == "p_acme" {
			liveEvent = ev.ID
		}
	}
	if st, d := sim(keyAcmeTest, `{"scenario":"duplicate_delivery","eventId":"`+liveEvent+`"}`); st != 404 {
		t.Fatalf("a live event duplicated by a test key: %d %v", st, d)
	}
}
