package bench_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/domain/ratelimit"
	"github.com/partner-identity/api/shared/testkit/capacity"
	"github.com/partner-identity/api/shared/testkit/moto"
)

// keyWrites counts the writes to each partition key by (fake) second.
type keyWrites struct {
	dynamostore.API
	now func() time.Time
	mu  sync.Mutex
	n   map[string]map[int64]int
}

func (k *keyWrites) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	pk := in.Key["pk"].(*types.AttributeValueMemberS).Value
	k.mu.Lock()
	if k.n[pk] == nil {
		k.n[pk] = map[int64]int{}
	}
	k.n[pk][k.now().Unix()]++
	k.mu.Unlock()
	return k.API.UpdateItem(ctx, in, opts...)
}

// busiest is the most writes one key took in one second.
func (k *keyWrites) busiest() int {
	top := 0
	for _, secs := range k.n {
		for _, n := range secs {
			top = max(top, n)
		}
	}
	return top
}

// limiterScenario is a load on the limiter: partners, each sending rate
// requests a second spread over containers, under a policy, for d.
type limiterScenario struct {
	name       string
	partners   int
	rate       int
	containers int
	policy     ratelimit.Policy
	d          time.Duration
}

type limiterCost struct {
	requests, admitted int
	wru                float64
	busiest            int
}

// runLimiter runs s on DynamoDB (moto) through the capacity meter, time
// faked (requests spread evenly over each second), and returns the write
// units per request and the busiest key's writes in a second.
func runLimiter(t testing.TB, srv *moto.Server, s limiterScenario) limiterCost {
	t.Helper()
	db, table := srv.NewTable(t, nil, nil)
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	meter := &capacity.Meter{Inner: db}
	counted := &keyWrites{API: meter, now: clock, n: map[string]map[int64]int{}}
	store := dynamostore.New(counted, table)
	fleet := make([]*ratelimit.Limiter, s.containers)
	for i := range fleet {
		fleet[i] = ratelimit.New(store, clock)
	}
	var c limiterCost
	perSecond := s.partners * s.rate
	step := time.Second / time.Duration(perSecond)
	for i := 0; i < int(s.d.Seconds())*perSecond; i++ {
		partner := fmt.Sprintf("p_%03d", i%s.partners)
		container := fleet[(i/s.partners)%s.containers]
		d, err := container.Allow(context.Background(), partner, ratelimit.Default, s.policy)
		if err != nil {
			t.Fatal(err)
		}
		container.Settle() // a lease behind the request, taken before the clock moves
		c.requests++
		if d.Allowed {
			c.admitted++
		}
		now = now.Add(step)
	}
	_, c.wru, _ = meter.Units()
	c.busiest = counted.busiest()
	return c
}

// TestLimiterCost: the limiter's write units per request and its busiest
// key on DynamoDB (moto, the capacity meter): one partner at 5,000
// requests a second on 10 containers costs under 0.05 write units a
// request and under 300 writes a second on its bucket (a partition takes
// 1,000); a partner over its limit costs less still (a refusal asks the
// table nothing until a request fits); many small partners cost more per
// request, printed. make bench prints the same (-table).
func TestLimiterCost(t *testing.T) {
	srv := moto.Require(t)
	scenarios := []limiterScenario{
		{"1 partner, 5,000/s, limit 10,000/s, 10 containers", 1, 5000, 10, ratelimit.Policy{Rate: 10_000, Burst: 20_000}, 4 * time.Second},
		{"1 partner, 5,000/s, limit 1,000/s, 10 containers", 1, 5000, 10, ratelimit.Policy{Rate: 1000, Burst: 2000}, 4 * time.Second},
		{"50 partners, 25/s each (half the default), 2 containers each", 50, 25, 2, ratelimit.Defaults()[ratelimit.Default], 4 * time.Second},
	}
	lines := []string{}
	for i, s := range scenarios {
		c := runLimiter(t, srv, s)
		per := c.wru / float64(c.requests)
		line := fmt.Sprintf("%-62s %7d requests, %6d admitted, %6.0f WRU: %.4f WRU a request; busiest key %3d writes/s",
			s.name, c.requests, c.admitted, c.wru, per, c.busiest)
		lines = append(lines, line)
		t.Log(line)
		if i < 2 && (per >= 0.05 || c.busiest > 300) {
			t.Errorf("%s: %.4f WRU a request, %d writes/s on one key: want under 0.05 and 300", s.name, per, c.busiest)
		}
		if i == 1 && c.admitted > 1000*4+2000 {
			t.Errorf("%s: %d admitted over 4 s", s.name, c.admitted)
		}
	}
	if *table {
		fmt.Printf("\nthe rate limiter's cost on DynamoDB (moto, capacity meter; one UpdateItem per lease, a failed conditional one billed too):\n")
		for _, l := range lines {
			fmt.Println(l)
		}
	}
}
