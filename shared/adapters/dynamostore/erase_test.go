package dynamostore_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/kyc"
	"github.com/partner-identity/api/shared/testkit/moto"
)

// hookedDB runs before(n) ahead of the n-th TransactWriteItems (from 1) and
// fails it without sending when before returns an error.
type hookedDB struct {
	dynamostore.API
	mu     sync.Mutex
	calls  int
	before func(n int) error
}

func (h *hookedDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	h.mu.Lock()
	h.calls++
	n := h.calls
	h.mu.Unlock()
	if err := h.before(n); err != nil {
		return nil, err
	}
	return h.API.TransactWriteItems(ctx, in, opts...)
}

var eraseNow = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// seedLinked writes user u1 of p1, linked to "h1", with sessions KYC sessions.
func seedLinked(t *testing.T, s *dynamostore.Store, sessions int) {
	t.Helper()
	ctx := context.Background()
	u := domain.User{ID: "u1", PartnerID: "p1", ExternalUserID: "ext-marker", Type: "INDIVIDUAL", Method: "EMAIL",
		Identifier: "marker@example.com", KYCStatus: domain.KYCNotStarted, CreatedAt: eraseNow, UpdatedAt: eraseNow}
	g := domain.Guard{PartnerID: "p1", ExternalUserID: "ext-marker", UserID: "u1", RequestHash: "h", Response: []byte(`{}`), CreatedAt: eraseNow}
	if _, err := s.CreateUser(ctx, u, g, event("created", "u1")); err != nil {
		t.Fatal(err)
	}
	if err := s.LinkIdentifier(ctx, "u1", "p1", "hash-marker", "", "", event("linked", "u1"), eraseNow); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < sessions; i++ {
		sess := domain.KYCSession{ID: fmt.Sprintf("s%03d", i), UserID: "u1", PartnerID: "p1", Country: "MX", TemplateID: "t",
			Status: domain.KYCPending, CreatedAt: eraseNow, ExpiresAt: eraseNow.Add(time.Hour)}
		if rej, err := s.OpenKYCSession(ctx, sess, eraseNow, event(fmt.Sprintf("opened-%d", i), "u1")); rej != nil || err != nil {
			t.Fatal(rej, err)
		}
		if err := s.CloseOpenKYC(ctx, "u1", []string{sess.ID}); err != nil { // more than a user holds open at once
			t.Fatal(err)
		}
	}
}

// deletedEvent is a user.deleted event: ids only.
func deletedEvent(id string) domain.OutboxEvent {
	return domain.OutboxEvent{ID: id, Type: "user.deleted", PartnerID: "p1", Payload: []byte(`{"userId":"u1"}`), CreatedAt: eraseNow}
}

func event(id, user string) domain.OutboxEvent {
	return domain.OutboxEvent{ID: id, Type: "test.event", PartnerID: "p1", UserID: user,
		Payload: []byte(`{"marker":"payload-marker"}`), CreatedAt: eraseNow}
}

// TestEraseSeesWritesBetweenItsReadsAndItsWrite: a federated identity set
// after the erasure read the user and before its first write makes that
// write fail on the user's revision; the erasure reads again and deletes
// the identity too.
func TestEraseSeesWritesBetweenItsReadsAndItsWrite(t *testing.T) {
	srv := moto.Require(t)
	db, table := srv.NewTable(t, nil, nil)
	plain := dynamostore.New(db, table)
	seedLinked(t, plain, 1)
	ctx := context.Background()
	hooked := &hookedDB{API: db, before: func(n int) error {
		if n == 1 {
			fi := domain.FederatedIdentity{UserID: "u1", Provider: "late", PartnerID: "p1", Subject: "hash-marker", CreatedAt: eraseNow}
			if _, err := plain.PutFederatedIdentity(ctx, fi, event("late-fedid", "")); err != nil {
				t.Errorf("the concurrent write: %v", err)
			}
		}
		return nil
	}}
	if err := dynamostore.New(hooked, table).EraseUser(ctx, "p1", "u1", deletedEvent("deleted"), eraseNow); err != nil {
		t.Fatal(err)
	}
	if hooked.calls != 2 {
		t.Fatalf("%d transactions, want 2 (the first cancelled by the change, then the erasure again)", hooked.calls)
	}
	if strings.Contains(moto.Contents(t, db, table), "hash-marker") {
		t.Fatal("the federated identity written during the erasure survived it")
	}
}

