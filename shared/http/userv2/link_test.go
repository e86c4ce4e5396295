package userv2_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/adapters/storetest"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/outbox"
	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
	"github.com/partner-identity/api/shared/testkit/moto"
)

func byIdentifier(key, id string) apitest.Headers {
	return apitest.Headers{"partner-api-key": key, "User-Identifier": id}
}

func TestLinkRelinkReplaceAndInfo(t *testing.T) {
	e := fixture.NewEnv(t, fixture.Options{})
	c := e.Client
	alice := createUser(t, c, fixture.KeyAcme, "link-alice")
	tok := mint(t, c, fixture.KeyAcme, alice)

	r := c.Do(http.MethodPost, linkPath, bearer(tok), linkBody(identA))
	if r.Status != 200 || string(r.Body) != `{"message":"User identifier linked successfully."}` {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	// Linking the same identifier again: success, nothing written.
	for i := 0; i < 2; i++ {
		if r := c.Do(http.MethodPost, linkPath, bearer(tok), linkBody(identA)); r.Status != 200 {
			t.Fatalf("relink: %d", r.Status)
		}
	}
	if n := storetest.CountLinkEvents(e.Mem.Outbox()); n != 1 {
		t.Fatalf("outbox after a relink: %d link events, want 1", n)
	}
	// The checkout flow finds alice by the identifier.
	info := c.Do(http.MethodGet, infoPath, byIdentifier(fixture.KeyAcme, identA), "")
	if info.Status != 200 || info.JSON()["userId"] != alice || info.JSON()["identifierLinked"] != true || info.JSON()["partnerId"] != "p_acme" {
		t.Fatalf("info by identifier: %d %s", info.Status, info.Body)
	}
	// A token with the matching User-Identifier is accepted too.
	h := bearer(tok)
	h["User-Identifier"] = identA
	if r := c.Do(http.MethodGet, infoPath, h, ""); r.Status != 200 {
		t.Fatalf("token + own identifier: %d %s", r.Status, r.Body)
	}
	// Another identifier replaces the first, atomically.
	if r := c.Do(http.MethodPost, linkPath, bearer(tok), linkBody(identC)); r.Status != 200 {
		t.Fatalf("replace: %d %s", r.Status, r.Body)
	}
	assertER(t, c.Do(http.MethodGet, infoPath, byIdentifier(fixture.KeyAcme, identA), ""), 401, "ER705")
	if r := c.Do(http.MethodGet, infoPath, byIdentifier(fixture.KeyAcme, identC), ""); r.Status != 200 || r.JSON()["userId"] != alice {
		t.Fatalf("new identifier: %d %s", r.Status, r.Body)
	}
	if n := e.Mem.LinkCount(); n != 1 {
		t.Fatalf("links %d, want 1", n)
	}
	// The events carry the raw identifiers (for the webhook) and nothing else stores them.
	var evs []domain.OutboxEvent
	for _, ev := range e.Mem.Outbox() {
		if ev.Type == outbox.UserIdentifierLinked {
			evs = append(evs, ev)
		}
	}
	if len(evs) != 2 || evs[0].PartnerID != "p_acme" {
		t.Fatalf("events %+v", evs)
	}
	var payload struct {
		Type string            `json:"type"`
		Data map[string]string `json:"data"`
	}
	if err := json.Unmarshal(evs[1].Payload, &payload); err != nil || payload.Data["identifier"] != identC || payload.Data["userId"] != alice {
		t.Fatalf("payload %s", evs[1].Payload)
	}
	u, _ := e.Mem.GetUser(context.Background(), alice)
	l, _ := e.Mem.GetLink(context.Background(), "p_acme", u.LinkedIdentifierHash)
	if strings.Contains(u.LinkedIdentifierHash, identC) || l.UserID != alice || len(u.LinkedIdentifierHash) != 64 {
		t.Fatalf("stored hash %q, link %+v", u.LinkedIdentifierHash, l)
	}
}

// TestBodyCannotRedirectTheLink: whatever else the body says, the
// identifier goes to the token's user.
func TestBodyCannotRedirectTheLink(t *testing.T) {
	e := fixture.NewEnv(t, fixture.Options{})
	c := e.Client
	alice := createUser(t, c, fixture.KeyAcme, "redirect-alice")
	victim := createUser(t, c, fixture.KeyAcme, "redirect-victim")
	tok := mint(t, c, fixture.KeyAcme, alice)
	body := `{"identifier":"` + identA + `","userId":"` + victim + `","user":{"id":"` + victim + `"},"sub":"` + victim + `","partnerId":"p_beta"}`
	if r := c.Do(http.MethodPost, linkPath, bearer(tok), body); r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	r := c.Do(http.MethodGet, infoPath, byIdentifier(fixture.KeyAcme, identA), "")
	if r.JSON()["userId"] != alice {
		t.Fatalf("the identifier went to %v, want alice", r.JSON()["userId"])
	}
	if v, _ := e.Mem.GetUser(context.Background(), victim); v.LinkedIdentifierHash != "" {
		t.Fatal("the victim was linked")
	}
	// Partner key + User-Identifier authenticates as the identifier's owner,
	// so the body cannot pick another user that way either.
	if r := c.Do(http.MethodPost, linkPath, byIdentifier(fixture.KeyAcme, identA), `{"identifier":"`+identC+`","userId":"`+victim+`"}`); r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if r := c.Do(http.MethodGet, infoPath, byIdentifier(fixture.KeyAcme, identC), ""); r.JSON()["userId"] != alice {
		t.Fatalf("the identifier went to %v, want alice", r.JSON()["userId"])
	}
}

// raceLinks has two users of one partner link the same identifier at once,
// several times: each time exactly one link, one 200 and one ER706.
func raceLinks(t *testing.T, c *apitest.Client, s domain.Store) {
	for round := 0; round < 5; round++ {
		a := createUser(t, c, fixture.KeyAcme, "race-a-"+string(rune('0'+round)))
		b := createUser(t, c, fixture.KeyAcme, "race-b-"+string(rune('0'+round)))
		ta, tb := mint(t, c, fixture.KeyAcme, a), mint(t, c, fixture.KeyAcme, b)
		id := strings.Repeat(string(rune('k'+round)), 40)
		var wg sync.WaitGroup
		statuses := map[string]int{}
		var mu sync.Mutex
		for user, tok := range map[string]string{a: ta, b: tb} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := c.Do(http.MethodPost, linkPath, bearer(tok), linkBody(id))
				mu.Lock()
				statuses[user] = r.Status
				mu.Unlock()
			}()
		}
		wg.Wait()
		r := c.Do(http.MethodGet, infoPath, byIdentifier(fixture.KeyAcme, id), "")
		winner, _ := r.JSON()["userId"].(string)
		loser := map[string]string{a: b, b: a}[winner]
		if statuses[winner] != 200 || statuses[loser] != 409 {
			t.Fatalf("round %d: winner %s %d, loser %d", round, winner, statuses[winner], statuses[loser])
		}
		if u, _ := s.GetUser(context.Background(), loser); u.LinkedIdentifierHash != "" {
			t.Fatalf("round %d: the loser recorded a link", round)
		}
	}
}

