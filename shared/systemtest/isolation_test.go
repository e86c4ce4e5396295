package systemtest_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
)

// keyAcmeTest is acme's test key: its test side's, a partner of its own.
const keyAcmeTest = "acme_test_key_tttttttttttttttttttt"

// keySuspended is the key of acme2, a partner in good standing while the
// users are set up and suspended (a flow other than API or WIDGET) after.
const keySuspended = "acme2_key_suspended_later_ffffffffff"

// isolationRegistry: acme and beta may both call everything (flow API);
// gone is a partner that will be removed; acme2 one that will be
// suspended. before is the registry while the users are set up; after it,
// acme's old key and the partner gone are removed and acme2 is suspended.
func isolationRegistry(before bool) []byte {
	acmeKeys := fmt.Sprintf("%q", partners.KeyDigest(fixture.KeyAcme))
	gone, acme2Flow := "", "SUSPENDED"
	if before {
		acmeKeys += fmt.Sprintf(",%q", partners.KeyDigest(fixture.KeyAcmeOld))
		gone = fmt.Sprintf(`,{"id":"p_gone","name":"Gone","apiKeySha256":[%q],"flow":"API","identityProvider":"gone","limits":%s}`, partners.KeyDigest(fixture.KeyGamma), fixture.Unlimited)
		acme2Flow = "WIDGET"
	}
	kyc := `"kycTemplates":{"MX":{"templateId":"mx","linkUrl":"https://verify.example.com/s/{sessionId}"}},"limits":` + fixture.Unlimited
	return []byte(fmt.Sprintf(`{"partners":[
	 {"id":"p_acme","name":"Acme","apiKeySha256":[%s],"testApiKeySha256":[%q],"flow":"API",%s,"identityProvider":"acme"},
	 {"id":"p_acme2","name":"Acme Two","apiKeySha256":[%q],"flow":%q,%s,"identityProvider":"acme2"},
	 {"id":"p_beta","name":"Beta","apiKeySha256":[%q],"flow":"API",%s,"identityProvider":"beta"}%s]}`,
		acmeKeys, partners.KeyDigest(keyAcmeTest), kyc, partners.KeyDigest(keySuspended), acme2Flow, kyc, partners.KeyDigest(fixture.KeyBeta), kyc, gone))
}

