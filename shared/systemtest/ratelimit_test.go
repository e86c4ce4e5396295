package systemtest_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
	"github.com/partner-identity/api/shared/testkit/moto"
)

// limitedRegistry gives p_acme small budgets that do not come back
// within a test (one request per 100 s) and p_beta a large one.
var limitedRegistry = fmt.Sprintf(`{"partners":[
 {"id":"p_acme","name":"Acme Pay","apiKeySha256":[%q],"flow":"API",
  "kycTemplates":{"DE":{"provider":"sumsub","templateId":"basic-kyc-level"}},"identityProvider":"acme",
  "limits":{"default":{"rate":0.01,"burst":6},"kyc-links":{"rate":0.01,"burst":1},"tokens":{"rate":0.01,"burst":2}}},
 {"id":"p_beta","name":"Beta Checkout","apiKeySha256":[%q],"flow":"API","limits":{"default":{"rate":100,"burst":100}}}
]}`, partners.KeyDigest(fixture.KeyAcme), partners.KeyDigest(fixture.KeyBeta))

var rateLimitHeader = regexp.MustCompile(`^"([a-z-]+)";r=(\d+);t=(\d+)$`)

// remaining checks r's RateLimit-Policy and RateLimit for budget (burst q,
// window w seconds) and returns what remains.
func remaining(t *testing.T, r *apitest.Response, budget string, q, w int) int {
	t.Helper()
	if got, want := r.Header.Get("RateLimit-Policy"), fmt.Sprintf("%q;q=%d;w=%d", budget, q, w); got != want {
		t.Fatalf("RateLimit-Policy %q, want %q (%d %s)", got, want, r.Status, r.Body)
	}
	m := rateLimitHeader.FindStringSubmatch(r.Header.Get("RateLimit"))
	if m == nil || m[1] != budget {
		t.Fatalf("RateLimit %q", r.Header.Get("RateLimit"))
	}
	n, _ := strconv.Atoi(m[2])
	return n
}

// rateItems is every rate budget item of the table, printed.
func rateItems(t *testing.T, w *world) map[string]string {
	out := map[string]string{}
	moto.ScanAll(t, w.db, w.table, func(it map[string]types.AttributeValue) {
		if pk := it["pk"].(*types.AttributeValueMemberS).Value; len(pk) > 5 && pk[:5] == "RATE#" {
			out[pk] = fmt.Sprint(it["tat"])
		}
	})
	return out
}

