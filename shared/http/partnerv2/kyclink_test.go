package partnerv2_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
	"github.com/partner-identity/api/shared/testkit/moto"
)

func linkPath(userID string) string { return usersPath + "/" + userID + "/kyc/verification-link" }

func createTyped(t *testing.T, e *fixture.Env, key, ext, typ string) string {
	t.Helper()
	r := e.Client.Do(http.MethodPost, usersPath, headers(key), `{"externalUserId":"`+ext+`","type":"`+typ+`"}`)
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	return r.JSON()["data"].(map[string]any)["userId"].(string)
}

func TestVerificationLinkErrors(t *testing.T) {
	e := fixture.NewEnv(t, fixture.Options{})
	person := createTyped(t, e, keyAcme, "ext-kyc-person", "INDIVIDUAL")
	business := createTyped(t, e, keyAcme, "ext-kyc-business", "BUSINESS")
	betas := createTyped(t, e, keyBeta, "ext-kyc-beta", "INDIVIDUAL")
	ok := `{"country":"MX","partnerRedirectUri":"myapp://kyc/done"}`
	const input = "INVALID_USER_INPUT_ERROR"
	cases := []struct {
		name, key, user, body string
		status                int
		code, message         string
		field                 string
	}{
		{"key missing", "", person, ok, 401, "UNAUTHORIZED", "API Key is missing", ""},
		{"key format", "bad key", person, ok, 401, "UNAUTHORIZED", "Invalid API Key format", ""},
		{"key unknown", keyUnknown, person, ok, 401, "UNAUTHORIZED", "Invalid API Key", ""},
		{"WIDGET partner", keyBeta, betas, ok, 403, "INVALID_PARTNER_FLOW", "The partner has an invalid flow.", ""},
		{"suspended partner", keyGamma, person, ok, 403, "INVALID_PARTNER_FLOW", "The partner has an invalid flow.", ""},
		{"country missing", keyAcme, person, `{"partnerRedirectUri":"myapp://x"}`, 400, input, "Invalid User Input", "country"},
		{"country not supported", keyAcme, person, `{"country":"BR"}`, 400, input, "Invalid User Input", "country"},
		{"country lower case", keyAcme, person, `{"country":"mx"}`, 400, input, "Invalid User Input", "country"},
		{"country not a string", keyAcme, person, `{"country":52}`, 400, input, "Invalid User Input", "country"},
		{"redirect javascript", keyAcme, person, `{"country":"MX","partnerRedirectUri":"javascript:alert(1)"}`, 400, input, "Invalid User Input", "partnerRedirectUri"},
		{"redirect plain http", keyAcme, person, `{"country":"MX","partnerRedirectUri":"http://evil.example/"}`, 400, input, "Invalid User Input", "partnerRedirectUri"},
		{"redirect too long", keyAcme, person, `{"country":"MX","partnerRedirectUri":"https://a.example/` + strings.Repeat("x", 2040) + `"}`, 400, input, "Invalid User Input", "partnerRedirectUri"},
		{"unknown field", keyAcme, person, `{"country":"MX","userId":"` + betas + `"}`, 400, input, "Invalid User Input", "userId"},
		{"body not JSON", keyAcme, person, `country=MX`, 400, input, "Invalid User Input", "body"},
		{"template not configured", keyAcme, person, `{"country":"US"}`, 400, "KYC_TEMPLATE_NOT_CONFIGURED_ERROR", "KYC template not configured for US", ""},
		{"user not found", keyAcme, "2f1c6b52-8d8e-4a55-9d53-3c8d2b0f4a11", ok, 404, "NOT_FOUND_ERROR", "Requested User was not found", ""},
		{"not a user id", keyAcme, "not-a-user", ok, 404, "NOT_FOUND_ERROR", "Requested User was not found", ""},
		{"another partner's user", keyAcme, betas, ok, 401, "UNAUTHORIZED", "User is not associated with the partner", ""},
		{"business user", keyAcme, business, ok, 400, "INVALID_VERIFICATION_TYPE_FOR_USER", "BUSINESS users can only request KYB verification", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Client.Do(http.MethodPost, linkPath(tc.user), headers(tc.key), tc.body)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			code, msg, details := errorOf(t, r)
			if code != tc.code || msg != tc.message {
				t.Fatalf("error %s %q, want %s %q", code, msg, tc.code, tc.message)
			}
			if tc.field != "" && (len(details) != 1 || details[0].(map[string]any)["field"] != tc.field) {
				t.Fatalf("details %v, want one for %s", details, tc.field)
			}
			if tc.field == "" && details != nil {
				t.Fatalf("unexpected details %v", details)
			}
			if n := e.Mem.SessionCount(); n != 0 {
				t.Fatalf("a refused request wrote %d sessions", n)
			}
			for _, id := range []string{person, business, betas} {
				if u := e.Client.Do(http.MethodGet, usersPath+"/"+id, headers(ownerKey(id, betas)), ""); u.JSON()["data"].(map[string]any)["kycStatus"] != "NOT_STARTED" {
					t.Fatalf("a refused request changed user %s", id)
				}
			}
		})
	}
}

