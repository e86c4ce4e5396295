package partnerv2_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/kyc"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
	"github.com/partner-identity/api/shared/testkit/moto"
)

func TestCreateUserConcurrentOnMoto(t *testing.T) {
	srv := moto.Require(t)
	db, table := srv.NewTable(t, nil, nil)
	c := fixture.Client(t, dynamostore.New(db, table), fixture.Options{})
	id := assertOneUserUnderRace(t, c, 50)
	counts := moto.CountItems(t, db, table)
	if counts["USER"] != 1 || counts["GUARD"] != 1 {
		t.Fatalf("items by type %v, want exactly one USER and one GUARD", counts)
	}
	r := c.Do(http.MethodGet, usersPath+"/"+id, headers(keyAcme), "")
	if r.Status != 200 {
		t.Fatalf("get after race: %d", r.Status)
	}
}

func TestDynamoDBCallsPerCreate(t *testing.T) {
	srv := moto.Require(t)
	calls := moto.NewCalls()
	db, table := srv.NewTable(t, calls, nil)
	s := dynamostore.New(db, table)
	dir := fixture.Partners(t, s, nil)
	c := fixture.Client(t, s, fixture.Options{Partners: dir})
	body := `{"externalUserId":"ext-calls","type":"INDIVIDUAL","method":"EMAIL","identifier":"calls@example.com"}`
	steps := []struct {
		name   string
		body   string
		status int
		// keyReads: the key's GetItem and its last use's UpdateItem, on
		// the container's first request only (partners.Directory caches
		// the key a minute, and records its use once a day).
		keyReads int
	}{
		{"create new", body, 201, 1},
		{"replay", body, 200, 0},
		{"conflict", `{"externalUserId":"ext-calls","type":"BUSINESS"}`, 409, 0},
	}
	for _, s := range steps {
		calls.Reset()
		r := c.Do(http.MethodPost, usersPath, headers(keyAcme), s.body)
		if r.Status != s.status {
			t.Fatalf("%s: status %d, want %d", s.name, r.Status, s.status)
		}
		dir.Wait()
		if got := calls.Get("TransactWriteItems"); got != 1 || calls.Get("GetItem") != s.keyReads || calls.Get("UpdateItem") != s.keyReads ||
			calls.Total() != 1+2*s.keyReads {
			t.Fatalf("%s: %d TransactWriteItems, %d GetItem, %d UpdateItem, %d calls in all; want 1, %d, %d", s.name, got,
				calls.Get("GetItem"), calls.Get("UpdateItem"), calls.Total(), s.keyReads, s.keyReads)
		}
	}
	// A rejected request costs no call at all.
	calls.Reset()
	if r := c.Do(http.MethodPost, usersPath, headers(keyAcme), `{"type":"X"}`); r.Status != 400 || calls.Total() != 0 {
		t.Fatalf("bad input: %d with %d calls", r.Status, calls.Total())
	}
}

// TestPartnerKeysFromTheTableOnMoto: 100 concurrent first requests of a
// container with one key read it once; within the directory's minute no
// request reads it again; after it, once more.
func TestPartnerKeysFromTheTableOnMoto(t *testing.T) {
	srv := moto.Require(t)
	calls := moto.NewCalls()
	db, table := srv.NewTable(t, calls, nil)
	clk := testkit.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	s := dynamostore.New(db, table)
	dir := fixture.Partners(t, s, clk.Now)
	c := fixture.Client(t, s, fixture.Options{Now: clk.Now, Partners: dir})
	unknownUser := usersPath + "/2f1c6b52-8d8e-4a55-9d53-3c8d2b0f4a11"

	calls.Reset()
	var wg sync.WaitGroup
	statuses := make(chan int, 100)
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- c.Do(http.MethodGet, unknownUser, headers(keyAcme), "").Status
		}()
	}
	wg.Wait()
	dir.Wait()
	close(statuses)
	for s := range statuses {
		if s != 404 {
			t.Fatalf("status %d, want 404 (authenticated, no such user)", s)
		}
	}
	// 100 reads of the user, 1 of the key (its last use is an UpdateItem).
	if got := calls.Get("GetItem"); got != 101 {
		t.Fatalf("%d GetItem for 100 concurrent first requests, want 101", got)
	}
	calls.Reset()
	clk.Add(partners.CacheTTL - time.Second)
	c.Do(http.MethodGet, unknownUser, headers(keyAcme), "")
	if got := calls.Get("GetItem"); got != 1 {
		t.Fatalf("%d GetItem within the minute, want 1 (the user's)", got)
	}
	calls.Reset()
	clk.Add(2 * time.Second)
	c.Do(http.MethodGet, unknownUser, headers(keyAcme), "")
	if got := calls.Get("GetItem"); got != 2 {
		t.Fatalf("%d GetItem after the minute, want 2 (the key's again, the user's)", got)
	}
}

