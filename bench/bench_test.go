// Package bench measures every function against the bare runtime: binary
// size, cold start (process start to first response through a local
// Lambda Runtime API, the real bootstrap as a child process) and warm
// latency and allocations through the whole Lambda path in process (event
// JSON in, response JSON out, memory store).
//
// `make bench` prints the table (-table); `make test` runs the same code on
// the two baselines and one function once, and checks that every
// function's warm event gets the answer the table claims to measure.
package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/runtimeapi"
)

var (
	table  = flag.Bool("table", false, "build every function and print the performance table")
	starts = flag.Int("starts", 15, "cold starts per binary, of which the median is reported")
	only   = flag.String("only", "", "comma-separated functions to measure (default all)")
)

// Targets of issue 7, as ratios measured in one run.
const (
	coldTarget = 1.5 // cold start / bare hello
	warmTarget = 3.0 // warm latency / bare adapter
	sizeTarget = 2.5 // binary size / bare hello
)

func TestMain(m *testing.M) {
	flag.Parse()
	// Handlers log one JSON line per request: keep the formatting cost in
	// the figures, not the terminal's.
	slog.SetDefault(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	os.Exit(m.Run())
}

// build compiles pkg as it ships (the Makefile's build-one: static,
// -tags lambda.norpc, -trimpath, -s -w) for arch into dir/name/bootstrap.
func build(t testing.TB, dir, name, pkg, arch string) string {
	t.Helper()
	cmd := exec.Command("make", "-s", "--no-print-directory", "build-one", "F="+name, "PKG="+pkg, "OUT="+dir, "ARCH="+arch)
	cmd.Dir = testkit.Root()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", name, err, out)
	}
	return filepath.Join(dir, name, "bootstrap")
}

// coldEnv is the environment of a function under the bench's Runtime API:
// the memory store and development keys (LAMBDA_LOCAL_EMULATION), so that
// no network call is measured.
var coldEnv = []string{"LAMBDA_LOCAL_EMULATION=true", "STORE=memory", "LOG_LEVEL=info"}

// coldStarts starts binary n times with event queued and returns the sorted
// durations and the last response.
func coldStarts(t testing.TB, srv *runtimeapi.Server, binary string, env []string, event []byte, n int) ([]time.Duration, runtimeapi.Result) {
	t.Helper()
	var ds []time.Duration
	var last runtimeapi.Result
	for i := 0; i < n; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		d, res, err := srv.ColdStart(ctx, binary, env, event, io.Discard)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", binary, err)
		}
		ds = append(ds, d)
		last = res
	}
	slices.Sort(ds)
	return ds, last
}

func median(ds []time.Duration) time.Duration {
	n := len(ds)
	if n%2 == 1 {
		return ds[n/2]
	}
	return (ds[n/2-1] + ds[n/2]) / 2
}

