package federatedids_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/domain/tokens"
	"github.com/partner-identity/api/shared/domain/users"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
	"github.com/partner-identity/api/shared/testkit/moto"
)

func TestMain(m *testing.M) { fixture.Main(m) }

const (
	identA  = "c6fefe8d7ac0f4113876d634e8d15f65947f1b62d4859fffcd2464d2be58b2d8"
	identB  = "d7a0fe8d7ac0f4113876d634e8d15f65947f1b62d4859fffcd2464d2be58b2d9"
	jsonAPI = "application/vnd.api+json"
)

func bearer(tok string) apitest.Headers { return apitest.Headers{"Authorization": "Bearer " + tok} }

// world creates a user of acme, its token, and optionally links an identifier.
func world(t testing.TB, c *apitest.Client, ext string, link string) (userID, token string) {
	t.Helper()
	r := c.Do(http.MethodPost, "/api/partner/v2/users", apitest.Headers{"partner-api-key": fixture.KeyAcme}, `{"externalUserId":"`+ext+`","type":"INDIVIDUAL"}`)
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	userID = r.JSON()["data"].(map[string]any)["userId"].(string)
	r = c.Do(http.MethodPost, "/api/partner/v2/users/"+userID+"/token", apitest.Headers{"partner-api-key": fixture.KeyAcme}, "")
	token = r.JSON()["data"].(map[string]any)["token"].(string)
	if link != "" {
		if r := c.Do(http.MethodPost, "/api/v2/user/link-identifier", apitest.Headers{"User-Authorization": "Bearer " + token}, `{"identifier":"`+link+`"}`); r.Status != 200 {
			t.Fatalf("link: %d %s", r.Status, r.Body)
		}
	}
	return userID, token
}

type jsonAPIError struct {
	ID     string            `json:"id"`
	Status string            `json:"status"`
	Code   string            `json:"code"`
	Title  string            `json:"title"`
	Detail string            `json:"detail"`
	Source map[string]string `json:"source"`
}

