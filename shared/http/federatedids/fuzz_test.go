package federatedids_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
)

// documentedCodes are the JSON:API error codes of docs/openapi.yaml below 500.
var documentedCodes = []string{"token-missing", "token-expired", "token-invalid", "user-not-found", "missing-linked-identity",
	"identity-provider-not-found", "federated-identity-not-found", "not-found-error", "method-not-allowed", "invalid-query-parameter"}

func assertDocumented(t *testing.T, r *apitest.Response) {
	t.Helper()
	// A 204 has no body, so no Content-Type; every other answer is JSON:API.
	if r.Status >= 500 || (r.Header.Get("Content-Type") != jsonAPI) != (r.Status == http.StatusNoContent) {
		t.Fatalf("%d %s %s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	if r.Status < 400 {
		return
	}
	var body struct{ Errors []jsonAPIError }
	if err := json.Unmarshal(r.Body, &body); err != nil || len(body.Errors) != 1 || !slices.Contains(documentedCodes, body.Errors[0].Code) {
		t.Fatalf("not one documented error: %s", r.Body)
	}
}

// FuzzFederatedIdentities: the Authorization header and the provider path
// segment, on every method.
func FuzzFederatedIdentities(f *testing.F) {
	e := fixture.NewEnv(f, fixture.Options{})
	_, tok := world(f, e.Client, "fuzz-user", identA)
	for _, s := range []struct{ auth, provider string }{
		{"Bearer " + tok, "acme"}, {"Bearer " + tok, "beta"}, {"Bearer " + tok, "nope"}, {"Bearer " + tok, ""},
		{"Bearer " + tok, "ACME"}, {"Bearer " + tok, "a/b"}, {"Bearer " + tok, ".."}, {"", "acme"}, {"Bearer", "acme"},
		{"Bearer x.y.z", "acme"}, {"Token " + tok, "acme"}, {"Bearer  " + tok, "acme"},
	} {
		f.Add(s.auth, s.provider)
	}
	f.Fuzz(func(t *testing.T, auth, provider string) {
		c := e.Client.Fuzzing(t)
		h := apitest.Headers{}
		if auth != "" {
			h["Authorization"] = auth
		}
		p := "/federated-identities/" + url.PathEscape(provider)
		assertDocumented(t, c.Do(http.MethodPut, p, h, ""))
		assertDocumented(t, c.Do(http.MethodGet, "/federated-identities", h, ""))
		assertDocumented(t, c.Do(http.MethodDelete, p, h, ""))
	})
}