// TestTableDownAtTheKeyIs500: a key that cannot be looked up is a 500 in
// the dialect with the generic message (not the route's: its work never
// started), nothing written; a missing key is refused with no call.
func TestTableDownAtTheKeyIs500(t *testing.T) {
	srv := moto.Require(t)
	calls := moto.NewCalls()
	fault := moto.Fault(func(op string) error {
		return &smithy.GenericAPIError{Code: "InternalServerError", Message: "injected"}
	})
	db, table := srv.NewTable(t, calls, &fault)
	// The partners are in a table of their own, which answers: the
	// outage is the request's lookup of its key in the table that fails.
	failing := dynamostore.New(db, table)
	c := fixture.Client(t, failing, fixture.Options{Partners: partners.NewDirectory(failing, nil)})
	calls.Reset()
	r := c.Do(http.MethodPost, usersPath, headers(keyAcme), `{"externalUserId":"ext-down","type":"INDIVIDUAL"}`)
	code, msg, _ := errorOf(t, r)
	if r.Status != 500 || code != "INTERNAL_SERVER_ERROR" || msg != "Internal server error" || calls.Get("TransactWriteItems") != 0 {
		t.Fatalf("%d %s %q, %d writes", r.Status, code, msg, calls.Get("TransactWriteItems"))
	}
	calls.Reset()
	if r := c.Do(http.MethodPost, usersPath, headers(""), `{}`); r.Status != 401 || calls.Total() != 0 {
		t.Fatalf("missing key: %d, %d calls", r.Status, calls.Total())
	}
}

// TestTestDataExpiresOnMoto: every item a test key's calls write carries a
// TTL at most 30 days (domain.TestDataRetention) ahead: the user, its
// guard, its link, its federated identity, its session and the session's
// reference, its events; the same calls with a live key write the user,
// guard, link and federated identity without one.
func TestTestDataExpiresOnMoto(t *testing.T) {
	srv := moto.Require(t)
	db, table := srv.NewTable(t, nil, nil)
	c := fixture.Client(t, dynamostore.New(db, table), fixture.Options{})
	users := map[string]string{}
	for _, key := range []string{keyAcme, keyAcmeTest} {
		r := c.Do(http.MethodPost, usersPath, headers(key), `{"externalUserId":"ttl-user","type":"INDIVIDUAL"}`)
		if r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		id := data(r)["userId"].(string)
		users[key] = id
		tok := data(c.Do(http.MethodPost, usersPath+"/"+id+"/token", headers(key), ""))["token"].(string)
		if r := c.Do(http.MethodPost, "/api/v2/user/link-identifier", apitest.Headers{"User-Authorization": "Bearer " + tok}, `{"identifier":"ttlidentifier0000000000000000000000000001"}`); r.Status != 200 {
			t.Fatalf("link: %d %s", r.Status, r.Body)
		}
		if r := c.Do(http.MethodPut, "/federated-identities/acme", apitest.Headers{"Authorization": "Bearer " + tok}, ""); r.Status != 204 {
			t.Fatalf("federated identity: %d %s", r.Status, r.Body)
		}
		if r := c.Do(http.MethodPost, linkPath(id), headers(key), `{"country":"MX"}`); r.Status != 201 {
			t.Fatalf("session: %d %s", r.Status, r.Body)
		}
	}
	limit := time.Now().Add(domain.TestDataRetention + time.Minute).Unix()
	seen := map[string]map[string]bool{"test": {}, "live": {}}
	moto.ScanAll(t, db, table, func(it map[string]types.AttributeValue) {
		partner, _ := it["partnerId"].(*types.AttributeValueMemberS)
		user, _ := it["userId"].(*types.AttributeValueMemberS)
		typ, _ := it["type"].(*types.AttributeValueMemberS)
		if typ == nil {
			return
		}
		pk, _ := it["pk"].(*types.AttributeValueMemberS)
		if strings.HasPrefix(typ.Value, "PARTNER") || typ.Value == "API_KEY" {
			return // the partner's own records: not test data
		}
		mode := ""
		switch {
		case partner != nil && partner.Value == "p_acme.test", user != nil && user.Value == users[keyAcmeTest],
			pk != nil && pk.Value == "USER#"+users[keyAcmeTest]:
			mode = "test"
		case partner != nil && partner.Value == "p_acme" && typ.Value != "OUTBOX" && typ.Value != "KYC_SESSION" && typ.Value != "KYC_SESSION_REF":
			mode = "live"
		default:
			return
		}
		ttl, has := it["ttl"].(*types.AttributeValueMemberN)
		seen[mode][typ.Value] = true
		switch {
		case mode == "live" && has:
			t.Errorf("a live %s item has a TTL: %v", typ.Value, it)
		case mode == "test" && !has:
			t.Errorf("a test-mode %s item has no TTL: %v", typ.Value, it)
		case mode == "test":
			if n, err := strconv.ParseInt(ttl.Value, 10, 64); err != nil || n > limit {
				t.Errorf("a test-mode %s item's TTL %s is past 30 days", typ.Value, ttl.Value)
			}
		}
	})
	for _, typ := range []string{"USER", "GUARD", "LINK", "FEDERATED_IDENTITY", "KYC_SESSION", "KYC_SESSION_REF", "OUTBOX"} {
		if !seen["test"][typ] {
			t.Errorf("no test-mode %s item seen: %v", typ, seen["test"])
		}
	}
	for _, typ := range []string{"USER", "GUARD", "LINK", "FEDERATED_IDENTITY"} {
		if !seen["live"][typ] {
			t.Errorf("no live %s item seen: %v", typ, seen["live"])
		}
	}
}

