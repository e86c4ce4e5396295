package systemtest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/lambda/dispatch"
	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
	"github.com/partner-identity/api/shared/testkit/moto"
)

// linkHashOf is the HMAC under which userID's identifier is linked, read
// from the table (the value every hashed copy of the identifier carries).
func linkHashOf(t *testing.T, w *world, userID string) string {
	t.Helper()
	var hash string
	moto.ScanAll(t, w.db, w.table, func(it map[string]types.AttributeValue) {
		typ, _ := it["type"].(*types.AttributeValueMemberS)
		uid, _ := it["userId"].(*types.AttributeValueMemberS)
		if typ != nil && typ.Value == "LINK" && uid != nil && uid.Value == userID {
			hash = it["hash"].(*types.AttributeValueMemberS).Value
		}
	})
	if hash == "" {
		t.Fatal("no link of the user in the table")
	}
	return hash
}

// TestErasureLeavesNoMarkerInTheTable: a user with every kind of item (its
// guard, a linked identifier, two federated identities... one per
// partner's provider it may hold, KYC sessions, events delivered and
// pending) is erased through the API on DynamoDB (moto); then the whole
// table is searched for each of its personal values and for the hash of
// its identifier: none is found, while another user's are.
func TestErasureLeavesNoMarkerInTheTable(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer hook.Close()
	w := newWorld(t, strings.Replace(fixture.RegistryJSON, "https://hooks.acme.example/identity", hook.URL, 1))
	c := w.container(t, nil)
	const (
		ext        = "ext-erasure-marker-51c"
		phone      = "+52 440 765 4321"
		phoneE164  = "+524407654321"
		alias      = "Erasure Alias Marker"
		identifier = "erasuremarker0000000000000000000000000000ab"
		redirect   = "https://acme.example/erasure-redirect-marker"
		// the bystander's, which must stay
		otherExt = "ext-bystander-marker-51c"
	)
	must := func(r *apitest.Response, status int, what string) *apitest.Response {
		t.Helper()
		if r.Status != status {
			t.Fatalf("%s: %d %s", what, r.Status, r.Body)
		}
		return r
	}
	key := apitest.Headers{"partner-api-key": fixture.KeyAcme}
	id := must(c.api.Do(http.MethodPost, usersPath, key, `{"externalUserId":"`+ext+`","type":"INDIVIDUAL","method":"PHONE_NUMBER","identifier":"`+phone+`","alias":"`+alias+`"}`), 201, "create").
		JSON()["data"].(map[string]any)["userId"].(string)
	must(c.api.Do(http.MethodPost, usersPath, key, `{"externalUserId":"`+otherExt+`","type":"INDIVIDUAL"}`), 201, "bystander")
	tok := must(c.api.Do(http.MethodPost, usersPath+"/"+id+"/token", key, ""), 201, "token").JSON()["data"].(map[string]any)["token"].(string)
	must(c.api.Do(http.MethodPost, "/api/v2/user/link-identifier", apitest.Headers{"User-Authorization": "Bearer " + tok}, `{"identifier":"`+identifier+`"}`), 200, "link")
	must(c.api.Do(http.MethodPut, "/federated-identities/acme", apitest.Headers{"Authorization": "Bearer " + tok}, ""), 204, "federated identity")
	for i := 0; i < 2; i++ {
		must(c.api.Do(http.MethodPost, usersPath+"/"+id+"/kyc/verification-link", key, `{"country":"MX","partnerRedirectUri":"`+redirect+`"}`), 201, "session")
	}
	hash := linkHashOf(t, w, id)
	// Half the events delivered, the rest pending.
	evs, err := moto.OutboxEvents(context.Background(), w.db, w.table)
	if err != nil || len(evs) < 6 {
		t.Fatalf("%d events, %v", len(evs), err)
	}
	d := dispatch.New(c.deps)
	for _, ev := range evs[:len(evs)/2] {
		if ev.Type == "user.identifier_linked" {
			continue // kept pending: its raw identifier is in the table until the erasure
		}
		if err := d.Deliver(context.Background(), ev.Key()); err != nil {
			t.Fatal(err)
		}
	}
	markers := []string{ext, phoneE164, alias, identifier, hash, redirect}
	before := moto.Contents(t, w.db, w.table)
	for _, m := range append(markers, otherExt) {
		if !strings.Contains(before, m) {
			t.Fatalf("%q is not in the table before the erasure: the search is blind", m)
		}
	}

	must(c.api.Do(http.MethodDelete, usersPath+"/"+id, key, ""), 204, "erase")

	after := moto.Contents(t, w.db, w.table)
	for _, m := range markers {
		if strings.Contains(after, m) {
			t.Errorf("%q is still in the table after the erasure", m)
		}
	}
	if !strings.Contains(after, otherExt) {
		t.Error("the erasure took another user's data")
	}
	// What is left of the user: its tombstone and events of ids only.
	var left []string
	moto.ScanAll(t, w.db, w.table, func(it map[string]types.AttributeValue) {
		var b strings.Builder
		for _, v := range it {
			if s, ok := v.(*types.AttributeValueMemberS); ok {
				b.WriteString(s.Value + " ")
			}
			if s, ok := v.(*types.AttributeValueMemberB); ok {
				b.Write(s.Value)
			}
		}
		if strings.Contains(b.String(), id) {
			left = append(left, it["type"].(*types.AttributeValueMemberS).Value+":"+it["sk"].(*types.AttributeValueMemberS).Value)
		}
	})
	for _, l := range left {
		if l != "USER:PROFILE" && !strings.HasPrefix(l, "OUTBOX:EVENT#") {
			t.Errorf("the erased user's id is still on %s", l)
		}
	}
	t.Logf("left with the user's id: %v", left)
}

