package systemtest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
	"github.com/partner-identity/api/shared/testkit/moto"
)

// TestLimits: on every endpoint that reads a body, a body over 64 KiB, a
// nesting bomb, a wrong content type, a duplicated key, control characters
// and invalid UTF-8 in strings each get the surface's documented 400, and
// nothing is written (DynamoDB on moto, the whole table compared).
func TestLimits(t *testing.T) {
	w := newWorld(t, fixture.RegistryJSON)
	c := w.container(t, nil)
	var s state
	createUserFor(t, c.api, &s)

	type endpoint struct {
		name, method, path string
		headers            apitest.Headers
		valid              string // a valid body, that the bad ones are made from
		field, value       string // its first member, a string
		// code is the documented code a bad body gets; codeOf, where the
		// surface has a code per problem (User v2), the code of each.
		code   string
		codeOf map[string]string
	}
	endpoints := []endpoint{
		{"create-user", http.MethodPost, usersPath, acme,
			`{"externalUserId":"limits-1","type":"INDIVIDUAL","method":"EMAIL","identifier":"l@example.com","alias":"Al"}`, "externalUserId", "limits-1", "INVALID_USER_INPUT_ERROR", nil},
		{"create-verification-link", http.MethodPost, usersPath + "/" + s.userID + "/kyc/verification-link", acme,
			`{"country":"MX","partnerRedirectUri":"https://acme.example/done"}`, "country", "MX", "INVALID_USER_INPUT_ERROR", nil},
		{"link-identifier", http.MethodPost, "/api/v2/user/link-identifier", apitest.Headers{"User-Authorization": "Bearer " + s.token},
			`{"identifier":"` + s.identifier + `"}`, "identifier", s.identifier, "ER053",
			map[string]string{"a body over 64 KiB": "ER102", "a duplicated key": "ER707", "invalid UTF-8 in a string": "ER707",
				"an unpaired surrogate escape": "ER707"}},
	}
	bomb := strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000)
	for _, ep := range endpoints {
		firstKey, firstValue := ep.field, ep.value
		bad := []struct {
			name, contentType, body string
			code                    string
		}{
			{"a body over 64 KiB", "application/json", ep.valid[:len(ep.valid)-1] + `,"pad":"` + strings.Repeat("x", 64<<10) + `"}`, ep.code},
			{"a nesting bomb", "application/json", `{"` + firstKey + `":` + bomb + `}`, ep.code},
			{"nesting of 33 levels", "application/json", strings.Repeat("[", 33) + strings.Repeat("]", 33), ep.code},
			{"a wrong content type", "text/plain", ep.valid, ep.code},
			{"form data", "application/x-www-form-urlencoded", ep.valid, ep.code},
			{"a duplicated key", "application/json", ep.valid[:len(ep.valid)-1] + `,"` + firstKey + `":"` + firstValue + `"}`, ep.code},
			{"a control character in a string", "application/json", strings.Replace(ep.valid, firstValue, firstValue[:2]+`\u0001`+firstValue[2:], 1), ""},
			{"a raw control character in a string", "application/json", strings.Replace(ep.valid, firstValue, firstValue[:2]+"\x01"+firstValue[2:], 1), ep.code},
			{"invalid UTF-8 in a string", "application/json", strings.Replace(ep.valid, firstValue, firstValue[:2]+"\xff\xfe"+firstValue[2:], 1), ep.code},
			{"a NUL in a string", "application/json", strings.Replace(ep.valid, firstValue, firstValue[:2]+`\u0000`+firstValue[2:], 1), ""},
			{"an unpaired surrogate escape", "application/json", strings.Replace(ep.valid, firstValue, firstValue[:2]+`\ud800`+firstValue[2:], 1), ep.code},
		}
		for i := range bad {
			if c, ok := ep.codeOf[bad[i].name]; ok {
				bad[i].code = c
			}
		}
		for _, b := range bad {
			t.Run(ep.name+"/"+b.name, func(t *testing.T) {
				before := moto.Snapshot(t, w.db, w.table)
				h := apitest.Headers{"Content-Type": b.contentType}
				for k, v := range ep.headers {
					h[k] = v
				}
				r := c.api.Do(ep.method, ep.path, h, b.body)
				if r.Status != 400 {
					t.Fatalf("%d %s, want 400", r.Status, r.Body)
				}
				code := errorCode(r)
				if b.code != "" && code != b.code || b.code == "" && code == "" {
					t.Fatalf("code %q in %s, want %q", code, r.Body, b.code)
				}
				if d := diff(before, moto.Snapshot(t, w.db, w.table)); d != "" {
					t.Fatalf("a refused body changed the table:\n%s", d)
				}
			})
		}
		// The valid body is accepted: the refusals above are the limits'.
		if r := c.api.Do(ep.method, ep.path, ep.headers, ep.valid); r.Status >= 300 {
			t.Fatalf("%s valid body: %d %s", ep.name, r.Status, r.Body)
		}
	}
}

// errorCode reads the Partner v2, User v2 or JSON:API error code of a
// response.
func errorCode(r *apitest.Response) string {
	var body struct {
		Error  struct{ Code string }
		Errors json.RawMessage
	}
	_ = json.Unmarshal(r.Body, &body)
	if body.Error.Code != "" {
		return body.Error.Code
	}
	var byCode map[string]json.RawMessage
	if json.Unmarshal(body.Errors, &byCode) == nil {
		for code := range byCode {
			return code
		}
	}
	var list []struct{ Code string } // JSON:API's errors array
	if json.Unmarshal(body.Errors, &list) == nil && len(list) > 0 {
		return list[0].Code
	}
	return ""
}