// TestEraseResumesAfterAStopMidway: an erasure that stops after its first
// transaction leaves the user reading as erased; the next one finishes,
// with one user.deleted event in all.
func TestEraseResumesAfterAStopMidway(t *testing.T) {
	srv := moto.Require(t)
	db, table := srv.NewTable(t, nil, nil)
	plain := dynamostore.New(db, table)
	seedLinked(t, plain, 40) // 40 sessions, references and events: three transactions
	ctx := context.Background()
	injected := errors.New("injected: the function stopped")
	hooked := &hookedDB{API: db, before: func(n int) error {
		if n == 2 {
			return injected
		}
		return nil
	}}
	if err := dynamostore.New(hooked, table).EraseUser(ctx, "p1", "u1", deletedEvent("deleted"), eraseNow); !errors.Is(err, injected) {
		t.Fatalf("erase: %v, want the injected stop", err)
	}
	if _, err := plain.GetUser(ctx, "u1"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("after the first transaction the user reads %v, want ErrNotFound", err)
	}
	if _, err := plain.GetGuard(ctx, "p1", "ext-marker"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("guard: %v", err)
	}
	if !strings.Contains(moto.Contents(t, db, table), "payload-marker") {
		t.Fatal("the stop came after everything was erased: the test shows nothing")
	}
	if err := plain.EraseUser(ctx, "p1", "u1", deletedEvent("deleted-again"), eraseNow); err != nil {
		t.Fatal(err)
	}
	all := moto.Contents(t, db, table)
	for _, m := range []string{"payload-marker", "hash-marker", "ext-marker", "marker@example.com"} {
		if strings.Contains(all, m) {
			t.Errorf("%q left after the resumed erasure", m)
		}
	}
	if n := strings.Count(all, "eventId=deleted"); n != 1 {
		t.Fatalf("%d user.deleted events, want 1", n)
	}
}

// TestSessionReferenceOutlivesItsSession: DynamoDB's TTL deletes expired
// items in no set order, so a session's reference (by which an erasure
// finds it) carries a later TTL than the session.
func TestSessionReferenceOutlivesItsSession(t *testing.T) {
	srv := moto.Require(t)
	db, table := srv.NewTable(t, nil, nil)
	seedLinked(t, dynamostore.New(db, table), 0)
	sess := domain.KYCSession{ID: "s-ttl", UserID: "u1", PartnerID: "p1", Country: "MX", TemplateID: "t", Status: domain.KYCPending,
		CreatedAt: eraseNow, ExpiresAt: eraseNow.Add(time.Hour), RetainUntil: eraseNow.Add(48 * time.Hour)}
	if _, err := dynamostore.New(db, table).OpenKYCSession(context.Background(), sess, eraseNow, event("opened-ttl", "u1")); err != nil {
		t.Fatal(err)
	}
	ttls := map[string]int64{}
	moto.ScanAll(t, db, table, func(it map[string]types.AttributeValue) {
		typ := it["type"].(*types.AttributeValueMemberS).Value
		if n, ok := it["ttl"].(*types.AttributeValueMemberN); ok {
			v, _ := strconv.ParseInt(n.Value, 10, 64)
			ttls[typ] = v
		}
	})
	if ttls["KYC_SESSION"] != sess.RetainUntil.Unix() || ttls["KYC_SESSION_REF"] <= ttls["KYC_SESSION"] {
		t.Fatalf("ttl of the session %d, of its reference %d: the reference must outlive the session", ttls["KYC_SESSION"], ttls["KYC_SESSION_REF"])
	}
}

// eraseSessions is how many sessions TestAnErasureOfAnyHistoryFinishes
// gives its user: make bench runs 10,000.
var eraseSessions = flag.Int("erase-sessions", 300, "sessions of the erased user in TestAnErasureOfAnyHistoryFinishes")

