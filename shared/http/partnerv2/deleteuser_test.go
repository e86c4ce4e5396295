package partnerv2_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/kyc"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
)

func TestDeleteUserAnswers(t *testing.T) {
	e := fixture.NewEnv(t, fixture.Options{})
	id := createUser(t, e, keyAcme, "ext-delete-answers")
	cases := []struct {
		name, key, path string
		status          int
		code, message   string
	}{
		{"key missing", "", "/" + id, 401, "UNAUTHORIZED", "API Key is missing"},
		{"key unknown", keyUnknown, "/" + id, 401, "UNAUTHORIZED", "Invalid API Key"},
		{"suspended partner", keyGamma, "/" + id, 403, "INVALID_PARTNER_FLOW", "The partner has an invalid flow."},
		{"another partner's user", keyBeta, "/" + id, 401, "UNAUTHORIZED", "User is not associated with the partner"},
		{"unknown user", keyAcme, "/2f1c6b52-8d8e-4a55-9d53-3c8d2b0f4a11", 404, "NOT_FOUND_ERROR", "Requested User was not found"},
		{"not a user id", keyAcme, "/USER%23x", 404, "NOT_FOUND_ERROR", "Requested User was not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.Mem.Dump()
			r := e.Client.Do(http.MethodDelete, usersPath+tc.path, headers(tc.key), "")
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if code, msg, _ := errorOf(t, r); code != tc.code || msg != tc.message {
				t.Fatalf("error %s %q, want %s %q", code, msg, tc.code, tc.message)
			}
			if e.Mem.Dump() != before {
				t.Fatal("a refused erasure changed the store")
			}
		})
	}
	t.Run("upper-case id: the same user, erased", func(t *testing.T) {
		r := e.Client.Do(http.MethodDelete, usersPath+"/"+strings.ToUpper(id), headers(keyAcme), "")
		if r.Status != 204 || len(r.Body) != 0 {
			t.Fatalf("%d %q, want 204 and no body", r.Status, r.Body)
		}
		if r := e.Client.Do(http.MethodGet, usersPath+"/"+id, headers(keyAcme), ""); r.Status != 404 {
			t.Fatalf("get after: %d", r.Status)
		}
	})
	t.Run("another partner's erased user is not found", func(t *testing.T) {
		r := e.Client.Do(http.MethodDelete, usersPath+"/"+id, headers(keyBeta), "")
		if code, msg, _ := errorOf(t, r); r.Status != 404 || code != "NOT_FOUND_ERROR" || msg != "Requested User was not found" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
}

// TestDeleteUserAftermath: a user with everything (identifier, alias, a
// token, a linked identifier, a federated identity, a KYC session) is
// erased; then every way to reach it finds nothing, its keys are free, and
// the partner's event says only its id.
func TestDeleteUserAftermath(t *testing.T) {
	clk := testkit.NewClock(time.Now())
	e := fixture.NewEnv(t, fixture.Options{Now: clk.Now})
	const ext, email, alias, ident = "ext-erased-1", "erased.person@example.com", "Erased Person", "erasedidentifier0000000000000000000000001"
	r := e.Client.Do(http.MethodPost, usersPath, headers(keyAcme), `{"externalUserId":"`+ext+`","type":"INDIVIDUAL","method":"EMAIL","identifier":"`+email+`","alias":"`+alias+`"}`)
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	id := r.JSON()["data"].(map[string]any)["userId"].(string)
	r = e.Client.Do(http.MethodPost, usersPath+"/"+id+"/token", headers(keyAcme), "")
	token := r.JSON()["data"].(map[string]any)["token"].(string)
	userAuth := apitest.Headers{"User-Authorization": "Bearer " + token}
	bearer := apitest.Headers{"Authorization": "Bearer " + token}
	must := func(r *apitest.Response, status int, what string) *apitest.Response {
		t.Helper()
		if r.Status != status {
			t.Fatalf("%s: %d %s, want %d", what, r.Status, r.Body, status)
		}
		return r
	}
	must(e.Client.Do(http.MethodPost, "/api/v2/user/link-identifier", userAuth, `{"identifier":"`+ident+`"}`), 200, "link")
	must(e.Client.Do(http.MethodPut, "/federated-identities/acme", bearer, ""), 204, "federated identity")
	link := must(e.Client.Do(http.MethodPost, usersPath+"/"+id+"/kyc/verification-link", headers(keyAcme), `{"country":"MX"}`), 201, "kyc link")
	sessionID := link.JSON()["data"].(map[string]any)["sessionId"].(string)

	r = must(e.Client.Do(http.MethodDelete, usersPath+"/"+id, headers(keyAcme), ""), 204, "delete")
	if len(r.Body) != 0 {
		t.Fatalf("204 with a body: %s", r.Body)
	}
	dump := e.Mem.Dump()
	for _, v := range []string{ext, email, alias, ident} {
		if strings.Contains(dump, v) {
			t.Errorf("%q is still stored", v)
		}
	}

	t.Run("Partner v2: not found", func(t *testing.T) {
		for what, r := range map[string]*apitest.Response{
			"get":   e.Client.Do(http.MethodGet, usersPath+"/"+id, headers(keyAcme), ""),
			"find":  e.Client.Do(http.MethodGet, usersPath+"?externalUserId="+ext, headers(keyAcme), ""),
			"token": e.Client.Do(http.MethodPost, usersPath+"/"+id+"/token", headers(keyAcme), ""),
			"kyc":   e.Client.Do(http.MethodPost, usersPath+"/"+id+"/kyc/verification-link", headers(keyAcme), `{"country":"MX"}`),
		} {
			if code, msg, _ := errorOf(t, r); r.Status != 404 || code != "NOT_FOUND_ERROR" || msg != "Requested User was not found" {
				t.Errorf("%s: %d %s", what, r.Status, r.Body)
			}
		}
	})
	t.Run("User v2: the token's user is ER709, the identifier ER705", func(t *testing.T) {
		for what, r := range map[string]*apitest.Response{
			"info": e.Client.Do(http.MethodGet, "/api/v2/user/info", userAuth, ""),
			"link": e.Client.Do(http.MethodPost, "/api/v2/user/link-identifier", userAuth, `{"identifier":"`+ident+`"}`),
		} {
			if r.Status != 404 || !strings.Contains(string(r.Body), `"ER709"`) {
				t.Errorf("%s: %d %s, want ER709", what, r.Status, r.Body)
			}
		}
		r := e.Client.Do(http.MethodGet, "/api/v2/user/info", apitest.Headers{"partner-api-key": keyAcme, "User-Identifier": ident}, "")
		if r.Status != 401 || !strings.Contains(string(r.Body), `"ER705"`) {
			t.Errorf("by key and former identifier: %d %s, want ER705", r.Status, r.Body)
		}
	})
	t.Run("federated identities: 401 user-not-found", func(t *testing.T) {
		for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
			path := "/federated-identities/acme"
			if m == http.MethodGet {
				path = "/federated-identities"
			}
			r := e.Client.Do(m, path, bearer, "")
			if r.Status != 401 || !strings.Contains(string(r.Body), `"user-not-found"`) {
				t.Errorf("%s: %d %s", m, r.Status, r.Body)
			}
		}
	})
	t.Run("KYC: the session is gone, the cleanup finds nothing of it", func(t *testing.T) {
		if _, err := e.Mem.GetKYCSession(context.Background(), sessionID); err != domain.ErrNotFound {
			t.Fatalf("session: %v", err)
		}
		events := len(e.Mem.Outbox())
		res, err := kyc.NewCleaner(e.Mem, func() time.Time { return clk.Now().Add(48 * time.Hour) }).Run(context.Background())
		if err != nil || res.Expired != 0 || len(e.Mem.Outbox()) != events {
			t.Fatalf("cleanup: %+v %v, %d events after %d", res, err, len(e.Mem.Outbox()), events)
		}
	})
	t.Run("the user.deleted event carries the id only", func(t *testing.T) {
		var last struct {
			Type string
			Data map[string]any
		}
		evs := e.Mem.Outbox()
		if err := json.Unmarshal(evs[len(evs)-1].Payload, &last); err != nil {
			t.Fatal(err)
		}
		if last.Type != "user.deleted" || len(last.Data) != 1 || last.Data["userId"] != id {
			t.Fatalf("event %+v", last)
		}
		for _, ev := range evs {
			for _, v := range []string{ext, email, alias, ident} {
				if strings.Contains(string(ev.Payload), v) {
					t.Errorf("event %s still carries %q", ev.Type, v)
				}
			}
		}
	})
	t.Run("its keys are free: the identifier links to another user, the externalUserId registers a new one", func(t *testing.T) {
		other := createUser(t, e, keyAcme, "ext-erased-other")
		tok := must(e.Client.Do(http.MethodPost, usersPath+"/"+other+"/token", headers(keyAcme), ""), 201, "token").JSON()["data"].(map[string]any)["token"].(string)
		must(e.Client.Do(http.MethodPost, "/api/v2/user/link-identifier", apitest.Headers{"User-Authorization": "Bearer " + tok}, `{"identifier":"`+ident+`"}`), 200, "link by another user")
		r := must(e.Client.Do(http.MethodPost, usersPath, headers(keyAcme), `{"externalUserId":"`+ext+`","type":"INDIVIDUAL","method":"EMAIL","identifier":"`+email+`"}`), 201, "the externalUserId again")
		if again := r.JSON()["data"].(map[string]any)["userId"]; again == id {
			t.Fatal("the erased user's id was given again")
		}
	})
	t.Run("deleting again: 204, nothing changes", func(t *testing.T) {
		before := e.Mem.Dump()
		must(e.Client.Do(http.MethodDelete, usersPath+"/"+id, headers(keyAcme), ""), 204, "again")
		if e.Mem.Dump() != before {
			t.Fatal("deleting again changed the store")
		}
	})
}

func TestDeleteUserStoreDown(t *testing.T) {
	fs := &fixture.FailingStore{}
	c := fixture.Client(t, fs, fixture.Options{})
	r := c.Do(http.MethodDelete, usersPath+"/2f1c6b52-8d8e-4a55-9d53-3c8d2b0f4a11", headers(keyAcme), "")
	code, msg, _ := errorOf(t, r)
	if r.Status != 500 || code != "INTERNAL_SERVER_ERROR" || msg != "Internal server error" || fs.Calls != 1 {
		t.Fatalf("%d %s (%d calls)", r.Status, r.Body, fs.Calls)
	}
	if strings.Contains(string(r.Body), "dynamodb") || strings.Contains(string(r.Body), "secret-value") {
		t.Fatalf("internal text: %s", r.Body)
	}
}
