package partnerv2_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/partner-identity/api/shared/testkit/fixture"
)

func createUser(t *testing.T, e *fixture.Env, key, ext string) string {
	t.Helper()
	r := e.Client.Do(http.MethodPost, usersPath, headers(key), `{"externalUserId":"`+ext+`","type":"INDIVIDUAL","method":"EMAIL","identifier":"reader@example.com"}`)
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	return r.JSON()["data"].(map[string]any)["userId"].(string)
}

func TestGetUser(t *testing.T) {
	e := fixture.NewEnv(t, fixture.Options{})
	id := createUser(t, e, keyAcme, "ext-get-1")
	cases := []struct {
		name, key, path string
		status          int
		code, message   string
	}{
		{"own user", keyAcme, "/" + id, 200, "", ""},
		{"own user with the rotating key", keyAcmeOld, "/" + id, 200, "", ""},
		{"another partner's user", keyBeta, "/" + id, 401, "UNAUTHORIZED", "User is not associated with the partner"},
		{"unknown user", keyAcme, "/2f1c6b52-8d8e-4a55-9d53-3c8d2b0f4a11", 404, "NOT_FOUND_ERROR", "Requested User was not found"},
		{"not a user id", keyAcme, "/USER%23x", 404, "NOT_FOUND_ERROR", "Requested User was not found"},
		{"upper-case id (Swift's uuidString): the same user", keyAcme, "/" + strings.ToUpper(id), 200, "", ""},
		{"mixed-case id", keyAcme, "/" + strings.ToUpper(id[:8]) + id[8:], 200, "", ""},
		{"upper-case id of another partner's user", keyBeta, "/" + strings.ToUpper(id), 401, "UNAUTHORIZED", "User is not associated with the partner"},
		{"key missing", "", "/" + id, 401, "UNAUTHORIZED", "API Key is missing"},
		{"key unknown", keyUnknown, "/" + id, 401, "UNAUTHORIZED", "Invalid API Key"},
		{"suspended partner", keyGamma, "/" + id, 403, "INVALID_PARTNER_FLOW", "The partner has an invalid flow."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Client.Do(http.MethodGet, usersPath+tc.path, headers(tc.key), "")
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if tc.code == "" {
				data := r.JSON()["data"].(map[string]any)
				if data["userId"] != id || data["kycStatus"] != "NOT_STARTED" || data["externalUserId"] != "ext-get-1" {
					t.Fatalf("data %v", data)
				}
				return
			}
			code, msg, _ := errorOf(t, r)
			if code != tc.code || msg != tc.message {
				t.Fatalf("error %s %q, want %s %q", code, msg, tc.code, tc.message)
			}
			if strings.Contains(string(r.Body), "reader@example.com") {
				t.Fatal("an error revealed the user's data")
			}
		})
	}
}

func TestFindUserByExternalID(t *testing.T) {
	e := fixture.NewEnv(t, fixture.Options{})
	ext := "ext find/1?&=é"
	id := createUser(t, e, keyAcme, ext)
	q := func(v string) string { return usersPath + "?externalUserId=" + url.QueryEscape(v) }
	cases := []struct {
		name, key, target string
		status            int
		code, message     string
		field             string
	}{
		{"found", keyAcme, q(ext), 200, "", "", ""},
		{"another partner's externalUserId is not found", keyBeta, q(ext), 404, "NOT_FOUND_ERROR", "Requested User was not found", ""},
		{"unknown externalUserId", keyAcme, q("nobody-here"), 404, "NOT_FOUND_ERROR", "Requested User was not found", ""},
		{"parameter missing", keyAcme, usersPath, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input", "externalUserId"},
		{"parameter empty", keyAcme, q(""), 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input", "externalUserId"},
		{"parameter twice", keyAcme, q(ext) + "&externalUserId=x", 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input", "externalUserId"},
		{"parameter too long", keyAcme, q(strings.Repeat("x", 256)), 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input", "externalUserId"},
		{"unknown parameter", keyAcme, q(ext) + "&userId=x", 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input", "userId"},
		{"a ; separator", keyAcme, usersPath + "?externalUserId=x;y", 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input", "query"},
		{"a bad %-escape", keyAcme, usersPath + "?externalUserId=%zz", 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input", "query"},
		{"a bad %-escape in another parameter", keyAcme, q(ext) + "&a%=1", 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input", "query"},
		{"externalUserId with a leading space", keyAcme, q(" " + ext), 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input", "externalUserId"},
		{"key missing", "", q(ext), 401, "UNAUTHORIZED", "API Key is missing", ""},
		{"key format", "abc", q(ext), 401, "UNAUTHORIZED", "Invalid API Key format", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Client.Do(http.MethodGet, tc.target, headers(tc.key), "")
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if tc.code == "" {
				if got := r.JSON()["data"].(map[string]any)["userId"]; got != id {
					t.Fatalf("userId %v, want %s", got, id)
				}
				return
			}
			code, msg, details := errorOf(t, r)
			if code != tc.code || msg != tc.message {
				t.Fatalf("error %s %q", code, msg)
			}
			if tc.field != "" && (len(details) != 1 || details[0].(map[string]any)["field"] != tc.field) {
				t.Fatalf("details %v, want one for %s", details, tc.field)
			}
		})
	}
}

func TestReadsFailWith500OnStoreFault(t *testing.T) {
	c := fixture.Client(t, &fixture.FailingStore{}, fixture.Options{})
	for _, target := range []string{usersPath + "/2f1c6b52-8d8e-4a55-9d53-3c8d2b0f4a11", usersPath + "?externalUserId=x1"} {
		r := c.Do(http.MethodGet, target, headers(keyAcme), "")
		code, msg, _ := errorOf(t, r)
		if r.Status != 500 || code != "INTERNAL_SERVER_ERROR" || msg != "Internal server error" {
			t.Fatalf("%s: %d %s %q", target, r.Status, code, msg)
		}
	}
}

func TestUnmatchedRoutesAnswerInTheDialect(t *testing.T) {
	e := fixture.NewEnv(t, fixture.Options{})
	r := e.Client.Do(http.MethodDelete, usersPath, headers(keyAcme), "")
	if code, _, _ := errorOf(t, r); r.Status != 405 || code != "METHOD_NOT_ALLOWED" || r.Header.Get("Allow") != "GET, POST" {
		t.Fatalf("405: %d %s allow=%q", r.Status, code, r.Header.Get("Allow"))
	}
	r = e.Client.Do(http.MethodGet, "/api/partner/v2/nothing", headers(keyAcme), "")
	if code, _, _ := errorOf(t, r); r.Status != 404 || code != "NOT_FOUND_ERROR" {
		t.Fatalf("404: %d %s", r.Status, code)
	}
}
