package userv2_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/domain/servicekeys"
	"github.com/partner-identity/api/shared/domain/tokens"
	"github.com/partner-identity/api/shared/domain/users"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
)

// TestEveryERCode reaches each ER code of the surface and asserts the
// status and the exact body.
func TestEveryERCode(t *testing.T) {
	clk := testkit.NewClock(time.Now())
	e := fixture.NewEnv(t, fixture.Options{Now: clk.Now})
	c := e.Client
	alice := createUser(t, c, fixture.KeyAcme, "er-alice")
	bob := createUser(t, c, fixture.KeyAcme, "er-bob")
	tokAlice, tokBob := mint(t, c, fixture.KeyAcme, alice), mint(t, c, fixture.KeyAcme, bob)
	if r := c.Do(http.MethodPost, linkPath, bearer(tokBob), linkBody(identB)); r.Status != 200 {
		t.Fatalf("bob's link: %d %s", r.Status, r.Body)
	}
	keys := fixture.ServiceKeys(t)
	// A user that no longer exists: a valid token of a user id the store
	// does not hold.
	tokGone, _ := tokens.Mint(keys, users.NewUserID(true), "p_acme", clk.Now(), time.Hour)
	expired, _ := tokens.Mint(keys, alice, "p_acme", clk.Now().Add(-2*time.Hour), time.Hour)

	type call struct {
		method, path string
		h            apitest.Headers
		body         string
	}
	link := func(h apitest.Headers, body string) call { return call{http.MethodPost, linkPath, h, body} }
	info := func(h apitest.Headers) call { return call{http.MethodGet, infoPath, h, ""} }
	with := func(a, b apitest.Headers) apitest.Headers {
		out := apitest.Headers{}
		for k, v := range a {
			out[k] = v
		}
		for k, v := range b {
			out[k] = v
		}
		return out
	}
	cases := []struct {
		name   string
		call   call
		status int
		code   string
	}{
		{"ER053 identifier missing", link(bearer(tokAlice), `{}`), 400, "ER053"},
		{"ER053 identifier null", link(bearer(tokAlice), `{"identifier":null}`), 400, "ER053"},
		{"ER053 identifier empty", link(bearer(tokAlice), `{"identifier":""}`), 400, "ER053"},
		{"ER053 body not JSON", link(bearer(tokAlice), `identifier=abc`), 400, "ER053"},
		{"ER102 too short", link(bearer(tokAlice), linkBody(strings.Repeat("a", 35))), 400, "ER102"},
		{"ER102 too long", link(bearer(tokAlice), linkBody(strings.Repeat("a", 256))), 400, "ER102"},
		{"ER707 not alphanumeric", link(bearer(tokAlice), linkBody(strings.Repeat("a", 35)+"-")), 400, "ER707"},
		{"ER053 body of another content type", link(with(bearer(tokAlice), apitest.Headers{"Content-Type": "text/plain"}), linkBody(identC)), 400, "ER053"},
		{"ER053 body not an object", link(bearer(tokAlice), `["`+identC+`"]`), 400, "ER053"},
		{"ER053 body empty", link(bearer(tokAlice), ` `), 400, "ER053"},
		{"ER102 counted in characters: 35 two-byte characters", link(bearer(tokAlice), linkBody(strings.Repeat("é", 35))), 400, "ER102"},
		{"ER102 an identifier of 70,000 characters, whatever the body size", link(bearer(tokAlice), linkBody(strings.Repeat("a", 70000))), 400, "ER102"},
		{"ER102 an identifier of 40,000 characters within the body limit", link(bearer(tokAlice), linkBody(strings.Repeat("a", 40000))), 400, "ER102"},
		{"ER707 200 two-byte characters: in bounds, not alphanumeric", link(bearer(tokAlice), linkBody(strings.Repeat("é", 200))), 400, "ER707"},
		{"ER707 36 Arabic-Indic digits: digits, not ASCII", link(bearer(tokAlice), linkBody(strings.Repeat("٣", 36))), 400, "ER707"},
		{"ER707 identifier given twice", link(bearer(tokAlice), `{"identifier":"`+identC+`","identifier":"`+identC+`"}`), 400, "ER707"},
		{"ER707 an unpaired surrogate escape", link(bearer(tokAlice), `{"identifier":"`+identC+`\ud800"}`), 400, "ER707"},
		{"ER707 invalid UTF-8", link(bearer(tokAlice), "{\"identifier\":\""+identC+"\xff\"}"), 400, "ER707"},
		{"ER707 not a string", link(bearer(tokAlice), `{"identifier":123456789012345678901234567890123456789}`), 400, "ER707"},
		{"ER707 malformed User-Identifier with a key", info(with(partnerKey(fixture.KeyAcme), apitest.Headers{"User-Identifier": "short"})), 400, "ER707"},
		{"ER707 malformed User-Identifier with a token", info(with(bearer(tokAlice), apitest.Headers{"User-Identifier": "bad id"})), 400, "ER707"},
		{"ER706 in use by another user", link(bearer(tokAlice), linkBody(identB)), 409, "ER706"},
		{"ER709 user deleted (link)", link(bearer(tokGone.Token), linkBody(identC)), 404, "ER709"},
		{"ER709 user deleted (info)", info(bearer(tokGone.Token)), 404, "ER709"},
		{"ER700 no credentials", info(apitest.Headers{}), 401, "ER700"},
		{"ER700 Bearer without token", info(apitest.Headers{"User-Authorization": "Bearer "}), 401, "ER700"},
		{"ER701 expired", info(bearer(expired.Token)), 401, "ER701"},
		{"ER702 garbage", info(bearer("not.a.token")), 401, "ER702"},
		{"ER702 another scheme", info(apitest.Headers{"User-Authorization": "Basic " + tokAlice}), 401, "ER702"},
		{"ER703 identifier of another user", info(with(bearer(tokAlice), apitest.Headers{"User-Identifier": identB})), 403, "ER703"},
		{"ER704 key without User-Identifier", info(partnerKey(fixture.KeyAcme)), 401, "ER704"},
		{"ER705 identifier not linked", info(with(partnerKey(fixture.KeyAcme), apitest.Headers{"User-Identifier": identC})), 401, "ER705"},
		{"ER705 identifier linked at another partner", info(with(partnerKey(fixture.KeyBeta), apitest.Headers{"User-Identifier": identB})), 401, "ER705"},
		{"ER803 token and key", info(with(bearer(tokAlice), partnerKey(fixture.KeyAcme))), 401, "ER803"},
		{"ER805 key malformed", info(with(partnerKey("bad key!"), apitest.Headers{"User-Identifier": identB})), 401, "ER805"},
		{"ER805 key unknown", info(with(partnerKey(fixture.KeyUnknown), apitest.Headers{"User-Identifier": identB})), 401, "ER805"},
		{"ER806 identifier without key", info(apitest.Headers{"User-Identifier": identB}), 401, "ER806"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.Mem.Outbox())
			r := c.Do(tc.call.method, tc.call.path, tc.call.h, tc.call.body)
			assertER(t, r, tc.status, tc.code)
			if len(e.Mem.Outbox()) != before {
				t.Fatal("a refused request wrote an event")
			}
		})
	}
	if u, _ := e.Mem.GetUser(context.Background(), alice); u.LinkedIdentifierHash != "" {
		t.Fatal("a refused request linked alice")
	}
}

func TestER999OnDependencyFaults(t *testing.T) {
	e := fixture.NewEnv(t, fixture.Options{})
	alice := createUser(t, e.Client, fixture.KeyAcme, "er999-alice")
	token := mint(t, e.Client, fixture.KeyAcme, alice)

	storeDown := fixture.Client(t, &fixture.FailingStore{}, fixture.Options{})
	r := storeDown.Do(http.MethodPost, linkPath, bearer(token), linkBody(identA))
	assertER(t, r, 500, "ER999")
	if strings.Contains(string(r.Body), "dynamodb") {
		t.Fatal("internal text leaked")
	}
	keysDown := fixture.Client(t, e.Mem, fixture.Options{Keys: func(context.Context) (*servicekeys.Keys, error) {
		return nil, errors.New("secrets manager unavailable")
	}})
	assertER(t, keysDown.Do(http.MethodGet, infoPath, bearer(token), ""), 500, "ER999")
}