// TestIsolationMatrix calls every route with its own partner's credential,
// another partner's, a revoked one (a key removed from the registry; for
// user tokens, the token of a partner removed from it), a suspended
// partner's (its key, or a token minted before the suspension, for its own
// user) and none, and checks
// the status of each cell; no answer to a credential other than acme's own
// carries acme's user's id, token or KYC session. Where beta sends the same
// externalUserId or identifier as acme, it gets its own user.
func TestIsolationMatrix(t *testing.T) {
	s, clk := memstore.New(), testkit.NewClock(time.Now())
	admin := partners.NewAdmin(s, clk.Now, false)
	if _, _, err := admin.Import(context.Background(), "test", isolationRegistry(true)); err != nil {
		t.Fatal(err)
	}
	c := fixture.Client(t, s, fixture.Options{Partners: partners.NewDirectory(s, clk.Now), Now: clk.Now, RateLimited: true})

	key := func(k string) apitest.Headers { return apitest.Headers{"partner-api-key": k} }
	// acme's user, linked, with a federated identity and a KYC session;
	// beta's user; gone's user with a token.
	acmeUser := setupPartnerUser(t, c, fixture.KeyAcme, "iso-acme-ext", "isoacmeidentifier000000000000000000000001", "acme")
	betaUser := setupPartnerUser(t, c, fixture.KeyBeta, "iso-beta-ext", "isobetaidentifier000000000000000000000001", "beta")
	goneUser := setupPartnerUser(t, c, fixture.KeyGamma, "iso-gone-ext", "isogoneidentifier000000000000000000000001", "gone")
	suspUser := setupPartnerUser(t, c, keySuspended, "iso-susp-ext", "isosuspidentifier000000000000000000000001", "acme2")
	// acme's test-mode user: its test key's, with a test link of its own
	// and a test-mode federated identity with acme.
	testUser := setupPartnerUser(t, c, keyAcmeTest, "iso-acmetest-ext", "isotestidentifier000000000000000000000001", "acme")
	// What another partner cannot know of acme's user (its externalUserId,
	// email and identifier are sent below by beta too, for beta's own user).
	acmeSecrets := []string{acmeUser.userID, acmeUser.token, acmeUser.session}

	// Partner access tokens of beta, of acme's old key and of acme2, issued
	// before the revocation and the suspension: each Partner v2 cell sent
	// with a key is sent again with its token, for the same answer.
	accessToken := func(id, k string) apitest.Headers {
		r := c.Do(http.MethodPost, "/oauth2/token", apitest.Headers{"Content-Type": "application/x-www-form-urlencoded"},
			"grant_type=client_credentials&client_id="+id+"&client_secret="+k)
		if r.Status != 200 {
			t.Fatalf("access token of %s: %d %s", id, r.Status, r.Body)
		}
		return apitest.Headers{"Authorization": "Bearer " + r.JSON()["access_token"].(string)}
	}
	tokenOf := map[string]apitest.Headers{
		fixture.KeyAcme: accessToken("p_acme", fixture.KeyAcme), fixture.KeyBeta: accessToken("p_beta", fixture.KeyBeta),
		fixture.KeyAcmeOld: accessToken("p_acme", fixture.KeyAcmeOld), keySuspended: accessToken("p_acme2", keySuspended),
		keyAcmeTest: accessToken("p_acme", keyAcmeTest), // the client id is the partner's in both modes
	}

	// Revoke: acme's old key and the partner gone leave the registry;
	// acme2 is suspended.
	oldKeyWorked := c.Do(http.MethodGet, usersPath+"/"+acmeUser.userID, key(fixture.KeyAcmeOld), "").Status == 200
	if _, _, err := admin.Import(context.Background(), "test", isolationRegistry(false)); err != nil {
		t.Fatal(err)
	}
	if err := admin.Remove(context.Background(), "test", "p_gone"); err != nil {
		t.Fatal(err)
	}
	clk.Add(partners.CacheTTL + time.Second) // the directory's minute
	if !oldKeyWorked {
		t.Fatal("acme's old key did not work before its removal")
	}

	// Two keys of acme's own, made by acme: one to roll, one to revoke;
	// their ids are acme's to know.
	ownKey := func() string {
		r := c.Do(http.MethodPost, "/api/partner/v2/api-keys", key(fixture.KeyAcme), "")
		if r.Status != 201 {
			t.Fatalf("setup key: %d %s", r.Status, r.Body)
		}
		return r.JSON()["data"].(map[string]any)["id"].(string)
	}
	rollable, revocable := ownKey(), ownKey()
	acmeSecrets = append(acmeSecrets, rollable, revocable)
	// Two webhook endpoints of acme's own: one to change and rotate, one
	// to remove; their ids, URLs and secrets are acme's to know.
	ownEndpoint := func(url string) string {
		r := c.Do(http.MethodPost, "/api/partner/v2/webhooks/endpoints", key(fixture.KeyAcme), `{"url":"`+url+`"}`)
		if r.Status != 201 {
			t.Fatalf("setup endpoint: %d %s", r.Status, r.Body)
		}
		d := r.JSON()["data"].(map[string]any)
		acmeSecrets = append(acmeSecrets, d["id"].(string), d["secret"].(string), url)
		return d["id"].(string)
	}
	hook, removable := ownEndpoint("https://hooks.acme.example/iso-kept"), ownEndpoint("https://hooks.acme.example/iso-removed")
	hooks := "/api/partner/v2/webhooks/endpoints"

	type cell struct {
		headers apitest.Headers
		status  int
	}
	type row struct {
		route, method, path, body            string
		own, other, revoked, suspended, none cell
	}
	susp := key(keySuspended)
	bearerUser := func(tok string) apitest.Headers { return apitest.Headers{"User-Authorization": "Bearer " + tok} }
	bearerFed := func(tok string) apitest.Headers { return apitest.Headers{"Authorization": "Bearer " + tok} }
	userPath := usersPath + "/" + acmeUser.userID
	linkBody := `{"identifier":"` + acmeUser.identifier + `"}`
	rows := []row{
		{"create-user", http.MethodPost, usersPath, `{"externalUserId":"iso-acme-ext","type":"INDIVIDUAL","method":"EMAIL","identifier":"iso-acme@example.com"}`,
			// the same request again is acme's replay; beta has its own
			// namespace of externalUserIds, so the same body creates beta's user
			cell{key(fixture.KeyAcme), 200}, cell{key(fixture.KeyBeta), 201}, cell{key(fixture.KeyAcmeOld), 401}, cell{susp, 403}, cell{apitest.Headers{}, 401}},
		{"get-user", http.MethodGet, userPath, "",
			cell{key(fixture.KeyAcme), 200}, cell{key(fixture.KeyBeta), 401}, cell{key(fixture.KeyAcmeOld), 401}, cell{susp, 403}, cell{apitest.Headers{}, 401}},
		{"find-user", http.MethodGet, usersPath + "?externalUserId=iso-acme-ext", "",
			cell{key(fixture.KeyAcme), 200}, cell{key(fixture.KeyBeta), 200}, cell{key(fixture.KeyAcmeOld), 401}, cell{susp, 403}, cell{apitest.Headers{}, 401}},
		{"create-verification-link", http.MethodPost, userPath + "/kyc/verification-link", `{"country":"MX","partnerRedirectUri":"https://acme.example/done"}`,
			cell{key(fixture.KeyAcme), 201}, cell{key(fixture.KeyBeta), 401}, cell{key(fixture.KeyAcmeOld), 401}, cell{susp, 403}, cell{apitest.Headers{}, 401}},
		{"create-user-token", http.MethodPost, userPath + "/token", "",
			cell{key(fixture.KeyAcme), 201}, cell{key(fixture.KeyBeta), 401}, cell{key(fixture.KeyAcmeOld), 401}, cell{susp, 403}, cell{apitest.Headers{}, 401}},
		{"link-identifier (token)", http.MethodPost, "/api/v2/user/link-identifier", linkBody,
			// beta's user may link the same identifier: links are per partner
			cell{bearerUser(acmeUser.token), 200}, cell{bearerUser(betaUser.token), 200}, cell{bearerUser(goneUser.token), 401}, cell{bearerUser(suspUser.token), 401}, cell{apitest.Headers{}, 401}},
		{"user-info (token)", http.MethodGet, "/api/v2/user/info", "",
			cell{bearerUser(acmeUser.token), 200}, cell{bearerUser(betaUser.token), 200}, cell{bearerUser(goneUser.token), 401}, cell{bearerUser(suspUser.token), 401}, cell{apitest.Headers{}, 401}},
		{"user-info (key + User-Identifier)", http.MethodGet, "/api/v2/user/info", "",
			cell{apitest.Headers{"partner-api-key": fixture.KeyAcme, "User-Identifier": acmeUser.identifier}, 200},
			cell{apitest.Headers{"partner-api-key": fixture.KeyBeta, "User-Identifier": acmeUser.identifier}, 200},
			cell{apitest.Headers{"partner-api-key": fixture.KeyAcmeOld, "User-Identifier": acmeUser.identifier}, 401},
			cell{apitest.Headers{"partner-api-key": keySuspended, "User-Identifier": suspUser.identifier}, 401},
			cell{apitest.Headers{"User-Identifier": acmeUser.identifier}, 401}},
		{"link-identifier (key + User-Identifier)", http.MethodPost, "/api/v2/user/link-identifier", linkBody,
			cell{apitest.Headers{"partner-api-key": fixture.KeyAcme, "User-Identifier": acmeUser.identifier}, 200},
			cell{apitest.Headers{"partner-api-key": fixture.KeyBeta, "User-Identifier": acmeUser.identifier}, 200},
			cell{apitest.Headers{"partner-api-key": fixture.KeyAcmeOld, "User-Identifier": acmeUser.identifier}, 401},
			cell{apitest.Headers{"partner-api-key": keySuspended, "User-Identifier": suspUser.identifier}, 401},
			cell{apitest.Headers{"User-Identifier": acmeUser.identifier}, 401}},
		{"set-federated-identity", http.MethodPut, "/federated-identities/acme", "",
			cell{bearerFed(acmeUser.token), 204}, cell{bearerFed(betaUser.token), 401}, cell{bearerFed(goneUser.token), 401}, cell{bearerFed(suspUser.token), 401}, cell{apitest.Headers{}, 401}},
		{"list-federated-identities", http.MethodGet, "/federated-identities", "",
			cell{bearerFed(acmeUser.token), 200}, cell{bearerFed(betaUser.token), 200}, cell{bearerFed(goneUser.token), 401}, cell{bearerFed(suspUser.token), 401}, cell{apitest.Headers{}, 401}},
		{"delete-federated-identity", http.MethodDelete, "/federated-identities/acme", "",
			cell{bearerFed(acmeUser.token), 204}, cell{bearerFed(betaUser.token), 404}, cell{bearerFed(goneUser.token), 401}, cell{bearerFed(suspUser.token), 401}, cell{apitest.Headers{}, 401}},
		// The partner's own keys: another partner's key ids are unknown to it
		// (404), a listing or a new key is its own.
		{"list-api-keys", http.MethodGet, "/api/partner/v2/api-keys", "",
			cell{key(fixture.KeyAcme), 200}, cell{key(fixture.KeyBeta), 200}, cell{key(fixture.KeyAcmeOld), 401}, cell{susp, 403}, cell{apitest.Headers{}, 401}},
		{"create-api-key", http.MethodPost, "/api/partner/v2/api-keys", "",
			cell{key(fixture.KeyAcme), 201}, cell{key(fixture.KeyBeta), 201}, cell{key(fixture.KeyAcmeOld), 401}, cell{susp, 403}, cell{apitest.Headers{}, 401}},
		{"roll-api-key", http.MethodPost, "/api/partner/v2/api-keys/" + rollable + "/roll", `{"expiresAt":"now"}`,
			cell{key(fixture.KeyAcme), 201}, cell{key(fixture.KeyBeta), 404}, cell{key(fixture.KeyAcmeOld), 401}, cell{susp, 403}, cell{apitest.Headers{}, 401}},
		{"revoke-api-key", http.MethodDelete, "/api/partner/v2/api-keys/" + revocable, "",
			cell{key(fixture.KeyAcme), 200}, cell{key(fixture.KeyBeta), 404}, cell{key(fixture.KeyAcmeOld), 401}, cell{susp, 403}, cell{apitest.Headers{}, 401}},
		// The partner's own limits.
		{"get-limits", http.MethodGet, "/api/partner/v2/limits", "",
			cell{key(fixture.KeyAcme), 200}, cell{key(fixture.KeyBeta), 200}, cell{key(fixture.KeyAcmeOld), 401}, cell{susp, 403}, cell{apitest.Headers{}, 401}},
		// The partner's own webhook endpoints: another partner's endpoint
		// ids are unknown to it (404), a listing or a new endpoint is its own.
		{"list-webhook-endpoints", http.MethodGet, hooks, "",
			cell{key(fixture.KeyAcme), 200}, cell{key(fixture.KeyBeta), 200}, cell{key(fixture.KeyAcmeOld), 401}, cell{susp, 403}, cell{apitest.Headers{}, 401}},
		{"create-webhook-endpoint", http.MethodPost, hooks, `{"url":"https://hooks.example.com/iso-any"}`,
			cell{key(fixture.KeyAcme), 201}, cell{key(fixture.KeyBeta), 201}, cell{key(fixture.KeyAcmeOld), 401}, cell{susp, 403}, cell{apitest.Headers{}, 401}},
		{"get-webhook-endpoint", http.MethodGet, hooks + "/" + hook, "",
			cell{key(fixture.KeyAcme), 200}, cell{key(fixture.KeyBeta), 404}, cell{key(fixture.KeyAcmeOld), 401}, cell{susp, 403}, cell{apitest.Headers{}, 401}},
		{"update-webhook-endpoint", http.MethodPatch, hooks + "/" + hook, `{"disabled":true}`,
			cell{key(fixture.KeyAcme), 200}, cell{key(fixture.KeyBeta), 404}, cell{key(fixture.KeyAcmeOld), 401}, cell{susp, 403}, cell{apitest.Headers{}, 401}},
		{"rotate-webhook-endpoint-secret", http.MethodPost, hooks + "/" + hook + "/rotate-secret", "",
			cell{key(fixture.KeyAcme), 201}, cell{key(fixture.KeyBeta), 404}, cell{key(fixture.KeyAcmeOld), 401}, cell{susp, 403}, cell{apitest.Headers{}, 401}},
		{"delete-webhook-endpoint", http.MethodDelete, hooks + "/" + removable, "",
			cell{key(fixture.KeyAcme), 200}, cell{key(fixture.KeyBeta), 404}, cell{key(fixture.KeyAcmeOld), 401}, cell{susp, 403}, cell{apitest.Headers{}, 401}},
		// Last: its own cell erases acme's user.
		{"delete-user", http.MethodDelete, userPath, "",
			cell{key(fixture.KeyAcme), 204}, cell{key(fixture.KeyBeta), 401}, cell{key(fixture.KeyAcmeOld), 401}, cell{susp, 403}, cell{apitest.Headers{}, 401}},
	}
	// The test/live axis: acme's own credentials of the other mode (its test
	// key, its test user's token) against acme's live objects, as another
	// partner's are: the cell of beta's with acme's test credential. Test
	// data is acme's test side's, a partner of its own: the answer is beta's,
	// but where acme's test user acts on its own test-mode identity with
	// acme (set, deleted: its own).
	otherMode := func(r row) cell {
		h := apitest.Headers{}
		for k, v := range r.other.headers {
			switch {
			case v == fixture.KeyBeta:
				v = keyAcmeTest
			case strings.HasSuffix(v, betaUser.token):
				v = strings.TrimSuffix(v, betaUser.token) + testUser.token
			}
			h[k] = v
		}
		status := r.other.status
		switch r.route {
		case "set-federated-identity", "delete-federated-identity":
			status = 204
		}
		return cell{h, status}
	}
	for _, r := range rows {
		cells := []struct {
			name string
			cell cell
		}{{"another partner's", r.other}, {"another mode's", otherMode(r)}, {"revoked", r.revoked}, {"suspended", r.suspended}, {"none", r.none}, {"own", r.own}}
		// The same cells with the partner access token of the key (the
		// own cell last, as it may erase acme's user).
		n := len(cells)
		for i := range n {
			tok, ok := tokenOf[cells[i].cell.headers["partner-api-key"]]
			if !ok {
				continue
			}
			h := apitest.Headers{}
			for k, v := range cells[i].cell.headers {
				h[k] = v
			}
			delete(h, "partner-api-key")
			h["Authorization"] = tok["Authorization"]
			status := cells[i].cell.status
			if r.route == "create-user" && status == http.StatusCreated {
				status = http.StatusOK // the key's cell created it: the token's replays it
			}
			cells = append(cells[:len(cells)-1], struct {
				name string
				cell cell
			}{cells[i].name + " (access token)", cell{h, status}}, cells[len(cells)-1])
		}
		for _, x := range cells {
			t.Run(r.route+"/"+x.name, func(t *testing.T) {
				res := c.Do(r.method, r.path, x.cell.headers, r.body)
				if res.Status != x.cell.status {
					t.Fatalf("%d %s, want %d", res.Status, res.Body, x.cell.status)
				}
				// Every answer to an identified partner (its own user or
				// another's) carries its budget; one with no partner (a
				// revoked credential, none) none.
				policy, limit := res.Header.Get("RateLimit-Policy"), res.Header.Get("RateLimit")
				identified := strings.HasPrefix(x.name, "own") || strings.HasPrefix(x.name, "another")
				unknown := strings.HasPrefix(x.name, "revoked") || strings.HasPrefix(x.name, "none")
				if identified && (policy == "" || limit == "") || unknown && (policy != "" || limit != "") {
					t.Fatalf("%s: %d with RateLimit-Policy %q, RateLimit %q", x.name, res.Status, policy, limit)
				}
				if strings.HasPrefix(x.name, "own") {
					return
				}
				if strings.HasPrefix(x.name, "suspended") && !regexp.MustCompile(`INVALID_PARTNER_FLOW|"ER805"|"ER800"|"ER702"|"token-invalid"`).Match(res.Body) {
					t.Fatalf("a suspended partner's credential: %s, want the surface's credential error", res.Body)
				}
				for _, s := range acmeSecrets {
					if s != "" && strings.Contains(string(res.Body), s) {
						t.Fatalf("answer to %s credential carries acme's %q: %s", x.name, s, res.Body)
					}
				}
			})
		}
	}
	_ = betaUser

	// And the reverse: acme's live credentials never reach its test-mode
	// user (as its test credentials never reached its live one above).
	testPath := usersPath + "/" + testUser.userID
	live := key(fixture.KeyAcme)
	for _, x := range []struct {
		name, method, path, body string
		headers                  apitest.Headers
		status                   int
	}{
		{"get-user", http.MethodGet, testPath, "", live, 401},
		{"find-user", http.MethodGet, usersPath + "?externalUserId=iso-acmetest-ext", "", live, 404},
		{"get-user-kyc", http.MethodGet, testPath + "/kyc", "", live, 401},
		{"create-verification-link", http.MethodPost, testPath + "/kyc/verification-link", `{"country":"MX"}`, live, 401},
		{"create-user-token", http.MethodPost, testPath + "/token", "", live, 401},
		{"user-info (key + User-Identifier)", http.MethodGet, "/api/v2/user/info", "", apitest.Headers{"partner-api-key": fixture.KeyAcme, "User-Identifier": testUser.identifier}, 401},
		{"link-identifier (key + User-Identifier)", http.MethodPost, "/api/v2/user/link-identifier", `{"identifier":"isotestidentifier000000000000000000000002"}`,
			apitest.Headers{"partner-api-key": fixture.KeyAcme, "User-Identifier": testUser.identifier}, 401},
		{"list-webhook-events", http.MethodGet, "/api/partner/v2/webhooks/events?limit=100", "", live, 200},
		{"delete-user", http.MethodDelete, testPath, "", live, 401},
	} {
		t.Run("live credential on test data/"+x.name, func(t *testing.T) {
			res := c.Do(x.method, x.path, x.headers, x.body)
			if res.Status != x.status || strings.Contains(string(res.Body), testUser.userID) || strings.Contains(string(res.Body), testUser.token) {
				t.Fatalf("%d %s, want %d and nothing of the test user", res.Status, res.Body, x.status)
			}
		})
	}
	// The events: each mode lists its own only.
	ids := func(k string) map[string]bool {
		r := c.Do(http.MethodGet, "/api/partner/v2/webhooks/events?limit=100", key(k), "")
		out := map[string]bool{}
		for _, e := range r.JSON()["data"].(map[string]any)["events"].([]any) {
			ev := e.(map[string]any)
			if ev["livemode"] != (k == fixture.KeyAcme) {
				t.Fatalf("an event of livemode %v listed to %s", ev["livemode"], k)
			}
			out[ev["id"].(string)] = true
		}
		return out
	}
	liveIDs, testIDs := ids(fixture.KeyAcme), ids(keyAcmeTest)
	if len(testIDs) < 3 || len(liveIDs) < 3 {
		t.Fatalf("events: %d live, %d test", len(liveIDs), len(testIDs))
	}
	for id := range testIDs {
		if liveIDs[id] {
			t.Fatalf("event %s listed in both modes", id)
		}
	}
	// The test user is whole: nothing above reached it.
	if r := c.Do(http.MethodGet, testPath, key(keyAcmeTest), ""); r.Status != 200 || !strings.Contains(string(r.Body), `"livemode":false`) {
		t.Fatalf("the test user after the live calls: %d %s", r.Status, r.Body)
	}
}