// TestEachSurfaceAnswersItsRateLimit: on DynamoDB (moto), every answer to
// a partner carries its budget's RateLimit-Policy and RateLimit; past the
// budget each surface answers 429 in its dialect with Retry-After (Partner
// v2 RATE_LIMITED, User v2 ER429, JSON:API rate-limited, the token
// endpoint slow_down); the budget is the partner's in every container and
// on every route, another partner's is its own, the expensive operations
// have theirs; a refused request writes nothing and calls no provider;
// the budget comes back at its rate.
func TestEachSurfaceAnswersItsRateLimit(t *testing.T) {
	w := newWorld(t, limitedRegistry)
	w.countLimiter = true
	c := w.container(t, nil)
	w.sumsub.Now = c.clock.Now
	key := apitest.Headers{"partner-api-key": fixture.KeyAcme}

	// The default budget: 6, one back per 100 s (w=600).
	created := c.api.Do(http.MethodPost, usersPath, key, `{"externalUserId":"rl-1","type":"INDIVIDUAL","method":"EMAIL","identifier":"rl@example.com"}`)
	if created.Status != 201 || remaining(t, created, "default", 6, 600) != 5 {
		t.Fatalf("create: %d %s %v", created.Status, created.Body, created.Header)
	}
	userID := created.JSON()["data"].(map[string]any)["userId"].(string)
	tok := c.api.Do(http.MethodPost, usersPath+"/"+userID+"/token", key, "")
	if tok.Status != 201 || remaining(t, tok, "tokens", 2, 200) != 1 {
		t.Fatalf("token: %d %s", tok.Status, tok.Body)
	}
	token := tok.JSON()["data"].(map[string]any)["token"].(string)
	const ident = "ratelimitidentifier000000000000000000001"
	if r := c.api.Do(http.MethodPost, "/api/v2/user/link-identifier", apitest.Headers{"User-Authorization": "Bearer " + token}, `{"identifier":"`+ident+`"}`); r.Status != 200 || remaining(t, r, "default", 6, 600) != 4 {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	// A bad request is a request: it draws on the budget too.
	if r := c.api.Do(http.MethodGet, usersPath+"/not-a-user", key, ""); r.Status != 404 || remaining(t, r, "default", 6, 600) != 3 {
		t.Fatalf("404: %d %s", r.Status, r.Body)
	}
	for want := 2; want >= 0; want-- {
		if r := c.api.Do(http.MethodGet, usersPath+"/"+userID, key, ""); r.Status != 200 || remaining(t, r, "default", 6, 600) != want {
			t.Fatalf("get, %d to remain: %d %s %q", want, r.Status, r.Body, r.Header.Get("RateLimit"))
		}
	}

	// Past it: each surface's 429, nothing written, in this container and
	// in another.
	before, rates := moto.Snapshot(t, w.db, w.table), rateItems(t, w)
	c.reset()
	other := w.container(t, nil)
	refused := []struct {
		name string
		c    *container
		do   func(c *container) *apitest.Response
		code string
	}{
		{"Partner v2", c, func(c *container) *apitest.Response { return c.api.Do(http.MethodGet, usersPath+"/"+userID, key, "") }, "RATE_LIMITED"},
		{"Partner v2, a write", c, func(c *container) *apitest.Response {
			return c.api.Do(http.MethodPost, usersPath, key, `{"externalUserId":"rl-2","type":"INDIVIDUAL"}`)
		}, "RATE_LIMITED"},
		{"User v2", c, func(c *container) *apitest.Response {
			return c.api.Do(http.MethodGet, "/api/v2/user/info", apitest.Headers{"partner-api-key": fixture.KeyAcme, "User-Identifier": ident}, "")
		}, "ER429"},
		{"JSON:API", c, func(c *container) *apitest.Response {
			return c.api.Do(http.MethodGet, "/federated-identities", apitest.Headers{"Authorization": "Bearer " + token}, "")
		}, "rate-limited"},
		{"another container", other, func(c *container) *apitest.Response { return c.api.Do(http.MethodGet, usersPath+"/"+userID, key, "") }, "RATE_LIMITED"},
	}
	// One request comes back in 100 s; a container waits up to a quarter
	// of that more (at random, so that containers do not all ask at once).
	retryAfter := 0
	for _, rf := range refused {
		r := rf.do(rf.c)
		retry, _ := strconv.Atoi(r.Header.Get("Retry-After"))
		if r.Status != 429 || retry < 100 || retry > 125 || remaining(t, r, "default", 6, 600) != 0 || errorCode(r) != rf.code {
			t.Fatalf("%s: %d %s Retry-After %q RateLimit %q, want 429 %s", rf.name, r.Status, r.Body, r.Header.Get("Retry-After"), r.Header.Get("RateLimit"), rf.code)
		}
		retryAfter = max(retryAfter, retry)
	}
	if d := diff(before, moto.Snapshot(t, w.db, w.table)); d != "" {
		t.Fatalf("a refused request wrote:\n%s", d)
	}
	if d := fmt.Sprint(rateItems(t, w)); d != fmt.Sprint(rates) {
		t.Fatalf("a refused request drew on the budget: %s, was %s", d, fmt.Sprint(rates))
	}
	for _, op := range []string{"PutItem", "TransactWriteItems", "DeleteItem", "BatchWriteItem"} {
		if n := c.calls.Get(op) + other.calls.Get(op); n != 0 {
			t.Fatalf("%d %s by refused requests", n, op)
		}
	}
	// The first refusal in a container costs one conditional write that
	// fails; the next ones none.
	if n := c.calls.Get("UpdateItem"); n > 1 {
		t.Fatalf("%d UpdateItem for four refusals in one container", n)
	}

	// Another partner's budget is its own; a request without a partner
	// (a wrong key) carries no budget.
	if r := c.api.Do(http.MethodGet, "/api/partner/v2/api-keys", apitest.Headers{"partner-api-key": fixture.KeyBeta}, ""); r.Status != 200 || remaining(t, r, "default", 100, 1) != 99 {
		t.Fatalf("p_beta: %d %s %q", r.Status, r.Body, r.Header.Get("RateLimit"))
	}
	if r := c.api.Do(http.MethodGet, "/api/partner/v2/api-keys", apitest.Headers{"partner-api-key": fixture.KeyUnknown}, ""); r.Status != 401 || r.Header.Get("RateLimit") != "" {
		t.Fatalf("unknown key: %d %q", r.Status, r.Header.Get("RateLimit"))
	}

	// The tokens budget: the token endpoint takes the last, then slow_down.
	form := apitest.Headers{"Content-Type": "application/x-www-form-urlencoded"}
	grant := "grant_type=client_credentials&client_id=p_acme&client_secret=" + fixture.KeyAcme
	if r := c.api.Do(http.MethodPost, "/oauth2/token", form, grant); r.Status != 200 || remaining(t, r, "tokens", 2, 200) != 0 {
		t.Fatalf("token endpoint: %d %s", r.Status, r.Body)
	}
	if r := c.api.Do(http.MethodPost, "/oauth2/token", form, grant); r.Status != 429 || r.JSON()["error"] != "slow_down" || r.Header.Get("Retry-After") < "100" || r.Header.Get("Retry-After") > "125" {
		t.Fatalf("token endpoint past its budget: %d %s", r.Status, r.Body)
	}

	// Back at the rate: after Retry-After, one request fits.
	c.clock.Add(time.Duration(retryAfter) * time.Second)
	if r := c.api.Do(http.MethodGet, usersPath+"/"+userID, key, ""); r.Status != 200 || remaining(t, r, "default", 6, 600) != 0 {
		t.Fatalf("after Retry-After: %d %s %q", r.Status, r.Body, r.Header.Get("RateLimit"))
	}

	// The KYC links' budget (1): a link calls the provider; the next is
	// refused before it.
	if r := c.api.Do(http.MethodPost, usersPath+"/"+userID+"/kyc/verification-link", key, `{"country":"DE"}`); r.Status != 201 || remaining(t, r, "kyc-links", 1, 100) != 0 {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	calls := len(w.sumsub.Bodies())
	if r := c.api.Do(http.MethodPost, usersPath+"/"+userID+"/kyc/verification-link", key, `{"country":"DE"}`); r.Status != 429 || errorCode(r) != "RATE_LIMITED" {
		t.Fatalf("second link: %d %s", r.Status, r.Body)
	}
	if len(w.sumsub.Bodies()) != calls {
		t.Fatal("a refused link called the provider")
	}
}