func ownerKey(id, betaUser string) string {
	if id == betaUser {
		return keyBeta
	}
	return keyAcme
}

func TestVerificationLinkStoreFault(t *testing.T) {
	fs := &fixture.FailingStore{}
	c := fixture.Client(t, fs, fixture.Options{})
	r := c.Do(http.MethodPost, linkPath("2f1c6b52-8d8e-4a55-9d53-3c8d2b0f4a11"), headers(keyAcme), `{"country":"MX"}`)
	code, msg, _ := errorOf(t, r)
	if r.Status != 500 || code != "INTERNAL_SERVER_ERROR" || msg != "Failed to create verification link" || strings.Contains(string(r.Body), "reset") {
		t.Fatalf("%d %s %q %s", r.Status, code, msg, r.Body)
	}
}

var sessionIDRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestVerificationLinkOpensSessions(t *testing.T) {
	clk := testkit.NewClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	mem := memstore.New()
	c := fixture.Client(t, mem, fixture.Options{Now: clk.Now})
	r := c.Do(http.MethodPost, usersPath, headers(keyAcme), `{"externalUserId":"ext-kyc-ok","type":"INDIVIDUAL"}`)
	user := r.JSON()["data"].(map[string]any)["userId"].(string)

	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		r := c.Do(http.MethodPost, linkPath(user), headers(keyAcme), `{"country":"MX","partnerRedirectUri":"myapp://kyc/done"}`)
		if r.Status != 201 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		data := r.JSON()["data"].(map[string]any)
		sid := data["sessionId"].(string)
		if !sessionIDRE.MatchString(sid) || seen[sid] {
			t.Fatalf("session id %q (seen before: %v)", sid, seen[sid])
		}
		seen[sid] = true
		want := "https://verify.example.com/s/" + sid + "?redirect_uri=" + url.QueryEscape("myapp://kyc/done")
		if data["kycLink"] != want {
			t.Fatalf("kycLink %v, want %s", data["kycLink"], want)
		}
		if data["expiresAt"] != "2026-11-24T10:00:00.000Z" {
			t.Fatalf("expiresAt %v", data["expiresAt"])
		}
	}
	if mem.SessionCount() != 3 {
		t.Fatalf("sessions %d", mem.SessionCount())
	}
	status := func() any {
		return c.Do(http.MethodGet, usersPath+"/"+user, headers(keyAcme), "").JSON()["data"].(map[string]any)["kycStatus"]
	}
	if s := status(); s != "PENDING" {
		t.Fatalf("kycStatus %v, want PENDING", s)
	}
	clk.Add(24*time.Hour - time.Second)
	if s := status(); s != "PENDING" {
		t.Fatalf("kycStatus %v a second before expiry", s)
	}
	clk.Add(time.Second)
	if s := status(); s != "EXPIRED" {
		t.Fatalf("kycStatus %v at expiry (before any cleanup), want EXPIRED", s)
	}
	// Without a redirect, the link is the template's alone.
	r = c.Do(http.MethodPost, linkPath(user), headers(keyAcmeOld), `{"country":"MX"}`)
	data := r.JSON()["data"].(map[string]any)
	if data["kycLink"] != "https://verify.example.com/s/"+data["sessionId"].(string) {
		t.Fatalf("kycLink %v", data["kycLink"])
	}
	if s := status(); s != "PENDING" {
		t.Fatalf("a new session must make the user PENDING again, got %v", s)
	}
}