type partnerUser struct{ userID, token, identifier, session string }

// setupPartnerUser creates a user of the partner with key, mints its
// token, links identifier, sets its federated identity with provider and,
// for acme, opens a KYC session.
func setupPartnerUser(t *testing.T, c *apitest.Client, key, ext, identifier, provider string) partnerUser {
	t.Helper()
	h := apitest.Headers{"partner-api-key": key}
	r := c.Do(http.MethodPost, usersPath, h, `{"externalUserId":"`+ext+`","type":"INDIVIDUAL","method":"EMAIL","identifier":"`+strings.TrimSuffix(ext, "-ext")+`@example.com"}`)
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	u := partnerUser{userID: r.JSON()["data"].(map[string]any)["userId"].(string), identifier: identifier}
	r = c.Do(http.MethodPost, usersPath+"/"+u.userID+"/token", h, "")
	u.token = r.JSON()["data"].(map[string]any)["token"].(string)
	if r := c.Do(http.MethodPost, "/api/v2/user/link-identifier", apitest.Headers{"User-Authorization": "Bearer " + u.token}, `{"identifier":"`+identifier+`"}`); r.Status != 200 {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	if r := c.Do(http.MethodPut, "/federated-identities/"+provider, apitest.Headers{"Authorization": "Bearer " + u.token}, ""); r.Status != 204 {
		t.Fatalf("set: %d %s", r.Status, r.Body)
	}
	if key == fixture.KeyAcme {
		r := c.Do(http.MethodPost, usersPath+"/"+u.userID+"/kyc/verification-link", h, `{"country":"MX","partnerRedirectUri":"https://acme.example/done"}`)
		u.session, _ = r.JSON()["data"].(map[string]any)["sessionId"].(string)
	}
	return u
}
