// The KYC cleanup (package kyc) over both stores, here beside the DynamoDB
// store because seeding 2,000 sessions on moto needs this store's own item
// format (export_test.go).
package dynamostore_test

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/kyc"
	"github.com/partner-identity/api/shared/testkit/moto"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// seed writes n sessions for 20 users; every other session is past its
// expiry at now. It returns the expired ids. The memory store gets them
// through OpenKYCSession; on moto they are loaded with BatchWriteItem in the
// store's own item format, because moto copies its whole backend on every
// transaction (seeding 2,000 through transactions takes minutes there).
func seed(t *testing.T, s domain.Store, n int) (expired []string) {
	t.Helper()
	ctx := context.Background()
	sessions := make([]domain.KYCSession, n)
	for i := range sessions {
		exp := now.Add(time.Duration(i%7+1) * time.Hour)
		if i%2 == 0 {
			exp = now.Add(-time.Duration(i%5) * time.Hour) // at or before now
		}
		sessions[i] = domain.KYCSession{ID: kyc.NewSessionID(true), UserID: fmt.Sprintf("user-%02d", i%20), PartnerID: "p1",
			Country: "MX", TemplateID: "mx", Status: domain.KYCPending, CreatedAt: now.Add(-48 * time.Hour),
			ExpiresAt: exp, RetainUntil: exp.Add(720 * time.Hour)}
	}
	for i := 0; i < n; i += 2 {
		expired = append(expired, sessions[i].ID)
	}
	if bulk, ok := s.(*bulkStore); ok {
		for start := 0; start < n; start += 25 {
			var reqs []types.WriteRequest
			for _, sess := range sessions[start:min(start+25, n)] {
				reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: dynamostore.SessionItem(sess)}})
			}
			out, err := bulk.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{bulk.table: reqs}})
			if err != nil || len(out.UnprocessedItems) > 0 {
				t.Fatalf("seed: %v (%d unprocessed)", err, len(out.UnprocessedItems))
			}
		}
		return expired
	}
	for i := 0; i < 20; i++ {
		id := fmt.Sprintf("user-%02d", i)
		if _, err := s.CreateUser(ctx, domain.User{ID: id, PartnerID: "p1", ExternalUserID: id, Type: "INDIVIDUAL",
			Method: "NONE", KYCStatus: domain.KYCNotStarted, CreatedAt: now, UpdatedAt: now},
			domain.Guard{PartnerID: "p1", ExternalUserID: id, UserID: id, RequestHash: "h", Response: []byte("{}"), CreatedAt: now},
			domain.OutboxEvent{ID: "evt-user-" + id}); err != nil {
			t.Fatal(err)
		}
	}
	for _, sess := range sessions {
		if rej, err := s.OpenKYCSession(ctx, sess, sess.CreatedAt, domain.OutboxEvent{ID: "evt-open-" + sess.ID}); rej != nil || err != nil {
			t.Fatal(rej, err)
		}
		if err := s.CloseOpenKYC(ctx, sess.UserID, []string{sess.ID}); err != nil { // more than a user holds open at once
			t.Fatal(err)
		}
	}
	return expired
}

// bulkStore is the DynamoDB store with its table, for seeding.
type bulkStore struct {
	*dynamostore.Store
	db    *dynamodb.Client
	table string
}

func newMotoStore(t *testing.T, calls *moto.Calls) *bulkStore {
	db, table := moto.Require(t).NewTable(t, calls, nil)
	return &bulkStore{Store: dynamostore.New(db, table), db: db, table: table}
}

// completeAfterFirstList completes some listed sessions after the first
// listing and before their updates: a provider's completion racing the run.
type completeAfterFirstList struct {
	domain.Store
	mu        sync.Mutex
	complete  func(id string)
	completed []string
}

