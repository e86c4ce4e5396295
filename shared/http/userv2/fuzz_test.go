package userv2_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
)

// documentedER are the ER codes of docs/openapi.yaml below 500.
var documentedER = []string{"ER053", "ER102", "ER707", "ER700", "ER701", "ER702", "ER704", "ER705", "ER803", "ER805", "ER806", "ER703", "ER709", "ER706"}

// assertDocumented: no 5xx, and an error is one documented ER code.
func assertDocumented(t *testing.T, r *apitest.Response) {
	t.Helper()
	if r.Status >= 500 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if r.Status < 400 {
		return
	}
	var body struct{ Errors map[string]json.RawMessage }
	if err := json.Unmarshal(r.Body, &body); err != nil || len(body.Errors) != 1 {
		t.Fatalf("not one ER error: %s", r.Body)
	}
	for code := range body.Errors {
		if !slices.Contains(documentedER, code) {
			t.Fatalf("undocumented code %s: %s", code, r.Body)
		}
	}
}

// fuzzUser is a user of acme's with a token, in one store for a target.
func fuzzUser(f *testing.F) (*fixture.Env, string) {
	e := fixture.NewEnv(f, fixture.Options{})
	id := createUser(f, e.Client, fixture.KeyAcme, "fuzz-user")
	return e, mint(f, e.Client, fixture.KeyAcme, id)
}

func FuzzLinkIdentifierBody(f *testing.F) {
	for _, s := range []string{linkBody(identA), linkBody(identB), `{"identifier":"short"}`, `{"identifier":"` + identA + `!"}`,
		`{"identifier":123}`, `{"identifier":null}`, `{}`, `[]`, `{"identifier":"` + identA + `","userId":"x"}`, "{\"identifier\":\"\xff\"}", ``} {
		f.Add(s)
	}
	e, tok := fuzzUser(f)
	f.Fuzz(func(t *testing.T, body string) {
		assertDocumented(t, e.Client.Fuzzing(t).Do(http.MethodPost, linkPath, bearer(tok), body))
	})
}

// FuzzUserCredentials: the User-Authorization header (a bearer token) and
// the partner-api-key + User-Identifier pair, alone and together.
func FuzzUserCredentials(f *testing.F) {
	e, tok := fuzzUser(f)
	for _, s := range []struct{ auth, key, ident string }{
		{"Bearer " + tok, "", ""}, {"", fixture.KeyAcme, identA}, {"Bearer " + tok, fixture.KeyAcme, identA},
		{"Bearer", "", ""}, {"bearer " + tok, "", ""}, {"Bearer " + tok + "x", "", ""}, {"Basic abc", "", ""},
		{"Bearer a.b.c", "", ""}, {"Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "", ""},
		{"", "", identA}, {"", fixture.KeyAcme, ""}, {"", fixture.KeyUnknown, identA}, {"", fixture.KeyAcme, "short"},
	} {
		f.Add(s.auth, s.key, s.ident)
	}
	f.Fuzz(func(t *testing.T, auth, key, ident string) {
		h := apitest.Headers{}
		for k, v := range map[string]string{"User-Authorization": auth, "partner-api-key": key, "User-Identifier": ident} {
			if v != "" {
				h[k] = v
			}
		}
		c := e.Client.Fuzzing(t)
		assertDocumented(t, c.Do(http.MethodGet, infoPath, h, ""))
		assertDocumented(t, c.Do(http.MethodPost, linkPath, h, linkBody(identB)))
	})
}