// TestFaultsInAMultiPageErasure: a user of more items than one transaction
// takes (two transactions), each DynamoDB call of its erasure faulted once
// (the erasure finishes) and on every attempt (a 500: the user is then
// either untouched or reads as erased, never half visible; the same request
// again finishes it, with one user.deleted event).
func TestFaultsInAMultiPageErasure(t *testing.T) {
	w := newWorld(t, fixture.RegistryJSON)
	// Two reads, the first transaction (the tombstone, marked unfinished),
	// the second, and the mark's removal.
	calls := []string{"Query", "Query", "TransactWriteItems", "TransactWriteItems", "UpdateItem"}
	now := time.Now().UTC()
	// seed writes a user of 34 KYC sessions (each with its reference and
	// event) straight into the table: about 108 actions to erase.
	seed := func(t *testing.T, c *container) (id, ext, tok string) {
		ext = unique("multipage-ext-")
		r := c.api.Do(http.MethodPost, usersPath, acme, `{"externalUserId":"`+ext+`","type":"INDIVIDUAL","method":"EMAIL","identifier":"`+ext+`@example.com"}`)
		if r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		id = r.JSON()["data"].(map[string]any)["userId"].(string)
		s := dynamostore.New(w.db, w.table)
		for i := 0; i < 34; i++ {
			sess := domain.KYCSession{ID: fmt.Sprintf("%s-%02d", id, i), UserID: id, PartnerID: "p_acme", Country: "MX", TemplateID: "t",
				Status: domain.KYCPending, CreatedAt: now, ExpiresAt: now.Add(time.Hour), RetainUntil: now.Add(48 * time.Hour)}
			ev := domain.OutboxEvent{ID: fmt.Sprintf("evt_%s_%02d", strings.ReplaceAll(id, "-", ""), i), Type: "kyc.session_created", PartnerID: "p_acme",
				UserID: id, Payload: []byte(`{"marker":"` + ext + `"}`), CreatedAt: now, RetainUntil: now.Add(time.Hour)}
			if rej, err := s.OpenKYCSession(context.Background(), sess, now, ev); rej != nil || err != nil {
				t.Fatal(rej, err)
			}
			if err := s.CloseOpenKYC(context.Background(), id, []string{sess.ID}); err != nil { // more than a user holds open at once
				t.Fatal(err)
			}
		}
		r = c.api.Do(http.MethodPost, usersPath+"/"+id+"/token", acme, "")
		return id, ext, r.JSON()["data"].(map[string]any)["token"].(string)
	}
	erasedCompletely := func(t *testing.T, c *container, id, ext string) {
		t.Helper()
		all := moto.Contents(t, w.db, w.table)
		if strings.Contains(all, ext) {
			t.Fatal("the user's personal data is still in the table")
		}
		if n := strings.Count(all, `{"userId":"`+id+`"}`); n != 1 {
			t.Fatalf("%d user.deleted events, want 1", n)
		}
		if r := c.api.Do(http.MethodGet, usersPath+"/"+id, acme, ""); r.Status != 404 {
			t.Fatalf("get after: %d", r.Status)
		}
	}
	// Reference: the calls of the erasure without a fault.
	inj := &moto.Injector{}
	c := w.container(t, inj)
	id, ext, _ := seed(t, c)
	inj.Arm(moto.Throttle, 0, 0)
	if r := c.api.Do(http.MethodDelete, usersPath+"/"+id, acme, ""); r.Status != 204 {
		t.Fatalf("without a fault: %d %s", r.Status, r.Body)
	}
	if ops, _ := inj.Disarm(); strings.Join(ops, ",") != strings.Join(calls, ",") {
		t.Fatalf("calls %v, want %v", ops, calls)
	}
	erasedCompletely(t, c, id, ext)

	for call := 1; call <= len(calls); call++ {
		kinds := []moto.FaultKind{moto.Throttle, moto.ServerError, moto.Timeout}
		for _, kind := range kinds {
			for _, attempts := range []int{1, -1} {
				persistence := map[int]string{1: "once", -1: "persistent"}[attempts]
				t.Run(fmt.Sprintf("%s %s at call %d (%s)", persistence, kind, call, calls[call-1]), func(t *testing.T) {
					inj := &moto.Injector{}
					c := w.container(t, inj)
					id, ext, tok := seed(t, c)
					snap := moto.Snapshot(t, w.db, w.table)
					inj.Arm(kind, call, attempts)
					r := c.api.Do(http.MethodDelete, usersPath+"/"+id, acme, "")
					inj.Disarm()
					if attempts == 1 {
						if r.Status != 204 {
							t.Fatalf("a fault once: %d %s", r.Status, r.Body)
						}
						erasedCompletely(t, c, id, ext)
						return
					}
					if r.Status != 500 {
						t.Fatalf("a persistent fault: %d %s", r.Status, r.Body)
					}
					partnerV2Error(t, r)
					get := c.api.Do(http.MethodGet, usersPath+"/"+id, acme, "")
					info := c.api.Do(http.MethodGet, "/api/v2/user/info", apitest.Headers{"User-Authorization": "Bearer " + tok}, "")
					switch {
					case call < 4 && (get.Status != 200 || info.Status != 200 || diff(snap, moto.Snapshot(t, w.db, w.table)) != ""):
						t.Fatalf("before the first write committed, the user must be untouched: get %d, info %d", get.Status, info.Status)
					case call >= 4 && (get.Status != 404 || info.Status != 404 || !strings.Contains(string(info.Body), "ER709")):
						t.Fatalf("after the first write committed, the user must read as erased: get %d, info %d %s", get.Status, info.Status, info.Body)
					}
					if r := c.api.Do(http.MethodDelete, usersPath+"/"+id, acme, ""); r.Status != 204 {
						t.Fatalf("again: %d %s", r.Status, r.Body)
					}
					erasedCompletely(t, c, id, ext)
				})
			}
		}
		if calls[call-1] == "TransactWriteItems" {
			t.Run(fmt.Sprintf("%s at call %d", moto.LostResponse, call), func(t *testing.T) {
				inj := &moto.Injector{}
				c := w.container(t, inj)
				id, ext, _ := seed(t, c)
				inj.Arm(moto.LostResponse, call, 1)
				r := c.api.Do(http.MethodDelete, usersPath+"/"+id, acme, "")
				inj.Disarm()
				if r.Status != 204 {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				erasedCompletely(t, c, id, ext)
			})
		}
	}
}