func TestLinkRaceInMemory(t *testing.T) {
	mem := memstore.New()
	raceLinks(t, fixture.Client(t, mem, fixture.Options{}), mem)
	if n := mem.LinkCount(); n != 5 {
		t.Fatalf("links %d, want 5", n)
	}
}

func TestLinkRaceOnMoto(t *testing.T) {
	db, table := moto.Require(t).NewTable(t, nil, nil)
	s := dynamostore.New(db, table)
	raceLinks(t, fixture.Client(t, s, fixture.Options{}), s)
	evs, err := moto.OutboxEvents(context.Background(), db, table)
	if err != nil || storetest.CountLinkEvents(evs) != 5 {
		t.Fatalf("outbox events %d (%v), want one per round", len(evs), err)
	}
}

func TestDynamoDBCallsPerLink(t *testing.T) {
	calls := moto.NewCalls()
	db, table := moto.Require(t).NewTable(t, calls, nil)
	s := dynamostore.New(db, table)
	dir := fixture.Partners(t, s, nil)
	c := fixture.Client(t, s, fixture.Options{Partners: dir})
	alice := createUser(t, c, fixture.KeyAcme, "calls-alice")
	tok := mint(t, c, fixture.KeyAcme, alice)
	dir.Wait() // the key's last use, recorded in the background
	for _, step := range []struct {
		name          string
		id            string
		get, transact int
	}{
		{"first link", identA, 2, 1}, // the token's partner, once a minute per container
		{"same again (no write)", identA, 1, 0},
		{"replace", identC, 1, 1},
	} {
		calls.Reset()
		if r := c.Do(http.MethodPost, linkPath, bearer(tok), linkBody(step.id)); r.Status != 200 {
			t.Fatalf("%s: %d %s", step.name, r.Status, r.Body)
		}
		if calls.Get("GetItem") != step.get || calls.Get("TransactWriteItems") != step.transact || calls.Total() != step.get+step.transact {
			t.Fatalf("%s: %d GetItem, %d TransactWriteItems, %d in all", step.name, calls.Get("GetItem"), calls.Get("TransactWriteItems"), calls.Total())
		}
	}
	calls.Reset()
	if r := c.Do(http.MethodGet, infoPath, byIdentifier(fixture.KeyAcme, identC), ""); r.Status != 200 || calls.Total() != 2 {
		t.Fatalf("info by identifier: %d with %d calls, want 200 with 2 (link, user)", r.Status, calls.Total())
	}
}
