package dynamostore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/testkit/capacity"
	"github.com/partner-identity/api/shared/testkit/moto"
)

// TestUserKYCReadsOnlyItsPage: GET /users/{id}/kyc's read of a user with
// 1, 100 and 1,000 sessions (seeded with BatchWriteItem in the store's
// item format) is one Query that returns the profile and the newest 20
// references, and one BatchGetItem of those sessions, whatever the
// history: the read units stay those of the page (printed), and the
// sessions are the newest 20, newest first.
func TestUserKYCReadsOnlyItsPage(t *testing.T) {
	ctx := context.Background()
	calls := moto.NewCalls()
	db, table := moto.Require(t).NewTable(t, calls, nil)
	meter := &capacity.Meter{Inner: db}
	store := dynamostore.New(meter, table)
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	seeded := 0
	var units []float64
	for _, n := range []int{1, 100, 1000} {
		user := fmt.Sprintf("u-%d", n)
		u := domain.User{ID: user, PartnerID: "p1", ExternalUserID: user, Type: "INDIVIDUAL", Method: "NONE", KYCStatus: domain.KYCNotStarted,
			CreatedAt: at, UpdatedAt: at}
		if _, err := store.CreateUser(ctx, u, domain.Guard{PartnerID: "p1", ExternalUserID: user, UserID: user, RequestHash: "h", Response: []byte("{}"), CreatedAt: at},
			domain.OutboxEvent{ID: "evt-" + user, PartnerID: "p1", Type: "user.created", Payload: []byte(`{}`), CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
		var ids []string
		var reqs []types.WriteRequest
		flush := func() {
			if len(reqs) == 0 {
				return
			}
			if out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs}}); err != nil ||
				len(out.UnprocessedItems) > 0 {
				t.Fatalf("seed: %v", err)
			}
			reqs = nil
		}
		for i := range n {
			sess := domain.KYCSession{ID: fmt.Sprintf("%s-s%04d", user, i), UserID: user, PartnerID: "p1", Country: "MX", TemplateID: "t",
				Status: domain.KYCRejected, CreatedAt: at.Add(time.Duration(i) * time.Minute), ExpiresAt: at.Add(time.Duration(i)*time.Minute + time.Hour)}
			ids = append(ids, sess.ID)
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: dynamostore.SessionItem(sess)}},
				types.WriteRequest{PutRequest: &types.PutRequest{Item: dynamostore.KYCRefItem(sess)}})
			if len(reqs) >= 24 {
				flush()
			}
		}
		flush()
		seeded += n
		calls.Reset()
		meter.Reset()
		_, list, err := store.UserKYC(ctx, user, 20)
		if err != nil {
			t.Fatal(err)
		}
		want := min(n, 20)
		if len(list) != want || list[0].ID != ids[n-1] || list[want-1].ID != ids[n-want] {
			t.Fatalf("%d sessions: listed %d, first %s, last %s", n, len(list), list[0].ID, list[len(list)-1].ID)
		}
		if calls.Get("Query") != 1 || calls.Get("BatchGetItem") != 1 || calls.Total() != 2 {
			t.Fatalf("%d sessions: calls %v, want one Query and one BatchGetItem", n, calls.All())
		}
		rru, _, _ := meter.Units()
		units = append(units, rru)
		t.Logf("a user with %4d sessions: GET /users/{id}/kyc reads %.1f read units (one Query of 21 items at most, one BatchGetItem of 20)", n, rru)
	}
	if units[2] != units[1] {
		t.Errorf("read units grow with the history: %.1f at 100 sessions, %.1f at 1,000", units[1], units[2])
	}
}