// TestSandboxWipe: DELETE /sandbox/data with a test key (202) and the
// cleanup's next run erase every test-mode user of the partner, with its
// sessions; live users stay; a live key may not ask (403), and nothing is
// wiped before the cleanup runs. On both stores.
func TestSandboxWipe(t *testing.T) {
	srv := moto.Require(t)
	db, table := srv.NewTable(t, nil, nil)
	for name, s := range map[string]domain.Store{"memory": memstore.New(), "dynamodb": dynamostore.New(db, table)} {
		t.Run(name, func(t *testing.T) {
			c := fixture.Client(t, s, fixture.Options{})
			var testUsers, liveUsers []string
			for i, key := range []string{keyAcmeTest, keyAcmeTest, keyAcme} {
				r := c.Do(http.MethodPost, usersPath, headers(key), `{"externalUserId":"wipe-`+strconv.Itoa(i)+`","type":"INDIVIDUAL"}`)
				id := data(r)["userId"].(string)
				if r := c.Do(http.MethodPost, linkPath(id), headers(key), `{"country":"MX"}`); r.Status != 201 {
					t.Fatalf("session: %d %s", r.Status, r.Body)
				}
				if key == keyAcme {
					liveUsers = append(liveUsers, id)
				} else {
					testUsers = append(testUsers, id)
				}
			}
			wipe := "/api/partner/v2/sandbox/data"
			if r := c.Do(http.MethodDelete, wipe, headers(keyAcme), ""); r.Status != 403 {
				t.Fatalf("a live key's wipe: %d %s", r.Status, r.Body)
			}
			if r := c.Do(http.MethodDelete, wipe, headers(keyAcmeTest), `{"all":true}`); r.Status != 400 {
				t.Fatalf("a wipe with a body: %d %s", r.Status, r.Body)
			}
			if r := c.Do(http.MethodDelete, wipe, headers(keyAcmeTest), ""); r.Status != 202 || data(r)["livemode"] != false {
				t.Fatalf("wipe: %d %s", r.Status, r.Body)
			}
			status := func(key, id string) int { return c.Do(http.MethodGet, usersPath+"/"+id, headers(key), "").Status }
			if status(keyAcmeTest, testUsers[0]) != 200 {
				t.Fatal("wiped before the cleanup ran")
			}
			res, err := kyc.NewCleaner(s, time.Now).Run(context.Background())
			if err != nil || res.Wipes != 1 || res.Wiped != 2 {
				t.Fatalf("cleanup: %+v %v", res, err)
			}
			for _, id := range testUsers {
				if st := status(keyAcmeTest, id); st != 404 {
					t.Fatalf("test user %s after the wipe: %d", id, st)
				}
			}
			if st := status(keyAcme, liveUsers[0]); st != 200 {
				t.Fatalf("live user after the wipe: %d", st)
			}
			if r := c.Do(http.MethodGet, usersPath+"/"+liveUsers[0]+"/kyc", headers(keyAcme), ""); len(data(r)["sessions"].([]any)) != 1 {
				t.Fatalf("live sessions after the wipe: %s", r.Body)
			}
			// Carried out once: the next run finds nothing to wipe.
			if res, err := kyc.NewCleaner(s, time.Now).Run(context.Background()); err != nil || res.Wipes != 0 {
				t.Fatalf("cleanup again: %+v %v", res, err)
			}
		})
	}
}
