package outbox_test

import (
	"context"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/domain/kyc"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
	"github.com/partner-identity/api/shared/testkit/moto"
	"github.com/partner-identity/api/shared/testkit/openapitest"
)

func TestMain(m *testing.M) { moto.Main(m) }

// TestEventIfAndOnlyIfTheChangeCommits: every write path, on DynamoDB
// (moto), first with its transaction forced to fail (nothing changes, no
// event), then for real (the change and exactly its event).
func TestEventIfAndOnlyIfTheChangeCommits(t *testing.T) {
	var fault moto.Fault
	clk := testkit.NewClock(time.Now())
	db, table := moto.Require(t).NewTable(t, nil, &fault)
	s := dynamostore.New(db, table)
	c := fixture.Client(t, s, fixture.Options{Now: clk.Now})
	key := apitest.Headers{"partner-api-key": fixture.KeyAcme}
	ident := "c6fefe8d7ac0f4113876d634e8d15f65947f1b62d4859fffcd2464d2be58b2d8"

	// A user to act on, with a token.
	r := c.Do(http.MethodPost, "/api/partner/v2/users", key, `{"externalUserId":"outbox-base","type":"INDIVIDUAL"}`)
	user := r.JSON()["data"].(map[string]any)["userId"].(string)
	tok := c.Do(http.MethodPost, "/api/partner/v2/users/"+user+"/token", key, "").JSON()["data"].(map[string]any)["token"].(string)
	bearerUser := apitest.Headers{"User-Authorization": "Bearer " + tok}
	bearerFed := apitest.Headers{"Authorization": "Bearer " + tok}

	steps := []struct {
		event string
		ok    int
		do    func() int
	}{
		{"user.created", 201, func() int {
			return c.Do(http.MethodPost, "/api/partner/v2/users", key, `{"externalUserId":"outbox-new","type":"INDIVIDUAL"}`).Status
		}},
		{"kyc.session_created", 201, func() int {
			return c.Do(http.MethodPost, "/api/partner/v2/users/"+user+"/kyc/verification-link", key, `{"country":"MX"}`).Status
		}},
		{"user.identifier_linked", 200, func() int {
			return c.Do(http.MethodPost, "/api/v2/user/link-identifier", bearerUser, `{"identifier":"`+ident+`"}`).Status
		}},
		{"federated_identity.set", 204, func() int {
			return c.Do(http.MethodPut, "/federated-identities/acme", bearerFed, "").Status
		}},
		{"federated_identity.deleted", 204, func() int {
			return c.Do(http.MethodDelete, "/federated-identities/acme", bearerFed, "").Status
		}},
		{"kyc.session_expired", 0, func() int {
			res, err := (&kyc.Cleaner{Store: s, Now: func() time.Time { return clk.Now().Add(25 * time.Hour) }}).Run(context.Background())
			if err != nil || res.Expired != 1 {
				return 500
			}
			return 0
		}},
	}
	for _, step := range steps {
		t.Run(step.event, func(t *testing.T) {
			before := moto.CountItems(t, db, table)
			fault = func(op string) error {
				if op == "TransactWriteItems" {
					return &smithy.GenericAPIError{Code: "InternalServerError", Message: "injected"}
				}
				return nil
			}
			if status := step.do(); status < 500 {
				t.Fatalf("with the transaction failing: status %d, want a 5xx", status)
			}
			fault = nil
			if after := moto.CountItems(t, db, table); !maps.Equal(before, after) {
				t.Fatalf("a failed transaction changed the table:\nbefore %v\nafter  %v", before, after)
			}
			if status := step.do(); status != step.ok {
				t.Fatalf("status %d, want %d", status, step.ok)
			}
			after := moto.CountItems(t, db, table)
			if after["event:"+step.event] != before["event:"+step.event]+1 || after["OUTBOX"] != before["OUTBOX"]+1 {
				t.Fatalf("events after the change: %v (before %v), want exactly one %s", after, before, step.event)
			}
		})
	}
	// Every payload is what docs/openapi.yaml's webhooks section promises.
	doc, err := openapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	evs, err := moto.OutboxEvents(context.Background(), db, table)
	if err != nil || len(evs) < len(steps) {
		t.Fatalf("%d events (%v)", len(evs), err)
	}
	for _, ev := range evs {
		if err := doc.CheckSchema("WebhookEvent", ev.Payload); err != nil {
			t.Errorf("%s payload does not match the WebhookEvent schema: %v\n%s", ev.Type, err, ev.Payload)
		}
	}
}