// ExpiredKYCSessions completes 5 of the first page that lists as many.
func (c *completeAfterFirstList) ExpiredKYCSessions(ctx context.Context, part int, at time.Time, cursor string, limit int) ([]domain.SessionRef, string, error) {
	refs, next, err := c.Store.ExpiredKYCSessions(ctx, part, at, cursor, limit)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.completed) == 0 && len(refs) >= 5 {
		for _, r := range refs[:5] {
			c.complete(r.ID)
			c.completed = append(c.completed, r.ID)
		}
	}
	return refs, next, err
}

func statuses(t *testing.T, s domain.Store, ids []string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, id := range ids {
		sess, err := s.GetKYCSession(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		out[sess.Status]++
	}
	return out
}

func TestCleanupOnMoto2000Sessions(t *testing.T) {
	calls := moto.NewCalls()
	ds := newMotoStore(t, calls)
	db, table := ds.db, ds.table
	expired := seed(t, ds, 2000)

	flight := &inFlight{API: db}
	racing := &completeAfterFirstList{Store: dynamostore.New(flight, table), complete: func(id string) {
		// The completion takes the session out of the pending index, as the
		// provider callback will.
		if err := dynamostore.CompleteSession(context.Background(), db, table, id, false); err != nil {
			t.Error(err)
		}
	}}
	calls.Reset()
	c := &kyc.Cleaner{Store: racing, Now: func() time.Time { return now }, PageSize: 100}
	var before, after syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	res, err := c.Run(context.Background())
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	if err != nil {
		t.Fatal(err)
	}
	if flight.top < 2 || flight.top > kyc.DefaultWorkers {
		t.Errorf("%d calls at once at most, want parts worked at once, no more than the %d workers", flight.top, kyc.DefaultWorkers)
	}
	queries, transactions := calls.Get("Query"), calls.Get("TransactWriteItems")
	if res.Expired != 995 || res.Skipped != 5 || !res.Done || res.Pages < 10 {
		t.Fatalf("result %+v, want 995 expired, 5 skipped, done, over 10+ pages", res)
	}
	got := statuses(t, ds, expired)
	if got[domain.KYCExpired] != 995 || got[domain.KYCApproved] != 5 {
		t.Fatalf("expired half: %v", got)
	}
	for _, id := range racing.completed {
		if s, _ := ds.GetKYCSession(context.Background(), id); s.Status != domain.KYCApproved {
			t.Fatalf("a session completed between query and update was changed to %s", s.Status)
		}
	}
	if n := countPending(t, db, table); n != 1000 {
		t.Fatalf("pending sessions left %d, want the 1000 unexpired", n)
	}
	// Each page of 100 is two transactions of 50 sessions and their events;
	// the page with the 5 completed sessions needs one more.
	if transactions > 2*res.Pages+1 || calls.Get("UpdateItem") != 5 {
		t.Fatalf("%d TransactWriteItems for %d pages, %d UpdateItem (5 are the completions)", transactions, res.Pages, calls.Get("UpdateItem"))
	}
	cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) / time.Duration(res.Expired+res.Skipped)
	fmt.Printf("cleanup cost: %.1f Query + %.1f TransactWriteItems (50 sessions with their events each) per 1,000 expired sessions "+
		"(pages of about 16: 1,000 over 64 parts); %d calls at once; CPU %v a session in this process (the SDK's work, not moto's; a timing, not asserted)\n",
		float64(queries)*1000/995, float64(transactions)*1000/995, flight.top, cpu)
	// A backlog of a million fills its pages (100): each a Query and two
	// transactions (asserted above), each worker's calls in turn, at
	// DynamoDB's round trips (a Query 10 ms, a transaction of 100 actions
	// 60 ms): within one run of the template's 300 s.
	const pages, workers = 1_000_000 / 100, kyc.DefaultWorkers
	if run := pages * (10*time.Millisecond + 2*60*time.Millisecond) / workers; run > 300*time.Second {
		t.Errorf("a million sessions take %v of round trips on %d workers, over one run", run, workers)
	} else {
		fmt.Printf("cleanup of a backlog of 1,000,000: %d pages, %v of round trips on %d workers (one run: 300 s)\n", pages, run, workers)
	}

	// A rerun changes nothing.
	calls.Reset()
	res, err = (&kyc.Cleaner{Store: ds, Now: func() time.Time { return now }}).Run(context.Background())
	if err != nil || res.Expired != 0 || res.Skipped != 0 || !res.Done {
		t.Fatalf("rerun: %+v %v", res, err)
	}
	if calls.Get("TransactWriteItems") != 0 || calls.Get("Scan") != 0 {
		t.Fatalf("rerun made %d transactions, %d scans", calls.Get("TransactWriteItems"), calls.Get("Scan"))
	}
}

