package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/adapters/kycproviders"
	"github.com/partner-identity/api/shared/adapters/sumsub"
	"github.com/partner-identity/api/shared/devdata"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/domain/servicekeys"
	"github.com/partner-identity/api/shared/domain/tokens"
	"github.com/partner-identity/api/shared/domain/users"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/lambda/dispatch"
	"github.com/partner-identity/api/shared/lambda/lambdarun"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/capacity"
	"github.com/partner-identity/api/shared/testkit/moto"
	"github.com/partner-identity/api/shared/testkit/netlink"
	"github.com/partner-identity/api/shared/testkit/queuetest"
	"github.com/partner-identity/api/shared/testkit/runtimeapi"
	"github.com/partner-identity/api/shared/testkit/sam"
	"github.com/partner-identity/api/shared/webhooks/signature"
)

var (
	rtt       = flag.Duration("rtt", 10*time.Millisecond, "round-trip time of the network bench's links to DynamoDB, Secrets Manager and SQS")
	netStarts = flag.Int("net-starts", 15, "cold starts over the network per binary, of which the median is reported")
	traceFns  = flag.String("trace", "get-user", "comma-separated functions whose cold start over the network the table follows with a timeline")
)

// devWebhookURL is the development partner's webhook URL in the network
// bench (https to a host name, as a registry in Lambda must have): a test
// event and a redelivery are accepted; no delivery is measured.
const devWebhookURL = "https://hooks.example.com/identity"

// netWorld is DynamoDB, Secrets Manager and SQS (moto_server) each behind
// a link of its own (a host on loopback, TLS, a fixed round-trip time),
// holding the development partner's registry, keys and secrets and the
// development user that the events/ files name.
type netWorld struct {
	srv            *moto.Server
	deps           *app.Deps // the table and secrets, reached directly (no link): for seeding
	table          string
	ddb, sm, queue *netlink.Link
	kms            *netlink.Link
	env            []string
	keys           *servicekeys.Keys
	created        int // create-user's events so far (each a new externalUserId)
}

func newNetWorld(t testing.TB, rtt time.Duration) *netWorld {
	t.Helper()
	srv := moto.Require(t)
	_, table := srv.NewTable(t, nil, nil)
	cfg := srv.Config(nil, nil)
	ctx := context.Background()
	// The development partner's webhook secret sealed under a KMS key, as
	// partnerctl seals it in AWS.
	webhookKey := srv.NewKey(t)
	d, err := devdata.Build(ctx, app.Config{TableName: table, AWS: &cfg, WebhookKeyID: webhookKey}, devdata.Local{WebhookURL: devWebhookURL})
	if err != nil {
		t.Fatal(err)
	}
	if err := devdata.SeedUser(ctx, d); err != nil {
		t.Fatal(err)
	}
	w := &netWorld{srv: srv, deps: d, table: table}
	w.keys, err = servicekeys.Parse([]byte(devdata.ServiceKeysJSON))
	if err != nil {
		t.Fatal(err)
	}
	suffix := fmt.Sprint(time.Now().UnixNano())
	sm := secretsmanager.NewFromConfig(cfg)
	ids := map[string]string{}
	for name, doc := range map[string]string{
		"SERVICE_KEYS_SECRET_ID":  devdata.ServiceKeysJSON,
		"TOKEN_SIGNING_SECRET_ID": devdata.ServiceKeysJSON,
		"KYC_PROVIDERS_SECRET_ID": devdata.KYCProvidersJSON,
	} {
		out, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(strings.ToLower(name) + "-" + suffix), SecretString: aws.String(doc)})
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = *out.ARN
	}
	q := sqs.NewFromConfig(cfg)
	retries, dlq, slow := moto.NewQueue(t, q, "bench-retries"), moto.NewQueue(t, q, "bench-dlq"), moto.NewQueue(t, q, "bench-slow")

	ca, err := netlink.NewCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// DynamoDB through moto's one-request-at-a-time proxy (its
	// transactions); Secrets Manager and SQS straight to moto, so that
	// two secrets fetched at once are served at once, as in AWS.
	for _, l := range []struct {
		link        **netlink.Link
		ip, backend string
	}{{&w.ddb, "127.0.0.2", srv.Endpoint}, {&w.sm, "127.0.0.3", srv.Direct}, {&w.queue, "127.0.0.4", srv.Direct}, {&w.kms, "127.0.0.5", srv.Direct}} {
		if *l.link, err = netlink.Start(ca, l.ip, l.backend, rtt); err != nil {
			t.Fatal(err)
		}
		link := *l.link
		t.Cleanup(func() { link.Close() })
	}
	// As in Lambda: every secret from Secrets
	// Manager, the table in DynamoDB, the queues in SQS, each service at
	// its own host; the test CA trusted through SSL_CERT_FILE.
	w.env = []string{
		"AWS_REGION=" + cfg.Region, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_ENDPOINT_URL_DYNAMODB=" + w.ddb.URL, "AWS_ENDPOINT_URL_SECRETS_MANAGER=" + w.sm.URL, "AWS_ENDPOINT_URL_SQS=" + w.queue.URL,
		"AWS_ENDPOINT_URL_KMS=" + w.kms.URL, "WEBHOOK_KEY_ID=" + webhookKey,
		"SSL_CERT_FILE=" + ca.File, "TABLE_NAME=" + table, "LOG_LEVEL=warn",
		"WEBHOOK_RETRY_QUEUE_URL=" + retries, "WEBHOOK_SLOW_QUEUE_URL=" + slow, "WEBHOOK_DLQ_URL=" + dlq, "BASELINE_PK=USER#" + devdata.UserID,
		"SANDBOX=enabled", // the template's default
	}
	for name, id := range ids {
		w.env = append(w.env, name+"="+id)
	}
	return w
}

