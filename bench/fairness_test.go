package bench_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/devdata"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/domain/ratelimit"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/testkit/fixture"
	"github.com/partner-identity/api/shared/testkit/moto"
)

// The fairness load: partner A sends ten times its limit, partner B half
// of its own, both with the same limit.
const (
	fairRate  = 20 // each partner's limit: 20 requests a second
	fairBurst = 20 // and bursts of 20
	loadA     = 10 * fairRate
	loadB     = fairRate / 2
)

// fairRegistry gives A and B the same limit.
var fairRegistry = fmt.Sprintf(`{"partners":[
 {"id":"p_a","name":"A","apiKeySha256":[%q],"flow":"API","limits":{"default":{"rate":%d,"burst":%d}}},
 {"id":"p_b","name":"B","apiKeySha256":[%q],"flow":"API","limits":{"default":{"rate":%d,"burst":%d}}}
]}`, partners.KeyDigest(fixture.KeyAcme), fairRate, fairBurst, partners.KeyDigest(fixture.KeyBeta), fairRate, fairBurst)

// fairTarget is the API under load: containers serving it over loopback
// HTTP, each with its own limiter over the one store.
type fairTarget struct {
	name string
	urls []string
}

// fairContainers starts n containers as make run builds its one (the
// development wiring, partners from fairRegistry), on the memory store
// (cfg without a table; then n is 1: one process) or on cfg's table.
func fairContainers(t testing.TB, name string, cfg app.Config, n int) fairTarget {
	t.Helper()
	file := filepath.Join(t.TempDir(), "partners.json")
	if err := os.WriteFile(file, []byte(fairRegistry), 0o600); err != nil {
		t.Fatal(err)
	}
	target := fairTarget{name: name}
	for i := 0; i < n; i++ {
		d, err := devdata.Build(context.Background(), cfg, devdata.Local{Memory: cfg.TableName == "", PartnersFile: file})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(devdata.Mux(d, nil))
		t.Cleanup(srv.Close)
		target.urls = append(target.urls, srv.URL)
	}
	return target
}

// fairResult is one partner's side of a run.
type fairResult struct {
	sent, ok, limited, other int
	latencies                []time.Duration
}

func (r *fairResult) median() time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	ls := slices.Clone(r.latencies)
	slices.Sort(ls)
	return ls[len(ls)/2]
}

// fairLoad sends partner key's GET /api/partner/v2/limits at rate a
// second for d, open loop (a request every 1/rate whatever the answers),
// spread round-robin over the target's containers; at most 64 in flight.
func fairLoad(client *http.Client, target fairTarget, key string, rate int, d time.Duration, res *fairResult, wg *sync.WaitGroup) {
	defer wg.Done()
	var mu sync.Mutex
	var inflight sync.WaitGroup
	sem := make(chan struct{}, 64)
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	stop := time.After(d)
	var seq atomic.Int64
	for {
		select {
		case <-stop:
			inflight.Wait()
			return
		case <-tick.C:
		}
		sem <- struct{}{}
		inflight.Add(1)
		url := target.urls[int(seq.Add(1))%len(target.urls)] + "/api/partner/v2/limits"
		go func() {
			defer func() { <-sem; inflight.Done() }()
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("partner-api-key", key)
			start := time.Now()
			resp, err := client.Do(req)
			took := time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			res.sent++
			if err != nil {
				res.other++
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusOK:
				res.ok++
				res.latencies = append(res.latencies, took)
			case http.StatusTooManyRequests:
				res.limited++
			default:
				res.other++
			}
		}()
	}
}

// fairRun loads B alone for d (its baseline), then A and B together for
// d: A's admissions and refusals, B's answers and median latency each time.
func fairRun(t testing.TB, target fairTarget, d time.Duration) (a, bAlone, bWith fairResult, took time.Duration) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}, Timeout: 10 * time.Second}
	// Warm: the partners read, connections open.
	for _, u := range target.urls {
		for _, k := range []string{fixture.KeyAcme, fixture.KeyBeta} {
			req, _ := http.NewRequest(http.MethodGet, u+"/api/partner/v2/limits", nil)
			req.Header.Set("partner-api-key", k)
			if resp, err := client.Do(req); err == nil {
				resp.Body.Close()
			}
		}
	}
	time.Sleep(time.Duration(fairBurst) * time.Second / fairRate) // the warm-up's draw back
	var wg sync.WaitGroup
	wg.Add(1)
	fairLoad(client, target, fixture.KeyBeta, loadB, d, &bAlone, &wg)
	time.Sleep(time.Duration(fairBurst) * time.Second / fairRate)
	start := time.Now()
	wg.Add(2)
	go fairLoad(client, target, fixture.KeyAcme, loadA, d, &a, &wg)
	go fairLoad(client, target, fixture.KeyBeta, loadB, d, &bWith, &wg)
	wg.Wait()
	return a, bAlone, bWith, time.Since(start)
}

