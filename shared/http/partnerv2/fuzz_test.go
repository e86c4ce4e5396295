package partnerv2_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
)

// The fuzz targets of the Partner v2 surface send their input through the
// whole handler (memory store) and hold every answer to: no panic, no 5xx,
// and a status and body that docs/openapi.yaml documents for the
// operation (the client checks the schema, whose error codes are an enum).
// The committed corpus (testdata/fuzz) runs in make test; make fuzz goes on.

// fuzzEnv is one store with one user of acme's, shared by a target's inputs.
func fuzzEnv(f *testing.F) (*fixture.Env, string) {
	e := fixture.NewEnv(f, fixture.Options{})
	r := e.Client.Do(http.MethodPost, usersPath, headers(keyAcme), `{"externalUserId":"fuzz-user","type":"INDIVIDUAL","method":"EMAIL","identifier":"fuzz@example.com"}`)
	if r.Status != 201 {
		f.Fatalf("setup: %d %s", r.Status, r.Body)
	}
	return e, r.JSON()["data"].(map[string]any)["userId"].(string)
}

func noServerError(t *testing.T, r *apitest.Response) {
	t.Helper()
	if r.Status >= 500 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
}

func FuzzCreateUserBody(f *testing.F) {
	for _, s := range []string{
		`{"externalUserId":"f-1","type":"INDIVIDUAL","method":"EMAIL","identifier":"a@b.co"}`,
		`{"externalUserId":"f-2","type":"BUSINESS","method":"PHONE_NUMBER","identifier":"+44 20 7946 0958","alias":"x"}`,
		`{"externalUserId":"fuzz-user","type":"INDIVIDUAL","method":"EMAIL","identifier":"fuzz@example.com"}`,
		`{"externalUserId":"fuzz-user","type":"BUSINESS"}`,
		`{"externalUserId":null,"type":1,"method":[],"identifier":{}}`, `{"a":1,"a":2}`, `[]`, `"x"`, ``, `{`,
		"{\"externalUserId\":\"\xff\"}", `{"externalUserId":"a\u0000b","type":"INDIVIDUAL"}`,
	} {
		f.Add(s, "application/json")
	}
	f.Add(`{"externalUserId":"f-3","type":"INDIVIDUAL"}`, "text/plain")
	e, _ := fuzzEnv(f)
	f.Fuzz(func(t *testing.T, body, contentType string) {
		r := e.Client.Fuzzing(t).Do(http.MethodPost, usersPath, apitest.Headers{"partner-api-key": keyAcme, "Content-Type": contentType}, body)
		noServerError(t, r)
	})
}

func FuzzVerificationLinkBody(f *testing.F) {
	for _, s := range []string{
		`{"country":"MX","partnerRedirectUri":"https://acme.example/done"}`, `{"country":"MX","partnerRedirectUri":"myapp://kyc/done"}`,
		`{"country":"US","partnerRedirectUri":"https://acme.example/done"}`, `{"country":"ZZ"}`,
		`{"country":"MX","partnerRedirectUri":"javascript:alert(1)"}`, `{"country":"MX","partnerRedirectUri":"http://[::1]:80/x"}`,
		`{"country":"MX","partnerRedirectUri":"https://user@host/"}`, `{"country":1}`, `{}`, `[]`,
	} {
		f.Add(s)
	}
	e, user := fuzzEnv(f)
	f.Fuzz(func(t *testing.T, body string) {
		r := e.Client.Fuzzing(t).Do(http.MethodPost, usersPath+"/"+user+"/kyc/verification-link", headers(keyAcme), body)
		noServerError(t, r)
	})
}

// FuzzAPIKey: the partner-api-key header, on a read and on a write.
func FuzzAPIKey(f *testing.F) {
	for _, k := range []string{keyAcme, keyAcmeOld, keyBeta, keyGamma, keyUnknown, "", "short", "x y z 0123456789012345678",
		"ÄÖÜ_key_000000000000000000", keyAcme + "\x00", string(make([]byte, 200))} {
		f.Add(k)
	}
	e, user := fuzzEnv(f)
	f.Fuzz(func(t *testing.T, key string) {
		c := e.Client.Fuzzing(t)
		h := apitest.Headers{"partner-api-key": key}
		if key == "" {
			h = apitest.Headers{}
		}
		for _, r := range []*apitest.Response{
			c.Do(http.MethodGet, usersPath+"/"+user, h, ""),
			c.Do(http.MethodPost, usersPath+"/"+user+"/token", h, ""),
		} {
			noServerError(t, r)
			if key != keyAcme && key != keyAcmeOld && r.Status < 400 {
				t.Fatalf("key %q got %d", key, r.Status)
			}
		}
	})
}

// FuzzUserLookups: the userId path segment and the externalUserId query.
func FuzzUserLookups(f *testing.F) {
	for _, s := range []string{"fuzz-user", "2f1c6b52-8d8e-4a55-9d53-3c8d2b0f4a11", "", "..", "%00", "a/b", "ÿ", string(make([]byte, 300))} {
		f.Add(s)
	}
	e, _ := fuzzEnv(f)
	f.Fuzz(func(t *testing.T, s string) {
		c := e.Client.Fuzzing(t)
		noServerError(t, c.Do(http.MethodGet, usersPath+"?externalUserId="+url.QueryEscape(s), headers(keyAcme), ""))
		if s != "" {
			noServerError(t, c.Do(http.MethodGet, usersPath+"/"+url.PathEscape(s), headers(keyAcme), ""))
		}
	})
}