// TestAnErasureOfAnyHistoryFinishes: a user with -erase-sessions sessions
// (300 in make test: nine transactions' items; 10,000 in make bench), each with its reference and
// its kyc.session_created event (seeded with BatchWriteItem in the
// store's item format), is erased by a call whose deadline comes early:
// the call returns without error once its time is short, the user reads
// as deleted at once and is listed unfinished; the cleanup's next run
// finishes it: nothing of the user is left but its tombstone, no longer
// listed.
func TestAnErasureOfAnyHistoryFinishes(t *testing.T) {
	srv := moto.Require(t)
	calls := moto.NewCalls()
	db, table := srv.NewTable(t, calls, nil)
	store := dynamostore.New(db, table)
	seedLinked(t, store, 0)
	ctx := context.Background()
	n := *eraseSessions
	var reqs []types.WriteRequest
	flush := func() {
		for len(reqs) > 0 {
			out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs}})
			if err != nil {
				t.Fatal(err)
			}
			reqs = out.UnprocessedItems[table]
		}
	}
	for i := range n {
		sess := domain.KYCSession{ID: fmt.Sprintf("s%05d", i), UserID: "u1", PartnerID: "p1", Country: "MX", TemplateID: "t",
			Status: domain.KYCRejected, CreatedAt: eraseNow.Add(-time.Duration(i) * time.Second), ExpiresAt: eraseNow.Add(time.Hour)}
		ev := event(fmt.Sprintf("opened-%05d", i), "u1")
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: dynamostore.SessionItem(sess)}},
			types.WriteRequest{PutRequest: &types.PutRequest{Item: dynamostore.KYCRefItem(sess)}},
			types.WriteRequest{PutRequest: &types.PutRequest{Item: dynamostore.OutboxItem(ev)}})
		if len(reqs) >= 24 {
			flush()
		}
	}
	flush()
	calls.Reset()
	// A deadline at the erasure's 2 s reserve: the call makes its first
	// write and stops there. A larger user gets a second per thousand
	// sessions more (moto copies its whole backend in every transaction:
	// its first takes that long), so its call deletes for a while.
	slack := time.Duration(0)
	if n > 1000 {
		slack = time.Duration(n) * time.Millisecond
	}
	early, cancel := context.WithTimeout(ctx, 2*time.Second+slack)
	start := time.Now()
	err := store.EraseUser(early, "p1", "u1", deletedEvent("deleted"), eraseNow)
	cancel()
	if err != nil {
		t.Fatalf("an erasure short of time: %v, want its answer", err)
	}
	first := calls.Get("TransactWriteItems")
	if _, err := store.GetUser(ctx, "u1"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("the user reads %v at once, want ErrNotFound", err)
	}
	left, err := store.UnfinishedErasures(ctx, 10)
	if err != nil || len(left) != 1 || left[0].UserID != "u1" || left[0].PartnerID != "p1" {
		t.Fatalf("unfinished: %+v %v", left, err)
	}
	t.Logf("the call: %d transactions in %v, then it answered", first, time.Since(start).Round(time.Millisecond))
	calls.Reset()
	res, err := (&kyc.Cleaner{Store: store, Erasures: store, Now: func() time.Time { return eraseNow }}).Run(ctx)
	if err != nil || res.Erased != 1 || !res.Done {
		t.Fatalf("cleanup %+v %v", res, err)
	}
	t.Logf("the cleanup finished it: %d transactions, %d queries (%d sessions, %d items in all)", calls.Get("TransactWriteItems"), calls.Get("Query"), n, 3*n)
	if left, err := store.UnfinishedErasures(ctx, 10); err != nil || len(left) != 0 {
		t.Fatalf("still unfinished: %+v %v", left, err)
	}
	items := 0
	moto.ScanAll(t, db, table, func(it map[string]types.AttributeValue) {
		pk := it["pk"].(*types.AttributeValueMemberS).Value
		if strings.HasPrefix(pk, "KYC#") || strings.Contains(pk, "u1") {
			items++
		}
	})
	if items != 1 {
		t.Fatalf("%d items of the user left, want its tombstone alone", items)
	}
}