// assertError checks status, content type and the exact error shape.
func assertError(t *testing.T, r *apitest.Response, status int, code, title, detail, parameter string) {
	t.Helper()
	if r.Status != status || r.Header.Get("Content-Type") != jsonAPI || r.Header.Get("Vary") != "Accept" {
		t.Fatalf("got %d %v %s, want %d %s with Vary: Accept", r.Status, r.Header, r.Body, status, jsonAPI)
	}
	var doc struct {
		Errors []jsonAPIError `json:"errors"`
	}
	dec := json.NewDecoder(strings.NewReader(string(r.Body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil || len(doc.Errors) != 1 {
		t.Fatalf("body %s (%v)", r.Body, err)
	}
	e := doc.Errors[0]
	want := jsonAPIError{ID: r.Header.Get("X-Request-Id"), Status: strconv.Itoa(status), Code: code, Title: title, Detail: detail}
	if parameter != "" {
		want.Source = map[string]string{"parameter": parameter}
	}
	if e.ID == "" || e.ID != want.ID || e.Status != want.Status || e.Code != want.Code || e.Title != want.Title || e.Detail != want.Detail ||
		len(e.Source) != len(want.Source) || e.Source["parameter"] != want.Source["parameter"] {
		t.Fatalf("error\n got %+v\nwant %+v", e, want)
	}
}

func assertNoContent(t *testing.T, r *apitest.Response) {
	t.Helper()
	if r.Status != 204 || len(r.Body) != 0 || r.Header.Get("Content-Type") != "" || r.Header.Get("Vary") != "Accept" {
		t.Fatalf("got %d %v %q, want 204 with no body, no Content-Type, Vary: Accept", r.Status, r.Header, r.Body)
	}
}

func list(t *testing.T, c *apitest.Client, tok string) []map[string]any {
	t.Helper()
	r := c.Do(http.MethodGet, "/federated-identities", bearer(tok), "")
	if r.Status != 200 || r.Header.Get("Content-Type") != jsonAPI || r.Header.Get("Vary") != "Accept" {
		t.Fatalf("list: %d %q %s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	var doc struct {
		Data []map[string]any `json:"data"`
	}
	_ = json.Unmarshal(r.Body, &doc)
	if doc.Data == nil {
		t.Fatalf("data must be an array, got %s", r.Body)
	}
	return doc.Data
}

const (
	missingTitle  = "Missing linked identity for authorized access"
	missingDetail = "Linked identity is needed to access this resource, please check why the user does not have a linked identity"
)

func TestResponses(t *testing.T) {
	clk := testkit.NewClock(time.Now())
	e := fixture.NewEnv(t, fixture.Options{Now: clk.Now})
	c := e.Client
	linked, tok := world(t, c, "fed-linked", identA)
	_, tokUnlinked := world(t, c, "fed-unlinked", "")
	// A user that no longer exists: a valid token of a user id the store
	// does not hold.
	tokGone, _ := tokens.Mint(fixture.ServiceKeys(t), users.NewUserID(true), "p_acme", clk.Now(), time.Hour)
	expired, _ := tokens.Mint(fixture.ServiceKeys(t), linked, "p_acme", clk.Now().Add(-3*time.Hour), time.Hour)
	put := func(h apitest.Headers, provider string) *apitest.Response {
		return c.Do(http.MethodPut, "/federated-identities/"+provider, h, "")
	}

	t.Run("401 token missing", func(t *testing.T) {
		assertError(t, put(apitest.Headers{}, "acme"), 401, "token-missing", "Missing access token", "Send the user token as Authorization: Bearer <token>.", "")
	})
	t.Run("401 another scheme", func(t *testing.T) {
		assertError(t, put(apitest.Headers{"Authorization": "Basic " + tok}, "acme"), 401, "token-invalid", "Invalid access token", "The user token is invalid.", "")
	})
	t.Run("401 invalid token", func(t *testing.T) {
		assertError(t, put(bearer(tok+"x"), "acme"), 401, "token-invalid", "Invalid access token", "The user token is invalid.", "")
	})
	t.Run("401 expired token", func(t *testing.T) {
		assertError(t, put(bearer(expired.Token), "acme"), 401, "token-expired", "Expired access token", "The user token has expired; request a new one.", "")
	})
	t.Run("401 the token's user is gone", func(t *testing.T) {
		assertError(t, put(bearer(tokGone.Token), "acme"), 401, "user-not-found", "User not found", "The user of the token does not exist or has been deleted.", "")
	})
	t.Run("404 unknown provider", func(t *testing.T) {
		assertError(t, put(bearer(tok), "nobody"), 404, "identity-provider-not-found", "Identity provider not found", "No identity provider is registered under this name.", "")
	})
	t.Run("JSON:API 1.1 content negotiation", func(t *testing.T) {
		const unsupported, notAcceptable = "application/vnd.api+json may carry only the ext and profile parameters, and this API supports no extension.",
			"Accept application/vnd.api+json without parameters other than profile (this API supports no extension)."
		with := func(h apitest.Headers) apitest.Headers {
			h["Authorization"] = "Bearer " + tok
			return h
		}
		for _, c415 := range []string{"application/vnd.api+json; charset=utf-8", "application/vnd.api+json;version=1",
			`application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"`} {
			for _, m := range []string{http.MethodPut, http.MethodDelete, http.MethodGet} {
				path := "/federated-identities/acme"
				if m == http.MethodGet {
					path = "/federated-identities"
				}
				assertError(t, c.Do(m, path, with(apitest.Headers{"Content-Type": c415}), ""), 415, "unsupported-media-type", "Unsupported media type", unsupported, "")
			}
		}
		for _, a406 := range []string{"application/vnd.api+json; charset=utf-8", "application/vnd.api+json;v=2, application/vnd.api+json;charset=x",
			`application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"`} {
			assertError(t, c.Do(http.MethodGet, "/federated-identities", with(apitest.Headers{"Accept": a406}), ""), 406, "not-acceptable", "Not acceptable", notAcceptable, "")
		}
		for _, ok := range []apitest.Headers{
			{"Accept": "application/vnd.api+json"},
			{"Accept": `application/vnd.api+json; profile="https://example.com/p"`},
			{"Accept": "application/vnd.api+json;charset=utf-8, application/vnd.api+json"},
			{"Accept": "application/vnd.api+json; q=0.9"},
			{"Accept": "application/json, */*"},
			{"Content-Type": `application/vnd.api+json; profile="https://example.com/p"`},
		} {
			if r := c.Do(http.MethodGet, "/federated-identities", with(ok), ""); r.Status != 200 {
				t.Errorf("%v: %d %s, want 200", ok, r.Status, r.Body)
			}
		}
	})
	t.Run("401 missing linked identity", func(t *testing.T) {
		assertError(t, put(bearer(tokUnlinked), "acme"), 401, "missing-linked-identity", missingTitle, missingDetail, "")
	})
	t.Run("401 missing linked identity from another partner's provider", func(t *testing.T) {
		assertError(t, put(bearer(tok), "beta"), 401, "missing-linked-identity", missingTitle, missingDetail, "")
	})
	t.Run("204 set, 204 again without change, listed", func(t *testing.T) {
		assertNoContent(t, put(bearer(tok), "acme"))
		first := list(t, c, tok)
		clk.Add(time.Minute)
		assertNoContent(t, put(bearer(tok), "acme"))
		again := list(t, c, tok)
		if len(first) != 1 || first[0]["type"] != "federated-identities" || first[0]["id"] != "acme" {
			t.Fatalf("collection %v", first)
		}
		a1, a2 := first[0]["attributes"].(map[string]any), again[0]["attributes"].(map[string]any)
		if a1["identityProvider"] != "acme" || len(a1["subject"].(string)) != 64 || a1["createdAt"] != a2["createdAt"] {
			t.Fatalf("attributes %v then %v (a repeat must change nothing)", a1, a2)
		}
		if strings.Contains(a1["subject"].(string), identA) {
			t.Fatal("the raw identifier is exposed")
		}
	})
	t.Run("200 empty collection", func(t *testing.T) {
		if got := list(t, c, tokUnlinked); len(got) != 0 {
			t.Fatalf("%v", got)
		}
	})
	t.Run("DELETE 204 then 404", func(t *testing.T) {
		assertNoContent(t, c.Do(http.MethodDelete, "/federated-identities/acme", bearer(tok), ""))
		assertError(t, c.Do(http.MethodDelete, "/federated-identities/acme", bearer(tok), ""), 404, "federated-identity-not-found",
			"Federated identity not found", "The user has no federated identity with this identity provider.", "")
		assertError(t, c.Do(http.MethodDelete, "/federated-identities/nobody", bearer(tok), ""), 404, "identity-provider-not-found",
			"Identity provider not found", "No identity provider is registered under this name.", "")
		assertError(t, c.Do(http.MethodDelete, "/federated-identities/acme", apitest.Headers{}, ""), 401, "token-missing",
			"Missing access token", "Send the user token as Authorization: Bearer <token>.", "")
	})
	t.Run("500 store fault", func(t *testing.T) {
		down := fixture.Client(t, &fixture.FailingStore{}, fixture.Options{Now: clk.Now})
		for _, m := range []string{http.MethodPut, http.MethodDelete} {
			r := down.Do(m, "/federated-identities/acme", bearer(tok), "")
			assertError(t, r, 500, "internal-server-error", "Internal server error", "An unexpected error occurred; try again later.", "")
			if strings.Contains(string(r.Body), "dynamodb") {
				t.Fatal("internal text leaked")
			}
		}
		assertError(t, down.Do(http.MethodGet, "/federated-identities", bearer(tok), ""), 500, "internal-server-error", "Internal server error", "An unexpected error occurred; try again later.", "")
	})
	t.Run("405 and 404 routes answer in JSON:API", func(t *testing.T) {
		r := c.Do(http.MethodPost, "/federated-identities", bearer(tok), "")
		assertError(t, r, 405, "method-not-allowed", "Method Not Allowed", "Method not allowed", "")
		r = c.Do(http.MethodPut, "/federated-identities/acme/extra", bearer(tok), "")
		assertError(t, r, 404, "not-found-error", "Not Found", "Route not found", "")
	})
}

// TestReplacedLinkRemovesTheIdentity: an identity built on a linked
// identifier does not outlive its replacement.
func TestReplacedLinkRemovesTheIdentity(t *testing.T) {
	e := fixture.NewEnv(t, fixture.Options{})
	c := e.Client
	_, tok := world(t, c, "fed-replace", identA)
	assertNoContent(t, c.Do(http.MethodPut, "/federated-identities/acme", bearer(tok), ""))
	before := list(t, c, tok)[0]["attributes"].(map[string]any)["subject"]
	if r := c.Do(http.MethodPost, "/api/v2/user/link-identifier", apitest.Headers{"User-Authorization": "Bearer " + tok}, `{"identifier":"`+identB+`"}`); r.Status != 200 {
		t.Fatalf("relink: %d", r.Status)
	}
	if got := list(t, c, tok); len(got) != 0 {
		t.Fatalf("the identity on the replaced identifier still stands: %v", got)
	}
	assertNoContent(t, c.Do(http.MethodPut, "/federated-identities/acme", bearer(tok), ""))
	after := list(t, c, tok)[0]["attributes"].(map[string]any)["subject"]
	if after == before {
		t.Fatal("the new identity kept the old subject")
	}
}

// TestFlowOnMoto: the whole flow against DynamoDB on moto.
func TestFlowOnMoto(t *testing.T) {
	calls := moto.NewCalls()
	db, table := moto.Require(t).NewTable(t, calls, nil)
	s := dynamostore.New(db, table)
	dir := fixture.Partners(t, s, nil)
	c := fixture.Client(t, s, fixture.Options{Partners: dir})
	user, tok := world(t, c, "fed-moto", identA) // create user, token, link identifier
	dir.Wait()                                   // the key's last use, recorded in the background
	calls.Reset()
	assertNoContent(t, c.Do(http.MethodPut, "/federated-identities/acme", bearer(tok), ""))
	// The user, the provider's partner (once a minute per container), the transaction.
	if calls.Get("GetItem") != 2 || calls.Get("TransactWriteItems") != 1 || calls.Total() != 3 {
		t.Fatalf("PUT made %d calls (%d GetItem, %d TransactWriteItems), want 3", calls.Total(), calls.Get("GetItem"), calls.Get("TransactWriteItems"))
	}
	calls.Reset()
	assertNoContent(t, c.Do(http.MethodPut, "/federated-identities/acme", bearer(tok), ""))
	if calls.Get("GetItem") != 1 || calls.Total() != 2 {
		t.Fatalf("PUT again made %d calls (%d GetItem), want 2: the provider cached", calls.Total(), calls.Get("GetItem"))
	}
	got := list(t, c, tok)
	if len(got) != 1 || got[0]["id"] != "acme" {
		t.Fatalf("list %v", got)
	}
	u, _ := s.GetUser(context.Background(), user)
	if got[0]["attributes"].(map[string]any)["subject"] != u.LinkedIdentifierHash {
		t.Fatal("subject is not the linked identifier's hash")
	}
	assertNoContent(t, c.Do(http.MethodDelete, "/federated-identities/acme", bearer(tok), ""))
	if got := list(t, c, tok); len(got) != 0 {
		t.Fatalf("after DELETE: %v", got)
	}
	r := c.Do(http.MethodDelete, "/federated-identities/acme", bearer(tok), "")
	if r.Status != 404 {
		t.Fatalf("second DELETE %d", r.Status)
	}
	// Replacing the link on DynamoDB removes a standing identity in the same transaction.
	assertNoContent(t, c.Do(http.MethodPut, "/federated-identities/acme", bearer(tok), ""))
	if r := c.Do(http.MethodPost, "/api/v2/user/link-identifier", apitest.Headers{"User-Authorization": "Bearer " + tok}, `{"identifier":"`+identB+`"}`); r.Status != 200 {
		t.Fatalf("relink %d", r.Status)
	}
	if got := list(t, c, tok); len(got) != 0 {
		t.Fatalf("after relink: %v", got)
	}
}

// TestQueryParametersAsJSONAPIRequires: include, sort, a family this
// surface does not know (foo, page, filter), a repeated parameter and a
// malformed query string are 400 invalid-query-parameter naming the
// parameter, and change nothing; a sparse fieldset returns only the
// attributes it names.
func TestQueryParametersAsJSONAPIRequires(t *testing.T) {
	e := fixture.NewEnv(t, fixture.Options{})
	c := e.Client
	_, tok := world(t, c, "fed-query", identA)
	assertNoContent(t, c.Do(http.MethodPut, "/federated-identities/acme", bearer(tok), ""))
	const title = "Invalid query parameter"
	refused := []struct{ query, parameter, detail string }{
		{"include=user", "include", "This endpoint does not support the include parameter."},
		{"sort=-createdAt", "sort", "This endpoint does not support the sort parameter."},
		{"foo=bar", "foo", "This endpoint does not support the query parameter foo."},
		{"page%5Bsize%5D=10", "page[size]", "This endpoint does not support the query parameter page[size]."},
		{"filter%5Bsubject%5D=x", "filter[subject]", "This endpoint does not support the query parameter filter[subject]."},
		{"fields%5Busers%5D=name", "fields[users]", "This endpoint does not support the query parameter fields[users]."},
		{"fields%5Bfederated-identities%5D=subject&fields%5Bfederated-identities%5D=createdAt", "fields[federated-identities]",
			"The parameter fields[federated-identities] must be given once."},
		{"fields%5Bfederated-identities%5D=subject,password", "fields[federated-identities]",
			"A federated-identities resource has no field password; its fields are identityProvider, subject and createdAt."},
		{"a=%zz", "", "The query string is malformed: parameters are name=value pairs separated by &, %-encoded."},
	}
	before := e.Mem.Dump()
	for _, q := range refused {
		assertError(t, c.Do(http.MethodGet, "/federated-identities?"+q.query, bearer(tok), ""), 400, "invalid-query-parameter", title, q.detail, q.parameter)
		detail := q.detail // PUT and DELETE take no fieldset at all
		if q.parameter == "fields[federated-identities]" {
			detail = "This endpoint does not support the query parameter fields[federated-identities]."
		}
		for _, m := range []string{http.MethodPut, http.MethodDelete} {
			assertError(t, c.Do(m, "/federated-identities/acme?"+q.query, bearer(tok), ""), 400, "invalid-query-parameter", title, detail, q.parameter)
		}
	}
	// PUT and DELETE take no fieldset: they answer no document.
	assertError(t, c.Do(http.MethodDelete, "/federated-identities/acme?fields%5Bfederated-identities%5D=subject", bearer(tok), ""), 400,
		"invalid-query-parameter", title, "This endpoint does not support the query parameter fields[federated-identities].", "fields[federated-identities]")
	assertNoContent(t, c.Do(http.MethodPut, "/federated-identities/acme", bearer(tok), "")) // the identity still stands
	if after := e.Mem.Dump(); after != before {
		t.Fatalf("a refused request changed the store:\n%s\n%s", before, after)
	}
	sparse := func(value string) map[string]any {
		t.Helper()
		r := c.Do(http.MethodGet, "/federated-identities?fields%5Bfederated-identities%5D="+value, bearer(tok), "")
		var doc struct {
			Data []map[string]any `json:"data"`
		}
		if r.Status != 200 || json.Unmarshal(r.Body, &doc) != nil || len(doc.Data) != 1 || doc.Data[0]["id"] != "acme" {
			t.Fatalf("fields=%s: %d %s", value, r.Status, r.Body)
		}
		return doc.Data[0]["attributes"].(map[string]any)
	}
	if got := sparse("subject"); len(got) != 1 || len(got["subject"].(string)) != 64 {
		t.Fatalf("fields=subject: %v", got)
	}
	if got := sparse("createdAt,identityProvider"); len(got) != 2 || got["identityProvider"] != "acme" || got["createdAt"] == nil {
		t.Fatalf("fields=createdAt,identityProvider: %v", got)
	}
	if got := sparse(""); len(got) != 0 {
		t.Fatalf("fields= (none): %v", got)
	}
	if got := list(t, c, tok)[0]["attributes"].(map[string]any); len(got) != 3 {
		t.Fatalf("without a fieldset: %v", got)
	}
}