func countPending(t *testing.T, db *dynamodb.Client, table string) int {
	t.Helper()
	n := 0
	moto.ScanAll(t, db, table, func(it map[string]types.AttributeValue) {
		if s, ok := it["status"].(*types.AttributeValueMemberS); ok && s.Value == domain.KYCPending {
			n++
		}
	})
	return n
}

func TestConcurrentCleanupsExpireEachSessionOnce(t *testing.T) {
	for name, newStore := range map[string]func(t *testing.T) domain.Store{
		"memory": func(*testing.T) domain.Store { return memstore.New() },
		"moto":   func(t *testing.T) domain.Store { return newMotoStore(t, nil) },
	} {
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			expired := seed(t, s, 400)
			results := make([]kyc.CleanupResult, 3)
			var wg sync.WaitGroup
			for i := range results {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r, err := (&kyc.Cleaner{Store: s, Now: func() time.Time { return now }, PageSize: 25}).Run(context.Background())
					if err != nil {
						t.Error(err)
					}
					results[i] = r
				}()
			}
			wg.Wait()
			total := 0
			for _, r := range results {
				total += r.Expired
			}
			if total != len(expired) {
				t.Fatalf("three concurrent runs expired %d in all, want %d (each once): %+v", total, len(expired), results)
			}
			if got := statuses(t, s, expired); got[domain.KYCExpired] != len(expired) {
				t.Fatalf("statuses %v", got)
			}
		})
	}
}

// slowList makes each listing take a while, to bring the deadline near.
type slowList struct{ domain.Store }

func (s slowList) ExpiredKYCSessions(ctx context.Context, part int, at time.Time, cursor string, limit int) ([]domain.SessionRef, string, error) {
	time.Sleep(30 * time.Millisecond)
	return s.Store.ExpiredKYCSessions(ctx, part, at, cursor, limit)
}

func TestCleanupStopsBeforeTheDeadlineAndTheNextRunFinishes(t *testing.T) {
	mem := memstore.New()
	expired := seed(t, mem, 200)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	c := &kyc.Cleaner{Store: slowList{mem}, Now: func() time.Time { return now }, PageSize: 10, Reserve: 120 * time.Millisecond}
	first, err := c.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if first.Done || first.Expired == 0 || first.Expired >= len(expired) {
		t.Fatalf("first run %+v: want a partial run that stopped before the deadline", first)
	}
	second, err := (&kyc.Cleaner{Store: mem, Now: func() time.Time { return now }}).Run(context.Background())
	if err != nil || !second.Done || first.Expired+second.Expired != len(expired) {
		t.Fatalf("second run %+v %v (first %+v), want the rest", second, err, first)
	}
}

// inFlight counts a store's concurrent DynamoDB calls.
type inFlight struct {
	dynamostore.API
	mu       sync.Mutex
	now, top int
}

func (f *inFlight) enter() {
	f.mu.Lock()
	f.now++
	f.top = max(f.top, f.now)
	f.mu.Unlock()
}

func (f *inFlight) leave() {
	f.mu.Lock()
	f.now--
	f.mu.Unlock()
}

func (f *inFlight) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	f.enter()
	defer f.leave()
	return f.API.Query(ctx, in, opts...)
}

func (f *inFlight) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	f.enter()
	defer f.leave()
	return f.API.TransactWriteItems(ctx, in, opts...)
}