// checkFair holds a run to what fairness means in counts: B was never
// refused; A got its limit over the run, within its burst (and what each
// container leases ahead), and 429 for the rest. Timings are printed only.
func checkFair(t testing.TB, target fairTarget, a, bAlone, bWith fairResult, took time.Duration) {
	t.Helper()
	if bAlone.limited+bAlone.other+bWith.limited+bWith.other != 0 {
		t.Errorf("%s: B refused (alone: %d 429, %d other; with A: %d 429, %d other)", target.name, bAlone.limited, bAlone.other, bWith.limited, bWith.other)
	}
	// Its rate and burst, and at most one small lease on credit per
	// container while the bucket still looked full (ratelimit's quiet
	// partners).
	ceiling := int(float64(fairRate)*took.Seconds()) + fairBurst + len(target.urls)*ratelimit.CreditMax
	floor := int(0.7 * float64(fairRate) * took.Seconds())
	if a.ok > ceiling || a.ok < floor || a.other != 0 || a.ok+a.limited != a.sent {
		t.Errorf("%s: A got %d of %d (%d refused, %d other) in %v: want %d to %d", target.name, a.ok, a.sent, a.limited, a.other, took.Round(time.Millisecond), floor, ceiling)
	}
}

func fairLine(target fairTarget, a, bAlone, bWith fairResult, took time.Duration) string {
	shift := 0.0
	if m := bAlone.median(); m > 0 {
		shift = 100 * (float64(bWith.median()) - float64(m)) / float64(m)
	}
	return fmt.Sprintf("%-34s A: %4d sent, %4d admitted (limit over %.1f s: %d + burst %d), %4d refused | B: %3d sent, %d refused; median %6.2f ms alone, %6.2f ms beside A (%+.1f%%)",
		target.name, a.sent, a.ok, took.Seconds(), int(float64(fairRate)*took.Seconds()), fairBurst, a.limited,
		bWith.sent, bWith.limited+bAlone.limited, ms(bAlone.median()), ms(bWith.median()), shift)
}

// TestFairness: make run's wiring (memory store, one process) and four
// containers over DynamoDB (moto), each loaded 3 s: A at ten times its
// limit, B at half of its own. Counts are asserted; the latencies printed
// (make bench prints the longer run's, TestFairnessTable).
func TestFairness(t *testing.T) {
	if *table {
		t.Skip("make bench runs TestFairnessTable")
	}
	srv := moto.Require(t)
	_, tbl := srv.NewTable(t, nil, nil)
	cfg := srv.Config(nil, nil)
	for _, target := range []fairTarget{
		fairContainers(t, "make run (memory, 1 process)", app.Config{}, 1),
		fairContainers(t, "4 containers on DynamoDB (moto)", app.Config{TableName: tbl, AWS: &cfg}, 4),
	} {
		a, alone, with, took := fairRun(t, target, 3*time.Second)
		t.Log(fairLine(target, a, alone, with, took))
		checkFair(t, target, a, alone, with, took)
	}
}

// TestFairnessTable is make bench's fairness figures: 10 s runs.
func TestFairnessTable(t *testing.T) {
	if !*table {
		t.Skip("make bench runs this (-table)")
	}
	srv := moto.Require(t)
	_, tbl := srv.NewTable(t, nil, nil)
	cfg := srv.Config(nil, nil)
	var lines []string
	for _, target := range []fairTarget{
		fairContainers(t, "make run (memory, 1 process)", app.Config{}, 1),
		fairContainers(t, "4 containers on DynamoDB (moto)", app.Config{TableName: tbl, AWS: &cfg}, 4),
	} {
		a, alone, with, took := fairRun(t, target, 10*time.Second)
		checkFair(t, target, a, alone, with, took)
		lines = append(lines, fairLine(target, a, alone, with, took))
	}
	fmt.Printf("\nfairness: partners A and B, each limited to %d requests/s (burst %d); A sends %d/s, B %d/s; GET /api/partner/v2/limits over loopback HTTP\n%s\n",
		fairRate, fairBurst, loadA, loadB, strings.Join(lines, "\n"))
}
