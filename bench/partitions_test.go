package bench_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/outbox"
	"github.com/partner-identity/api/shared/testkit/capacity"
	"github.com/partner-identity/api/shared/testkit/moto"
)

// meteredTable is a table made from template.yaml on moto, its store
// called through a capacity meter that knows the template's indexes.
func meteredTable(t testing.TB, srv *moto.Server) (*dynamostore.Store, *capacity.Meter, *moto.Calls) {
	t.Helper()
	calls := moto.NewCalls()
	db, name := srv.NewTable(t, calls, nil)
	in, err := moto.TableInput(name)
	if err != nil {
		t.Fatal(err)
	}
	meter := &capacity.Meter{Inner: db, Indexes: capacity.IndexesOf(in)}
	return dynamostore.New(meter, name), meter, calls
}

// busiestKeys are the partition keys of m's counts with the most writes,
// one per index and one for the table.
func busiestKeys(counts map[string]int) map[string]struct {
	key string
	n   int
} {
	top := map[string]struct {
		key string
		n   int
	}{}
	for k, n := range counts {
		where, key, _ := strings.Cut(k, " ")
		if n > top[where].n {
			top[where] = struct {
				key string
				n   int
			}{key, n}
		}
	}
	return top
}

// TestNoPartitionTakesMoreThanItsShare: 10,000 events of one partner
// (make bench, -table; 2,000 in make test, which keeps the bound),
// of every type in turn (a personal one kept with its user), each
// written and then delivered (the dispatcher's update), on DynamoDB
// (moto) through the capacity meter, which counts the writes to each
// partition key of the table and of every index. At 5,000 such requests
// a second (one event each), the busiest key of any index must take at
// most 300 writes a second: a share of at most 6% of the events. Then
// the listing on that data: the first page, the type filter's and the
// failed filter's (0.1% failed), each merged newest first, with the
// queries each takes (the failed filter's: 2, one per partition, however
// many events there are: its index holds only failed events).
func TestNoPartitionTakesMoreThanItsShare(t *testing.T) {
	srv := moto.Require(t)
	store, meter, calls := meteredTable(t, srv)
	ctx := context.Background()
	const rate, wall = 5000, 300
	n := 2000
	if *table {
		n = 10_000
	}
	base := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	evs := make([]domain.OutboxEvent, n)
	// Ids of the event id's form (time, then random digits) drawn from a
	// fixed seed: the spread is a fair sample of the hash, and the same in
	// every run (a bound on a random sample would fail now and then).
	rng := rand.New(rand.NewPCG(32, 5000))
	for i := range evs {
		at := base.Add(time.Duration(i) * time.Millisecond)
		typ := outbox.Types[i%len(outbox.Types)]
		if i%2 == 0 {
			evs[i] = outbox.MustPersonal(typ, "p_big", fmt.Sprintf("user-%05d", i), map[string]string{"externalUserId": "x"}, at)
		} else {
			evs[i] = outbox.Must(typ, "p_big", map[string]string{"userId": "u"}, at)
		}
		evs[i].ID = fmt.Sprintf("evt_%012x%016x%04x", at.UnixMilli(), rng.Uint64(), rng.Uint32()&0xffff)
	}
	failed := map[int]bool{}
	for i := 7; i < n; i += 1000 {
		failed[i] = true // 0.1%
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				ev := evs[i]
				if err := store.PutOutboxEvent(ctx, ev, domain.Budget{}); err != nil {
					errs <- err
					return
				}
				st := domain.OutboxState{Event: ev, Status: domain.OutboxPending}
				d := domain.Delivery{EndpointID: "we_default", Status: domain.OutboxDelivered, Attempts: 1, Scheduled: 1,
					LastAttemptAt: ev.CreatedAt.Add(time.Second), LastResponseStatus: 204}
				if failed[i] {
					d.Status, d.Attempts, d.Scheduled, d.LastResponseStatus = domain.OutboxFailed, 8, 8, 503
				}
				st.SetDelivery(d)
				if err := store.RecordDeliveries(ctx, ev.Key(), 0, domain.OutboxRecord{State: st, Scrubbed: ev.Scrubbed}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	_, wru, _ := meter.Units()
	top := busiestKeys(meter.KeyWrites())
	var lines []string
	where := make([]string, 0, len(top))
	for w := range top {
		where = append(where, w)
	}
	sort.Strings(where)
	for _, w := range where {
		k := top[w]
		share := float64(k.n) / float64(n)
		lines = append(lines, fmt.Sprintf("%-16s busiest key %-34q %5d writes of %d events: %5.2f%%, %4.0f writes/s at %d events/s",
			w, k.key, k.n, n, 100*share, share*rate, rate))
		if w != "table" && share*rate > wall {
			t.Errorf("%s: key %q takes %d of %d events' writes: %.0f writes/s at %d/s, over %d", w, k.key, k.n, n, share*rate, rate, wall)
		}
	}
	lines = append(lines, fmt.Sprintf("write units: %.2f an event (written, then delivered)", wru/float64(n)))
	for _, ix := range []string{"events-by-shard", "events-by-type", "events-by-state"} {
		if top[ix].n == 0 {
			t.Errorf("no write counted on %s", ix)
		}
	}

	// The listing on that data.
	page := func(name string, q domain.OutboxQuery, want []string) {
		t.Helper()
		calls.Reset()
		meter.Reset()
		p, err := store.ListOutboxEvents(ctx, "p_big", q)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range p.Events {
			got = append(got, e.Event.ID)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("%s: listed %d events, want %d: %v", name, len(got), len(want), got)
		}
		rru, _, _ := meter.Units()
		lines = append(lines, fmt.Sprintf("%-44s %2d queries, %d BatchGetItem, %5.1f read units", name, calls.Get("Query"), calls.Get("BatchGetItem"), rru))
		if name == "failed filter, first page" && calls.Get("Query") > 2 {
			t.Errorf("the failed filter's first page took %d queries", calls.Get("Query"))
		}
	}
	newest := func(keep func(i int) bool, k int) []string {
		var ids []string
		for i := n - 1; i >= 0 && len(ids) < k; i-- {
			if keep(i) {
				ids = append(ids, evs[i].ID)
			}
		}
		return ids
	}
	page("first page (20)", domain.OutboxQuery{Limit: 20}, newest(func(int) bool { return true }, 20))
	page("type filter, first page (20)", domain.OutboxQuery{Limit: 20, Type: outbox.KYCStatusChanged},
		newest(func(i int) bool { return evs[i].Type == outbox.KYCStatusChanged }, 20))
	page("failed filter, first page", domain.OutboxQuery{Limit: 20, Status: domain.OutboxFailed},
		newest(func(i int) bool { return failed[i] }, 20))
	for _, l := range lines {
		t.Log(l)
	}
	if *table {
		fmt.Printf("\none partner's %d events on DynamoDB (moto, capacity meter): the busiest partition key of each index, and a page's reads\n", n)
		for _, l := range lines {
			fmt.Println(l)
		}
	}
}