// event is fn's events/ file as the bench sends it over the network: a
// user token minted now (the files' development tokens outlive the hour a
// deployed function accepts), a hosted callback signed now, and for
// delete-user a fresh user to erase (seeded directly, untimed).
func (w *netWorld) event(t testing.TB, fn string) []byte {
	t.Helper()
	file := fn
	switch fn {
	case "cleanup-kyc-sessions":
		file = "cleanup-schedule"
	case "dynamo":
		file = "get-user"
	}
	raw := mustRead(t, "events/"+file+".json")
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	headers, _ := ev["headers"].(map[string]any)
	now := time.Now()
	for _, h := range []string{"authorization", "user-authorization"} {
		if v, ok := headers[h].(string); ok && strings.HasPrefix(v, "Bearer ") {
			tok, err := tokens.Mint(w.keys, devdata.UserID, devdata.PartnerID, now, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			headers[h] = "Bearer " + tok.Token
		}
	}
	if fn == "kyc-hosted-webhook" {
		doc, err := kycproviders.Parse([]byte(devdata.KYCProvidersJSON))
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		signature.SetHeaders(h, []signature.Key{doc.Hosted.Key}, "cb_"+fmt.Sprint(now.UnixNano()), []byte(ev["body"].(string)), now)
		for _, k := range []string{"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"} {
			headers[strings.ToLower(k)] = h.Get(k)
		}
	}
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if fn == "create-user" {
		w.created++
		newExternalID(out, w.created)
	}
	if fn == "create-api-key" { // room for one more key: the others revoked (directly, untimed)
		admin := partners.NewAdmin(w.deps.Store, nil, false)
		d, err := admin.Show(context.Background(), devdata.PartnerID)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range d.Keys[1:] {
			if _, err := admin.RevokeKey(context.Background(), "bench", devdata.PartnerID, k.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if fn == "delete-user" {
		id := users.NewUserID(true)
		if err := seedErasable(context.Background(), w.deps, id); err != nil {
			t.Fatal(err)
		}
		out = []byte(strings.ReplaceAll(string(out), devdata.UserID, id))
	}
	return out
}

// netSubjects are the binaries of the network bench: the baseline
// (bench/dynamo) and every function, built for this machine into dir,
// each also without prefetching (-tags noprefetch) when before is set.
func netSubjects(t testing.TB, dir string, before bool) (names []string, bins map[string]string) {
	t.Helper()
	names = append([]string{"dynamo"}, sam.Sorted(sam.FunctionIDs(t))...)
	bins = map[string]string{}
	for _, tags := range []string{"", "noprefetch"} {
		if tags != "" && !before {
			continue
		}
		out := filepath.Join(dir, "net"+tags)
		args := []string{"build", "-tags", strings.TrimSuffix("lambda.norpc,"+tags, ","), "-trimpath", "-ldflags", "-s -w", "-o", out + string(os.PathSeparator), "./functions/...", "./bench/dynamo"}
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Env = testkit.Root(), append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build: %v\n%s", err, b)
		}
		for _, n := range names {
			key := n
			if tags != "" {
				key += " " + tags
			}
			bins[key] = filepath.Join(out, n)
		}
	}
	return names, bins
}

// netStart is one cold start over the network: process start to first
// response, its answer, its peak memory.
func (w *netWorld) netStart(t testing.TB, bin, fn string) (time.Duration, runtimeapi.Result) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var logs strings.Builder
	d, res, err := runtimeapi.ColdStart(ctx, bin, w.env, w.event(t, fn), &logs)
	if err != nil || res.Error {
		t.Fatalf("%s: %v %s\n%s", fn, err, res.Body, logs.String())
	}
	if s := statusOf(t, res.Body); s >= 500 && fn != "unmatched-route" {
		t.Fatalf("%s answered %s\n%s", fn, res.Body, logs.String())
	}
	return d, res
}

// warmPeak is fn's peak memory after n invocations of its event in one
// container over the network, and its CPU time for all of them.
func (w *netWorld) warmPeak(t testing.TB, bin, fn string, n int) (int64, time.Duration) {
	t.Helper()
	s, err := runtimeapi.New()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := s.Start(bin, w.env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for i := 0; i < n; i++ {
		if _, err := s.Invoke(ctx, p, w.event(t, fn)); err != nil {
			t.Fatalf("%s: %v", fn, err)
		}
	}
	peak := p.PeakRSS()
	p.Stop()
	return peak, p.CPU()
}

// TestEveryFunctionOverTheNetwork: every function, configured as in Lambda
// (every secret from Secrets Manager, DynamoDB, SQS, each at a host of its
// own over TLS, with a round-trip time), answers its event from a cold
// start; the baseline too. make test runs it with a short round trip; make
// bench measures with the same harness (TestNetworkTable).
func TestEveryFunctionOverTheNetwork(t *testing.T) {
	if *table {
		t.Skip("the table measures these")
	}
	w := newNetWorld(t, 2*time.Millisecond)
	names, bins := netSubjects(t, t.TempDir(), false)
	tpl, ids := sam.Transform(t), sam.FunctionIDs(t)
	want := map[string]int{
		"dynamo": 200, "create-user": 201, "get-user": 200, "find-user": 200, "delete-user": 204, "create-verification-link": 201,
		"get-user-kyc": 200, "kyc-sumsub-webhook": 200, "kyc-hosted-webhook": 200, "create-user-token": 201, "link-identifier": 200,
		"user-info": 200, "set-federated-identity": 204, "delete-federated-identity": 204, "list-federated-identities": 200,
		"list-webhook-events": 200, "redeliver-webhook-event": 202, "send-test-webhook": 202, "unmatched-route": 405,
		"list-api-keys": 200, "create-api-key": 201, "roll-api-key": 404, "revoke-api-key": 404, "jwks": 200, "oauth2-token": 200,
		"get-limits": 200, "list-webhook-endpoints": 200, "create-webhook-endpoint": 201, "get-webhook-endpoint": 200, "update-webhook-endpoint": 200,
		"delete-webhook-endpoint": 404, "rotate-webhook-endpoint-secret": 404,
		// The development partner's test key (the page: no key), about a session never opened.
		"sandbox-kyc-outcome": 404, "sandbox-simulation": 404, "sandbox-kyc-page": 404, "sandbox-kyc-decision": 404,
		"sandbox-wipe-data": 202,
	}
	for _, fn := range names {
		t.Run(fn, func(t *testing.T) {
			_, res := w.netStart(t, bins[fn], fn)
			if fn != "dynamo" {
				// The size the template gives it keeps 4x headroom over what
				// its first response took (the warm peak is within 2 MB of it:
				// make bench).
				mem, _ := tpl.Resources[ids[fn]].Properties["MemorySize"].(float64)
				if res.PeakRSS == 0 || float64(4*res.PeakRSS) > mem*(1<<20) {
					t.Errorf("peak memory %.1f MB, MemorySize %v MB: less than 4x headroom", mb(res.PeakRSS), mem)
				}
			}
			status, http := want[fn]
			if http && statusOf(t, res.Body) != status {
				t.Fatalf("answered %s, want %d", res.Body, status)
			}
			if !http && !strings.Contains(string(res.Body), `"batchItemFailures":[]`) && !strings.Contains(string(res.Body), `"done":true`) {
				t.Fatalf("answered %s", res.Body)
			}
		})
	}
}

// netRow is one binary's figures over the network.
type netRow struct {
	name                 string
	cold, coldBefore     time.Duration
	peakCold, peakWarm   int64
	cpuCold, cpuWarm     time.Duration // to the first response; per warm invocation
	excess, excessBefore float64       // over the baseline, in round trips
	// served is the median time DynamoDB's emulator spent on the first
	// request's calls (busyTime); excessServed the excess with it taken
	// out (the baseline's GetItem's own put back).
	served       time.Duration
	excessServed float64
	status       int
}

// busyTime is how long the link's backend was at work on the calls of
// events (the union of each call's span from its request to its answer,
// at the link): moto's own time, which AWS's DynamoDB spends in single
// milliseconds, and moto (in Python, its one-request-at-a-time proxy, its
// transactions copying the table to roll back) in up to tens as its table
// grows, and two calls made at once spend one after the other.
func busyTime(events []netlink.Event) time.Duration {
	var busy time.Duration
	var open int
	var from time.Time
	for _, e := range events { // in the order the link saw them
		switch {
		case strings.HasPrefix(e.What, "request "):
			if open == 0 {
				from = e.At
			}
			open++
		case strings.HasPrefix(e.What, "answer ") && open > 0:
			open--
			if open == 0 {
				busy += e.At.Sub(from)
			}
		}
	}
	return busy
}

// TestNetworkTable is make bench's second table: each function's first
// response over the network, with and without prefetching, next to the
// baseline's, and its peak memory cold and warm.
func TestNetworkTable(t *testing.T) {
	if !*table {
		t.Skip("make bench runs this (-table)")
	}
	w := newNetWorld(t, *rtt)
	names, bins := netSubjects(t, t.TempDir(), true)
	if *only != "" {
		names = slices.DeleteFunc(names, func(n string) bool { return n != "dynamo" && !slices.Contains(strings.Split(*only, ","), n) })
	}
	variants := []string{"", " noprefetch"}
	ds, cpu, served := map[string][]time.Duration{}, map[string][]time.Duration{}, map[string][]time.Duration{}
	rows := map[string]*netRow{}
	for _, n := range names {
		rows[n] = &netRow{name: n}
		w.netStart(t, bins[n], n) // unmeasured: the page cache, and the answer checked
	}
	for round := 0; round < *netStarts; round++ {
		for _, n := range names {
			for _, v := range variants {
				if n == "dynamo" && v != "" {
					continue
				}
				w.ddb.Trace() // forget what came before
				d, res := w.netStart(t, bins[n+v], n)
				ds[n+v] = append(ds[n+v], d)
				served[n+v] = append(served[n+v], busyTime(w.ddb.Trace()))
				if v == "" {
					rows[n].peakCold = max(rows[n].peakCold, res.PeakRSS)
					cpu[n] = append(cpu[n], res.CPU)
					rows[n].status = statusOf(t, res.Body)
				}
			}
		}
	}
	for _, n := range names {
		var all time.Duration
		rows[n].peakWarm, all = w.warmPeak(t, bins[n], n, warmInvocations)
		rows[n].cpuCold = median(sorted(cpu[n]))
		rows[n].cpuWarm = max(all-rows[n].cpuCold, 0) / (warmInvocations - 1)
		netCPU[n] = rows[n].cpuWarm
	}
	base, baseServed := median(sorted(ds["dynamo"])), median(sorted(served["dynamo"]))
	fmt.Printf("\nover the network: %s/%s, %d CPUs; DynamoDB, Secrets Manager and SQS (moto_server) each at a host of its own over TLS,\n"+
		"round-trip time %v (netlink: TCP's handshake, TLS 1.3's and each request one RTT each); first response = median of %d cold starts in rounds,\n"+
		"process start to first response, with prefetching (as shipped) and without (-tags noprefetch, as before it);\n"+
		"excess = (first response - baseline's) / RTT; baseline = bench/dynamo, one GetItem, no secret; peak = max RSS, cold (first response) and warm (after %d invocations);\n"+
		"cpu = CPU time (user+system, all threads) to the first response (median), and per warm invocation over the network (the rest, averaged);\n"+
		"moto = the emulator's own time on the first request's DynamoDB calls (median; the baseline's GetItem: %.1f ms), and net = the excess with it\n"+
		"taken out and the baseline's put back: the round trips as AWS, whose DynamoDB answers in single milliseconds, would see them\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), *rtt, *netStarts, warmInvocations, ms(baseServed))
	fmt.Printf("%-26s %9s %7s  %9s %7s  %9s %9s  %8s %8s  %7s %5s\n", "binary", "first ms", "excess", "before ms", "excess", "peak cold", "peak warm", "cpu cold", "cpu warm", "moto ms", "net")
	for _, n := range names {
		r := rows[n]
		r.cold = median(sorted(ds[n]))
		r.excess = float64(r.cold-base) / float64(*rtt)
		if n == "dynamo" {
			fmt.Printf("%-26s %9.1f %7s  %9s %7s  %8.1fM %8.1fM  %6.1fms %6.2fms\n", n+" (baseline)", ms(r.cold), "", "", "", mb(r.peakCold), mb(r.peakWarm), ms(r.cpuCold), ms(r.cpuWarm))
			continue
		}
		r.coldBefore = median(sorted(ds[n+" noprefetch"]))
		r.excessBefore = float64(r.coldBefore-base) / float64(*rtt)
		r.served = median(sorted(served[n]))
		r.excessServed = float64(r.cold-base-(r.served-baseServed)) / float64(*rtt)
		fmt.Printf("%-26s %9.1f %7.2f  %9.1f %7.2f  %8.1fM %8.1fM  %6.1fms %6.2fms  %7.1f %5.2f\n", n, ms(r.cold), r.excess, ms(r.coldBefore), r.excessBefore, mb(r.peakCold), mb(r.peakWarm), ms(r.cpuCold), ms(r.cpuWarm), ms(r.served), r.excessServed)
	}
	for _, fn := range strings.Split(*traceFns, ",") {
		if fn != "" && bins[fn] != "" {
			w.timeline(t, bins, "dynamo")
			w.timeline(t, bins, fn)
		}
	}
}

// warmInvocations is how many events the warm peak memory is measured after.
const warmInvocations = 100

// timeline prints what one cold start of bin (and of the baseline) did
// over the links, in milliseconds from process start: the profile of a
// first response.
func (w *netWorld) timeline(t testing.TB, bins map[string]string, fn string) {
	for _, l := range []*netlink.Link{w.ddb, w.sm, w.queue, w.kms} {
		l.Trace()
	}
	d, res := w.netStart(t, bins[fn], fn)
	start := res.At.Add(-d)
	type ev struct {
		at   time.Duration
		what string
	}
	evs := []ev{{res.Fetched.Sub(start), "runtime: first event fetched (end of init)"}, {d, "runtime: first response"}}
	for name, l := range map[string]*netlink.Link{"dynamodb": w.ddb, "secrets manager": w.sm, "sqs": w.queue, "kms": w.kms} {
		for _, e := range l.Trace() {
			evs = append(evs, ev{e.At.Sub(start), name + ": " + e.What})
		}
	}
	slices.SortFunc(evs, func(a, b ev) int { return int(a.at - b.at) })
	fmt.Printf("\ntimeline of one cold start of %s over the network (ms from process start; the links' own times: a request left the client RTT/2 earlier, an answer reaches it RTT/2 later):\n", fn)
	for _, e := range evs {
		fmt.Printf("  %7.1f  %s\n", ms(e.at), e.what)
	}
}

func sorted(ds []time.Duration) []time.Duration {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// TestPrefetchBeforeTheFirstEvent: the real create-user-token binary,
// configured as in Lambda over the links, opens two connections to
// DynamoDB and fetches its signing keys and its verification keys from
// Secrets Manager before its first event arrives; its first request then
// opens no connection and fetches no secret (two connections: the key's
// GetItem and the user's, made at once, one on each; two GetSecretValue
// in all). When that
// prefetch fails, the request fetches the keys itself and answers 201.
func TestPrefetchBeforeTheFirstEvent(t *testing.T) {
	if *table {
		t.Skip("make test runs this")
	}
	w := newNetWorld(t, time.Millisecond)
	bin := filepath.Join(t.TempDir(), "create-user-token")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "./functions/create-user-token")
	cmd.Dir, cmd.Env = testkit.Root(), append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	start := func(t *testing.T) (*runtimeapi.Server, *runtimeapi.Process, *strings.Builder) {
		for _, l := range []*netlink.Link{w.ddb, w.sm} {
			l.Conns.Store(0)
			l.Requests.Store(0)
		}
		s, err := runtimeapi.New()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		var logs strings.Builder
		p, err := s.Start(bin, w.env, &logs)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Stop)
		return s, p, &logs
	}
	waitFor := func(t *testing.T, what string, cond func() bool) {
		t.Helper()
		for stop := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
			if time.Now().After(stop) {
				t.Fatalf("no %s before the first event", what)
			}
		}
	}
	invoke := func(t *testing.T, s *runtimeapi.Server, p *runtimeapi.Process, logs *strings.Builder) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		res, err := s.Invoke(ctx, p, w.event(t, "create-user-token"))
		if err != nil || statusOf(t, res.Body) != 201 {
			t.Fatalf("first request: %v %s\n%s", err, res.Body, logs)
		}
	}

	t.Run("prefetched", func(t *testing.T) {
		s, p, logs := start(t)
		waitFor(t, "connections to DynamoDB", func() bool { return w.ddb.Conns.Load() == 2 })
		// The signing keys, and the verification keys (a partner access
		// token's, which a Partner v2 function accepts in place of the key).
		waitFor(t, "signing and verification keys fetch", func() bool { return w.sm.Requests.Load() == 2 })
		invoke(t, s, p, logs)
		// The key's GetItem and the user's, at once, then the partner's
		// rate budget (its lease, on a connection of those); a second
		// later, on one of them too, the key's last use (once a day).
		if c, r, sm := w.ddb.Conns.Load(), w.ddb.Requests.Load(), w.sm.Requests.Load(); c != 2 || r != 3 || sm != 2 {
			t.Fatalf("DynamoDB: %d connections, %d requests; Secrets Manager: %d requests; want 2, 3, 2", c, r, sm)
		}
		waitFor(t, "last use recorded", func() bool { return w.ddb.Requests.Load() == 4 })
		if c := w.ddb.Conns.Load(); c != 2 {
			t.Fatalf("the last use opened a connection of its own: %d", c)
		}
	})
	t.Run("prefetch failed", func(t *testing.T) {
		var refused atomic.Bool
		signing := ""
		for _, kv := range w.env {
			if v, ok := strings.CutPrefix(kv, "TOKEN_SIGNING_SECRET_ID="); ok {
				signing = v
			}
		}
		w.sm.Fault = func(rw http.ResponseWriter, r *http.Request) bool {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if signing == "" || !bytes.Contains(body, []byte(signing)) || refused.Swap(true) {
				return false
			}
			rw.Header().Set("Content-Type", "application/x-amz-json-1.1")
			rw.WriteHeader(http.StatusBadRequest)
			io.WriteString(rw, `{"__type":"AccessDeniedException","message":"refused once"}`)
			return true
		}
		t.Cleanup(func() { w.sm.Fault = nil })
		s, p, logs := start(t)
		waitFor(t, "signing keys fetch", func() bool { return refused.Load() })
		invoke(t, s, p, logs)
		if n := w.sm.Requests.Load(); n != 3 {
			t.Fatalf("Secrets Manager: %d requests, want 3 (the failed prefetch of the signing keys, the verification keys', the request's own)", n)
		}
	})
}

// netCPU are the functions' warm CPU times per invocation measured by
// TestNetworkTable in this run, for TestCostTable's durations.
var netCPU = map[string]time.Duration{}

// Prices, us-east-1, on-demand, as published by AWS (see
// docs/PERFORMANCE.md for the date they were read).
const (
	priceAPIGatewayPerM   = 1.00         // HTTP API, per million requests (first 300 million a month)
	priceLambdaReqPerM    = 0.20         // per million requests
	priceLambdaGBs        = 0.0000133334 // arm64, per GB-second (first 7.5 billion GB-s a month)
	priceRRUPerM          = 0.125        // DynamoDB on-demand, per million read request units
	priceWRUPerM          = 0.625        // DynamoDB on-demand, per million write request units
	priceSQSPerM          = 0.40         // SQS standard, per million requests
	priceLogsPerGB        = 0.50         // CloudWatch Logs ingestion, per GB
	priceXRayPerM         = 5.00         // X-Ray, per million traces recorded
	assumedDynamoCallMs   = 5.0          // one DynamoDB call in the region, on a warm connection
	assumedPartnerMs      = 100.0        // a partner's webhook endpoint's answer
	assumedLogBytes       = 350.0        // the one JSON request line a function logs per call
	assumedTracedFraction = 0.05         // X-Ray's default sampling: 1 a second, then 5 %
)

// TestCostTable is make bench's third table: what a million calls of each
// route cost, from the request units measured on its event (item sizes by
// DynamoDB's rules, package capacity), its memory in the template, its warm
// CPU measured over the network and the prices above; with the dispatcher's
// delivery of the events the route writes.
func TestCostTable(t *testing.T) {
	if !*table {
		t.Skip("make bench runs this (-table)")
	}
	srv := moto.Require(t)
	_, tableName := srv.NewTable(t, nil, nil)
	cfg := srv.Config(nil, nil)
	ctx := context.Background()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer hook.Close()
	d, err := devdata.Build(ctx, app.Config{TableName: tableName, AWS: &cfg, WebhookAllowHTTP: true}, devdata.Local{WebhookURL: hook.URL + "/hooks"})
	if err != nil {
		t.Fatal(err)
	}
	in, err := moto.TableInput(tableName)
	if err != nil {
		t.Fatal(err)
	}
	meter := &capacity.Meter{Inner: dynamodb.NewFromConfig(cfg), Indexes: capacity.IndexesOf(in)}
	d.Store = dynamostore.New(meter, tableName)
	queued := &queuetest.Queue{}
	d.Queues = &app.Queues{Retries: queued, SlowLane: &queuetest.Queue{}}
	if err := devdata.SeedUser(ctx, d); err != nil {
		t.Fatal(err)
	}
	keys, err := servicekeys.Parse([]byte(devdata.ServiceKeysJSON))
	if err != nil {
		t.Fatal(err)
	}
	w := &netWorld{deps: d, keys: keys}
	dispatcher := dispatch.New(d)
	tpl, ids := sam.Transform(t), sam.FunctionIDs(t)

	fmt.Printf("\ncost of 1 million calls, USD, us-east-1 (prices in docs/PERFORMANCE.md); request units measured on each route's event\n"+
		"(item sizes by DynamoDB's rules); Lambda duration estimated: %.0f ms per DynamoDB call + the warm CPU measured over the network\n"+
		"scaled to the memory's CPU share (1,769 MB = 1 vCPU), billed per ms; events: the dispatcher's delivery of what the route wrote\n"+
		"(its reads and writes, a %.0f ms partner, 256 MB); logs %.0f bytes a call; X-Ray %.0f%% of calls\n",
		assumedDynamoCallMs, assumedPartnerMs, assumedLogBytes, assumedTracedFraction*100)
	fmt.Printf("%-26s %5s %5s %5s %5s %6s  %7s %7s %7s %7s %7s %7s %7s  %7s  %s\n", "route", "RRU", "WRU", "evRRU", "evWRU", "MB", "APIGW", "λ req", "λ time", "DynamoDB", "events", "logs", "X-Ray", "total", "dominant")
	// The KYC results first: Sumsub's applies to the user's latest session,
	// which create-verification-link would replace.
	routes := devdata.Endpoints(d, queued)
	slices.SortStableFunc(routes, func(a, b httpx.Endpoint) int {
		return boolInt(!strings.HasPrefix(a.Name, "kyc-")) - boolInt(!strings.HasPrefix(b.Name, "kyc-"))
	})
	measured := map[string]routeCost{}
	for _, rt := range routes {
		before := outboxIDs(t, ctx, srv, tableName)
		meter.Reset()
		h := lambda.NewHandler(lambdarun.HTTP(httpx.Mux(rt)))
		out, err := h.Invoke(ctx, costEvent(t, w, rt.Name))
		if err != nil {
			t.Fatal(err)
		}
		if s := statusOf(t, out); s >= 400 {
			t.Fatalf("%s answered %s", rt.Name, out)
		}
		rru, wru, n := meter.Units()
		calls := float64(n)
		// The events the call wrote, delivered.
		meter.Reset()
		events := 0
		for _, ev := range newEvents(t, ctx, srv, tableName, before) {
			if err := dispatcher.Deliver(ctx, ev.Key()); err != nil {
				t.Fatal(err)
			}
			events++
		}
		// A redelivery: the SQS message (sent, received, deleted) and the
		// retry function's attempt.
		sqsRequests := 0.0
		for _, m := range queued.Take() {
			if err := dispatcher.Retry(ctx, m); err != nil {
				t.Fatal(err)
			}
			events++
			sqsRequests += 3
		}
		erru, ewru, _ := meter.Units()
		mem, _ := tpl.Resources[ids[rt.Name]].Properties["MemorySize"].(float64)
		cpu := netCPU[rt.Name]
		if cpu == 0 {
			cpu = time.Millisecond
		}
		durMs := math.Ceil(calls*assumedDynamoCallMs + ms(cpu)*1769/mem)
		c := map[string]float64{
			"APIGW":    priceAPIGatewayPerM,
			"λ req":    priceLambdaReqPerM,
			"λ time":   mem / 1024 * durMs / 1000 * priceLambdaGBs * 1e6,
			"DynamoDB": rru*priceRRUPerM + wru*priceWRUPerM,
			"events": erru*priceRRUPerM + ewru*priceWRUPerM + sqsRequests*priceSQSPerM +
				float64(events)*(priceLambdaReqPerM+0.25*math.Ceil(2*assumedDynamoCallMs+assumedPartnerMs)/1000*priceLambdaGBs*1e6),
			"logs":  assumedLogBytes * 1e6 / 1e9 * priceLogsPerGB,
			"X-Ray": assumedTracedFraction * priceXRayPerM,
		}
		total, dominant := 0.0, ""
		for k, v := range c {
			total += v
			if dominant == "" || v > c[dominant] {
				dominant = k
			}
		}
		fmt.Printf("%-26s %5.1f %5.1f %5.1f %5.1f %6.0f  %7.3f %7.3f %7.3f %7.3f %7.3f %7.3f %7.3f  %7.3f  %s\n", rt.Name, rru, wru, erru, ewru, mem,
			c["APIGW"], c["λ req"], c["λ time"], c["DynamoDB"], c["events"], c["logs"], c["X-Ray"], total, dominant)
		measured[rt.Name] = routeCost{rru: rru + erru, wru: wru + ewru, usd: total}
	}
	printCapacityModel(measured)
}

// routeCost is a route's measured request units a call (its events'
// delivery with it) and its whole cost per million calls.
type routeCost struct{ rru, wru, usd float64 }

// requestMix is the capacity model's mix of a partner's requests (per
// 100): reads of users and tokens most, then registrations and KYC.
var requestMix = map[string]float64{
	"get-user": 30, "find-user": 10, "create-user-token": 15, "user-info": 5, "get-user-kyc": 1.5,
	"create-user": 15, "create-verification-link": 8, "kyc-sumsub-webhook": 4, "kyc-hosted-webhook": 4,
	"link-identifier": 4, "set-federated-identity": 2, "list-webhook-events": 1, "delete-user": 0.5,
}

// Provisioned capacity prices (us-east-1, per unit-hour) and the target
// utilisation auto scaling keeps; the limiter's write units a request
// (TestLimiterCost: a big partner's leases, small partners').
const (
	priceWCUHour       = 0.00065
	priceRCUHour       = 0.00013
	provisionedTarget  = 0.7
	hoursAMonth        = 730
	limiterWRUBig      = 0.016
	limiterWRUSmall    = 0.21
	secondsAMonth      = hoursAMonth * 3600
	capacityModelLines = "one partner at 5,000 requests/s; 1,000 partners at 50/s each"
)

// printCapacityModel prints docs/PERFORMANCE.md's capacity model: what
// one partner at 5,000 requests a second and 1,000 partners at 50 each
// cost a month, on demand and provisioned, from the measured units and
// requestMix.
func printCapacityModel(measured map[string]routeCost) {
	var mixRRU, mixWRU, mixUSD, weight float64
	for name, w := range requestMix {
		c, ok := measured[name]
		if !ok {
			continue
		}
		mixRRU += w * c.rru
		mixWRU += w * c.wru
		mixUSD += w * c.usd
		weight += w
	}
	mixRRU, mixWRU, mixUSD = mixRRU/weight, mixWRU/weight, mixUSD/weight
	dynamoPerM := mixRRU*priceRRUPerM + mixWRU*priceWRUPerM
	fmt.Printf("\ncapacity model (%s); the mix a request: %.2f RRU, %.2f WRU, $%.2f a million all told ($%.2f of it DynamoDB on demand)\n",
		capacityModelLines, mixRRU, mixWRU, mixUSD, dynamoPerM)
	fmt.Printf("%-34s %8s %10s %10s %12s %12s %14s\n", "", "req/s", "RRU/s", "WRU/s", "DDB on-demand", "DDB provisioned", "whole stack (on-demand)")
	for _, s := range []struct {
		name    string
		rate    float64
		limiter float64
	}{{"one partner at 5,000/s", 5000, limiterWRUBig}, {"1,000 partners at 50/s each", 50_000, limiterWRUSmall}} {
		rru, wru := s.rate*mixRRU, s.rate*(mixWRU+s.limiter)
		perMonth := s.rate * secondsAMonth / 1e6
		onDemand := perMonth * (mixRRU*priceRRUPerM + (mixWRU+s.limiter)*priceWRUPerM)
		provisioned := (rru/provisionedTarget*priceRCUHour + wru/provisionedTarget*priceWCUHour) * hoursAMonth
		whole := perMonth * (mixUSD + s.limiter*priceWRUPerM)
		fmt.Printf("%-34s %8.0f %10.0f %10.0f %12.0f$ %12.0f$ %14.0f$\n", s.name, s.rate, rru, wru, onDemand, provisioned, whole)
	}
}

// outboxIDs are the ids of the outbox events in table.
func outboxIDs(t testing.TB, ctx context.Context, srv *moto.Server, table string) map[string]bool {
	t.Helper()
	evs, err := moto.OutboxEvents(ctx, dynamodb.NewFromConfig(srv.Config(nil, nil)), table)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, ev := range evs {
		ids[ev.ID] = true
	}
	return ids
}

// newEvents are the outbox events of table not in before.
func newEvents(t testing.TB, ctx context.Context, srv *moto.Server, table string, before map[string]bool) []domain.OutboxEvent {
	t.Helper()
	evs, err := moto.OutboxEvents(ctx, dynamodb.NewFromConfig(srv.Config(nil, nil)), table)
	if err != nil {
		t.Fatal(err)
	}
	var out []domain.OutboxEvent
	for _, ev := range evs {
		if !before[ev.ID] {
			out = append(out, ev)
		}
	}
	return out
}

// costEvent is fn's event as the cost table sends it: the network bench's
// (fresh tokens, a hosted callback signed now), and the path that writes
// where the events/ file meets a no-op in a seeded store: link-identifier
// links a new identifier (the file's is linked already; user-info then
// names the user by it), Sumsub's result is newer than the session
// (re-signed).
func costEvent(t testing.TB, w *netWorld, fn string) []byte {
	t.Helper()
	ev := w.event(t, fn)
	admin := partners.NewAdmin(w.deps.Store, nil, false).WithSealer(w.deps.Sealer)
	switch fn {
	case "roll-api-key", "revoke-api-key": // a key of the partner's own, made for the call
		before, err := admin.Show(context.Background(), devdata.PartnerID)
		if err != nil {
			t.Fatal(err)
		}
		d, _, err := admin.IssueKey(context.Background(), "cost", devdata.PartnerID, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range d.Keys {
			if !slices.ContainsFunc(before.Keys, func(o partners.KeyInfo) bool { return o.ID == k.ID }) {
				return bytes.ReplaceAll(ev, []byte("key_000000000000"), []byte(k.ID))
			}
		}
		t.Fatal("no new key")
	case "delete-webhook-endpoint", "rotate-webhook-endpoint-secret": // an endpoint of the partner's own (disabled: no delivery)
		url, off := "https://hooks.example.com/cost", true
		e, _, err := admin.CreateEndpoint(context.Background(), "cost", devdata.PartnerID, partners.EndpointInput{URL: &url, Disabled: &off})
		if err != nil {
			t.Fatal(err)
		}
		return bytes.ReplaceAll(ev, []byte("we_0000000000000000"), []byte(e.ID))
	case "link-identifier", "user-info": // the new identifier, then the user by it
		return []byte(strings.ReplaceAll(string(ev), devdata.Identifier, "cost"+strings.Repeat("0", 59)+"1"))
	case "kyc-sumsub-webhook", "kyc-hosted-webhook":
		// A result that leaves the user open to a new session (the table
		// runs them before create-verification-link), at now (the hosted
		// one a second later: a result applies only when newer than the
		// last one applied).
		var e map[string]any
		if err := json.Unmarshal(ev, &e); err != nil {
			t.Fatal(err)
		}
		body := strings.NewReplacer("2026-11-23 10:00:00.000", time.Now().UTC().Format("2006-01-02 15:04:05.000"),
			"2026-11-23T10:00:00.000Z", time.Now().UTC().Add(time.Second).Format("2006-01-02T15:04:05.000Z"),
			`"reviewAnswer":"GREEN"`, `"reviewAnswer":"RED","reviewRejectType":"RETRY"`, `"status":"APPROVED"`, `"status":"IN_REVIEW"`).Replace(e["body"].(string))
		doc, err := kycproviders.Parse([]byte(devdata.KYCProvidersJSON))
		if err != nil {
			t.Fatal(err)
		}
		e["body"] = body
		headers := e["headers"].(map[string]any)
		if fn == "kyc-sumsub-webhook" {
			headers["x-payload-digest"] = sumsub.Digest(doc.Sumsub.WebhookSecret, []byte(body))
		} else {
			h := http.Header{}
			signature.SetHeaders(h, []signature.Key{doc.Hosted.Key}, "cb_cost", []byte(body), time.Now())
			for _, k := range []string{"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"} {
				headers[strings.ToLower(k)] = h.Get(k)
			}
		}
		out, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	return ev
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