func TestDynamoDBCallsPerVerificationLink(t *testing.T) {
	srv := moto.Require(t)
	calls := moto.NewCalls()
	db, table := srv.NewTable(t, calls, nil)
	c := fixture.Client(t, dynamostore.New(db, table), fixture.Options{})
	person := c.Do(http.MethodPost, usersPath, headers(keyAcme), `{"externalUserId":"ext-kc-1","type":"INDIVIDUAL"}`).JSON()["data"].(map[string]any)["userId"].(string)
	business := c.Do(http.MethodPost, usersPath, headers(keyAcme), `{"externalUserId":"ext-kc-2","type":"BUSINESS"}`).JSON()["data"].(map[string]any)["userId"].(string)
	betas := c.Do(http.MethodPost, usersPath, headers(keyBeta), `{"externalUserId":"ext-kc-3","type":"INDIVIDUAL"}`).JSON()["data"].(map[string]any)["userId"].(string)
	for _, s := range []struct {
		name   string
		user   string
		status int
	}{
		{"opened", person, 201},
		{"not found", "2f1c6b52-8d8e-4a55-9d53-3c8d2b0f4a11", 404},
		{"another partner's", betas, 401},
		{"business", business, 400},
	} {
		calls.Reset()
		r := c.Do(http.MethodPost, linkPath(s.user), headers(keyAcme), `{"country":"MX"}`)
		if r.Status != s.status {
			t.Fatalf("%s: %d %s", s.name, r.Status, r.Body)
		}
		if calls.Get("TransactWriteItems") != 1 || calls.Total() != 1 {
			t.Fatalf("%s: %d calls (%d TransactWriteItems), want exactly 1", s.name, calls.Total(), calls.Get("TransactWriteItems"))
		}
	}
	counts := moto.CountItems(t, db, table)
	if counts["KYC_SESSION"] != 1 {
		t.Fatalf("sessions written: %v", counts)
	}
	r := c.Do(http.MethodGet, usersPath+"/"+person, headers(keyAcme), "")
	if r.JSON()["data"].(map[string]any)["kycStatus"] != "PENDING" {
		t.Fatalf("kycStatus after a link on DynamoDB: %s", r.Body)
	}
}

// TestPartnerInformationIsRequired: seed 001's "Partner information is
// required for this operation" is the answer to a request that carries a
// user's credential (a user token, in Authorization or User-Authorization)
// and no partner key: it names a user, not a partner. Nothing is written;
// with the partner's key beside it the request is the partner's.
func TestPartnerInformationIsRequired(t *testing.T) {
	e := fixture.NewEnv(t, fixture.Options{})
	person := createTyped(t, e, keyAcme, "ext-partner-info", "INDIVIDUAL")
	tok := e.Client.Do(http.MethodPost, usersPath+"/"+person+"/token", headers(keyAcme), "").JSON()["data"].(map[string]any)["token"].(string)
	before := e.Mem.Dump()
	for _, h := range []apitest.Headers{{"Authorization": "Bearer " + tok}, {"User-Authorization": "Bearer " + tok}} {
		for _, call := range []struct{ method, path, body string }{
			{http.MethodPost, linkPath(person), `{"country":"MX"}`},
			{http.MethodGet, usersPath + "/" + person, ""},
			{http.MethodPost, usersPath, `{"externalUserId":"ext-by-token","type":"INDIVIDUAL"}`},
		} {
			r := e.Client.Do(call.method, call.path, h, call.body)
			if code, msg, _ := errorOf(t, r); r.Status != 401 || code != "UNAUTHORIZED" || msg != "Partner information is required for this operation" {
				t.Fatalf("%s %s with %v: %d %s %q", call.method, call.path, h, r.Status, code, msg)
			}
		}
	}
	if after := e.Mem.Dump(); after != before {
		t.Fatalf("a refused request changed the store")
	}
	if r := e.Client.Do(http.MethodGet, usersPath+"/"+person, apitest.Headers{"partner-api-key": keyAcme, "User-Authorization": "Bearer " + tok}, ""); r.Status != 200 {
		t.Fatalf("the key with a user token beside it: %d %s", r.Status, r.Body)
	}
}