func statusOf(t testing.TB, out []byte) int {
	t.Helper()
	var resp struct {
		StatusCode int `json:"statusCode"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("response %s: %v", out, err)
	}
	return resp.StatusCode
}

// TestColdStartHarness runs the Runtime API harness on the baselines and
// one function: each answers its event through the real binary.
func TestColdStartHarness(t *testing.T) {
	if *table {
		t.Skip("the table measures these")
	}
	dir := t.TempDir()
	srv, err := runtimeapi.New()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	event := mustRead(t, "events/get-user.json")

	_, res := coldStarts(t, srv, build(t, dir, "hello", "./bench/hello", runtime.GOARCH), nil, event, 1)
	if string(res.Body) != `"hello"` || res.Error {
		t.Fatalf("hello answered %s", res.Body)
	}
	_, res = coldStarts(t, srv, build(t, dir, "adapter", "./bench/adapter", runtime.GOARCH), nil, event, 1)
	if got := statusOf(t, res.Body); got != 204 {
		t.Fatalf("adapter answered %d", got)
	}
	// A fresh container has an empty memory store: the user is not found,
	// after authentication, in the Partner v2 dialect.
	_, res = coldStarts(t, srv, build(t, dir, "get-user", "./functions/get-user", runtime.GOARCH), coldEnv, event, 1)
	if got := statusOf(t, res.Body); got != 404 || !bytes.Contains(res.Body, []byte("Requested User was not found")) {
		t.Fatalf("get-user answered %s", res.Body)
	}
	if n := srv.InitErrors.Load(); n != 0 {
		t.Fatalf("%d init errors", n)
	}
}

func mustRead(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testkit.Root(), rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type row struct {
	name               string
	size               int64
	cold               time.Duration
	coldP90            time.Duration
	warmNs, warmAllocs int64
	status             string
}

// TestPerformanceTable is `make bench`.
func TestPerformanceTable(t *testing.T) {
	if !*table {
		t.Skip("make bench runs this (-table)")
	}
	dir := t.TempDir()
	srv, err := runtimeapi.New()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	measure := func(name, pkg string, env []string, event []byte, warm func(b *testing.B)) row {
		shipped := build(t, filepath.Join(dir, "arm64"), name, pkg, "arm64")
		st, err := os.Stat(shipped)
		if err != nil {
			t.Fatal(err)
		}
		local := shipped
		if runtime.GOARCH != "arm64" {
			local = build(t, filepath.Join(dir, runtime.GOARCH), name, pkg, runtime.GOARCH)
		}
		// One unmeasured start warms the page cache, as a deployed binary's
		// would be.
		coldStarts(t, srv, local, env, event, 1)
		ds, res := coldStarts(t, srv, local, env, event, *starts)
		r := row{name: name, size: st.Size(), cold: median(ds), coldP90: ds[len(ds)*9/10]}
		if res.Error {
			t.Fatalf("%s: error %s", name, res.Body)
		}
		if bytes.HasPrefix(res.Body, []byte(`{"statusCode"`)) {
			r.status = fmt.Sprint(statusOf(t, res.Body))
		}
		br := testing.Benchmark(warm)
		r.warmNs, r.warmAllocs = br.NsPerOp(), br.AllocsPerOp()
		return r
	}

	event := mustRead(t, "events/get-user.json")
	hello := measure("hello", "./bench/hello", nil, event, warmHello(event))
	adapter := measure("adapter", "./bench/adapter", nil, event, warmAdapter(event))

	var rows []row
	for _, fn := range benchFunctions(t) {
		if *only != "" && !slices.Contains(strings.Split(*only, ","), fn.name) {
			continue
		}
		r := measure(fn.name, "./functions/"+fn.name, coldEnv, fn.event, fn.warm)
		rows = append(rows, r)
	}
	printTable(os.Stdout, hello, adapter, rows)
}

func printTable(w io.Writer, hello, adapter row, rows []row) {
	fmt.Fprintf(w, "\n%s/%s, %d CPUs, %s; cold start = median of %d starts (p90 beside it), process start to first response\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), *starts)
	fmt.Fprintf(w, "%-26s %12s %6s  %9s %8s %6s  %10s %6s %7s  %s\n",
		"binary", "size (arm64)", "x hello", "cold ms", "p90 ms", "x hello", "warm us", "x adapter", "allocs", "targets (size<=2.5 cold<=1.5 warm<=3)")
	line := func(r row, base bool) {
		sizeX := float64(r.size) / float64(hello.size)
		coldX := float64(r.cold) / float64(hello.cold)
		warmX := float64(r.warmNs) / float64(adapter.warmNs)
		verdict := ""
		if !base {
			var miss []string
			if sizeX > sizeTarget {
				miss = append(miss, "size")
			}
			if coldX > coldTarget {
				miss = append(miss, "cold")
			}
			if warmX > warmTarget {
				miss = append(miss, "warm")
			}
			verdict = "met"
			if len(miss) > 0 {
				verdict = "MISSED: " + strings.Join(miss, ", ")
			}
		}
		fmt.Fprintf(w, "%-26s %12d %6.2f  %9.2f %8.2f %6.2f  %10.1f %6.2f %7d  %s\n",
			r.name, r.size, sizeX, ms(r.cold), ms(r.coldP90), coldX, float64(r.warmNs)/1000, warmX, r.warmAllocs, verdict)
	}
	line(hello, true)
	line(adapter, true)
	for _, r := range rows {
		line(r, false)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
