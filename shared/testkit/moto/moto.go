// Package moto starts moto_server for integration tests and creates the
// table from template.yaml's own definition. Under CI=true a missing or
// broken moto_server fails the tests; elsewhere they are skipped with a
// message.
//
// moto evaluates conditions and transactions without a lock, and its
// threaded server lets two requests interleave: two concurrent conditional
// updates of one item can both succeed, and concurrent transactions can
// fail with a 500. DynamoDB applies each request atomically. So clients talk
// to moto through an in-process proxy that passes one request at a time:
// the code under test still races (its goroutines, retries and conflicts),
// and every request is atomic, as in DynamoDB.
package moto

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/partner-identity/api/shared/testkit"
	"go.yaml.in/yaml/v3"
)

// Server is a running moto_server behind its serializing proxy.
type Server struct {
	// Endpoint is the proxy's URL, for SDK clients.
	Endpoint string
	// Direct is moto_server's own URL, without the proxy that passes one
	// request at a time: for services without transactions (Secrets
	// Manager, SQS) when requests must run in parallel, as in AWS.
	Direct string
	cmd    *exec.Cmd
	proxy  *http.Server
}

var (
	once    sync.Once
	shared  *Server
	initErr error
)

// Shared starts one moto_server for the test binary (stopped by Stop, which
// TestMain should call after m.Run).
func Shared() (*Server, error) {
	once.Do(func() { shared, initErr = start() })
	return shared, initErr
}

// Require returns the shared server, or skips t (fails it under CI=true)
// when moto_server cannot run.
func Require(t testing.TB) *Server {
	t.Helper()
	s, err := Shared()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("moto_server is required under CI=true: %v", err)
		}
		t.Skipf("moto_server unavailable (%v): integration test skipped; CI=true makes this a failure", err)
	}
	return s
}

// Stop ends the shared server, if one was started.
func Stop() {
	if shared != nil && shared.proxy != nil {
		_ = shared.proxy.Close()
	}
	if shared != nil && shared.cmd.Process != nil {
		_ = syscall.Kill(-shared.cmd.Process.Pid, syscall.SIGKILL)
		_ = shared.cmd.Wait()
	}
}

func start() (*Server, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	args := []string{"-H", "127.0.0.1", "-p", fmt.Sprint(port)}
	cmd := exec.Command(bin, args...)
	// moto_server's own interpreter runs launch.py: the same server, with
	// its transactions' rollback snapshot taken once per table (launch.py).
	if py := motoPython(bin); py != "" {
		cmd = exec.Command(py, append([]string{filepath.Join(testkit.Root(), "shared", "testkit", "moto", "launch.py")}, args...)...)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	motoURL := fmt.Sprintf("http://127.0.0.1:%d", port)
	s := &Server{cmd: cmd, Direct: motoURL}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(motoURL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			if err := s.startProxy(motoURL); err != nil {
				Stop()
				return nil, err
			}
			return s, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Wait()
	return nil, errors.New("moto_server did not answer within 30s")
}

// motoPython finds the Python interpreter that moto_server runs on: the
// one whose moto module imports. "" when none does (then moto_server runs
// as it is).
func motoPython(bin string) string {
	candidates := []string{}
	if out, err := exec.Command("pyenv", "which", "moto_server").Output(); err == nil {
		real := strings.TrimSpace(string(out))
		candidates = append(candidates, filepath.Join(filepath.Dir(real), "python3"))
	}
	candidates = append(candidates, filepath.Join(filepath.Dir(bin), "python3"), "python3")
	for _, py := range candidates {
		if exec.Command(py, "-c", "import moto.server, moto.dynamodb.models").Run() == nil {
			return py
		}
	}
	return ""
}

// startProxy serves a reverse proxy to moto that handles one request at a
// time, and answers a TransactWriteItems whose ClientRequestToken it has
// seen succeed with that success, as DynamoDB does (moto does not): the SDK
// sets one token per call and keeps it across retries, so a retry after a
// lost response is not applied twice.
func (s *Server) startProxy(target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	var one sync.Mutex
	applied := map[string][]byte{} // ClientRequestToken → response body
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.proxy = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		one.Lock()
		defer one.Unlock()
		if r.Header.Get("X-Amz-Target") != "DynamoDB_20120810.TransactWriteItems" {
			rp.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var in struct{ ClientRequestToken string }
		_ = json.Unmarshal(body, &in)
		if out, ok := applied[in.ClientRequestToken]; ok && in.ClientRequestToken != "" {
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			_, _ = w.Write(out)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		rp.ServeHTTP(rec, r)
		if rec.status == http.StatusOK && in.ClientRequestToken != "" {
			applied[in.ClientRequestToken] = rec.body.Bytes()
		}
	})}
	go func() { _ = s.proxy.Serve(l) }()
	s.Endpoint = "http://" + l.Addr().String()
	return nil
}

// recorder keeps a copy of what it writes.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(status int) { r.status = status; r.ResponseWriter.WriteHeader(status) }
func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// Calls counts SDK operations by name (one per API call, retries not
// counted), and the IAM actions they need (Actions).
type Calls struct {
	mu      sync.Mutex
	counts  map[string]int
	actions map[string]int
}

// Actions returns the IAM actions the calls needed, each with its resource
// ("dynamodb:PutItem table", "secretsmanager:GetSecretValue secret:<id>"),
// and how many times.
func (c *Calls) Actions() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.actions)
}

// Get returns how many times op was called.
func (c *Calls) Get(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[op]
}

// Total returns all calls.
func (c *Calls) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.counts {
		n += v
	}
	return n
}

// All returns a copy of the counts by operation.
func (c *Calls) All() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.counts)
}

// Reset zeroes the counts.
func (c *Calls) Reset() {
	c.mu.Lock()
	c.counts, c.actions = map[string]int{}, map[string]int{}
	c.mu.Unlock()
}

// Fault, when set, fails matching operations before they are sent.
type Fault func(op string) error

// Config is an SDK configuration for the server, with a call counter and an
// optional fault injected in the Finalize step (so the retryer sees it).
func (s *Server) Config(calls *Calls, fault *Fault) aws.Config {
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(s.Endpoint),
	}
	if calls != nil {
		calls.Reset()
		cfg.APIOptions = append(cfg.APIOptions, func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("countCalls",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					op := middleware.GetOperationName(ctx)
					calls.mu.Lock()
					calls.counts[op]++
					for _, a := range iamActions(in.Parameters) {
						calls.actions[a]++
					}
					calls.mu.Unlock()
					return next.HandleInitialize(ctx, in)
				}), middleware.Before)
		})
	}
	if fault != nil {
		cfg.APIOptions = append(cfg.APIOptions, func(st *middleware.Stack) error {
			return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("injectFault",
				func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					if f := *fault; f != nil {
						if err := f(middleware.GetOperationName(ctx)); err != nil {
							return middleware.FinalizeOutput{}, middleware.Metadata{}, err
						}
					}
					return next.HandleFinalize(ctx, in)
				}), middleware.After)
		})
	}
	return cfg
}

// tableDef is the part of template.yaml's Table properties a table needs.
type tableDef struct {
	AttributeDefinitions []struct {
		AttributeName string `yaml:"AttributeName"`
		AttributeType string `yaml:"AttributeType"`
	} `yaml:"AttributeDefinitions"`
	KeySchema              []keyElem `yaml:"KeySchema"`
	GlobalSecondaryIndexes []struct {
		IndexName  string    `yaml:"IndexName"`
		KeySchema  []keyElem `yaml:"KeySchema"`
		Projection struct {
			ProjectionType   string   `yaml:"ProjectionType"`
			NonKeyAttributes []string `yaml:"NonKeyAttributes"`
		} `yaml:"Projection"`
	} `yaml:"GlobalSecondaryIndexes"`
	TimeToLiveSpecification struct {
		AttributeName string `yaml:"AttributeName"`
	} `yaml:"TimeToLiveSpecification"`
}

type keyElem struct {
	AttributeName string `yaml:"AttributeName"`
	KeyType       string `yaml:"KeyType"`
}

// TableInput reads template.yaml's Table resource into a CreateTableInput.
func TableInput(name string) (*dynamodb.CreateTableInput, error) {
	raw, err := os.ReadFile(filepath.Join(testkit.Root(), "template.yaml"))
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	props := find(doc.Content[0], "Resources", "Table", "Properties")
	if props == nil {
		return nil, errors.New("template.yaml has no Resources.Table.Properties")
	}
	var def tableDef
	if err := props.Decode(&def); err != nil {
		return nil, err
	}
	in := &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: types.BillingModePayPerRequest}
	for _, a := range def.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(a.AttributeName), AttributeType: types.ScalarAttributeType(a.AttributeType)})
	}
	in.KeySchema = keys(def.KeySchema)
	for _, g := range def.GlobalSecondaryIndexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName: aws.String(g.IndexName), KeySchema: keys(g.KeySchema),
			Projection: &types.Projection{ProjectionType: types.ProjectionType(g.Projection.ProjectionType),
				NonKeyAttributes: g.Projection.NonKeyAttributes},
		})
	}
	return in, nil
}

func keys(ks []keyElem) []types.KeySchemaElement {
	var out []types.KeySchemaElement
	for _, k := range ks {
		out = append(out, types.KeySchemaElement{AttributeName: aws.String(k.AttributeName), KeyType: types.KeyType(k.KeyType)})
	}
	return out
}

func find(n *yaml.Node, path ...string) *yaml.Node {
	for _, p := range path {
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == p {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

var tableSeq struct {
	sync.Mutex
	n int
}

// NewTable creates a fresh table from template.yaml on the server and
// returns its name and a client with calls counted and faults injectable.
func (s *Server) NewTable(t testing.TB, calls *Calls, fault *Fault) (*dynamodb.Client, string) {
	t.Helper()
	tableSeq.Lock()
	tableSeq.n++
	name := fmt.Sprintf("test-%d-%d", os.Getpid(), tableSeq.n)
	tableSeq.Unlock()
	in, err := TableInput(name)
	if err != nil {
		t.Fatal(err)
	}
	admin := dynamodb.NewFromConfig(s.Config(nil, nil))
	if _, err := admin.CreateTable(context.Background(), in); err != nil {
		t.Fatalf("create table: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return dynamodb.NewFromConfig(s.Config(calls, fault)), name
}

// NewCalls returns an empty counter.
func NewCalls() *Calls { return &Calls{counts: map[string]int{}, actions: map[string]int{}} }

// Main runs a test binary's tests and stops the shared server after them:
// func TestMain(m *testing.M) { moto.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// CountItems scans a test table and counts its items by their "type"
// attribute, outbox events also as "event:<eventType>" and sessions as
// "session:<status>". (A scan is fine in a test; the API never scans.)
func CountItems(t testing.TB, db *dynamodb.Client, table string) map[string]int {
	t.Helper()
	out := map[string]int{}
	ScanAll(t, db, table, func(it map[string]types.AttributeValue) {
		typ, _ := it["type"].(*types.AttributeValueMemberS)
		if typ == nil {
			return
		}
		out[typ.Value]++
		if et, ok := it["eventType"].(*types.AttributeValueMemberS); ok && typ.Value == "OUTBOX" {
			out["event:"+et.Value]++
		}
		if st, ok := it["status"].(*types.AttributeValueMemberS); ok {
			out["session:"+st.Value]++
		}
	})
	return out
}

// ScanAll calls each with every item of a test table.
func ScanAll(t testing.TB, db *dynamodb.Client, table string, each func(map[string]types.AttributeValue)) {
	t.Helper()
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(table)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			each(it)
		}
	}
}

// Snapshot is the whole table, item by item (pk and sk → the item's
// attributes, printed in a stable order), to compare before and after;
// but the partners' rate budgets (RATE#: what every request draws on, a
// refused one too, as at any API that limits), which are no one's data.
func Snapshot(t testing.TB, db *dynamodb.Client, table string) map[string]string {
	t.Helper()
	out := map[string]string{}
	ScanAll(t, db, table, func(it map[string]types.AttributeValue) {
		if pk, _ := it["pk"].(*types.AttributeValueMemberS); pk != nil && strings.HasPrefix(pk.Value, "RATE#") {
			return
		}
		out[printAV(it["pk"])+" "+printAV(it["sk"])] = printAV(&types.AttributeValueMemberM{Value: it})
	})
	return out
}

func printAV(v types.AttributeValue) string {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return strconv.Quote(v.Value)
	case *types.AttributeValueMemberN:
		return v.Value
	case *types.AttributeValueMemberB:
		return fmt.Sprintf("b%x", v.Value)
	case *types.AttributeValueMemberBOOL:
		return strconv.FormatBool(v.Value)
	case *types.AttributeValueMemberNULL:
		return "null"
	case *types.AttributeValueMemberL:
		parts := make([]string, len(v.Value))
		for i, e := range v.Value {
			parts[i] = printAV(e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case *types.AttributeValueMemberM:
		keys := make([]string, 0, len(v.Value))
		for k := range v.Value {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ":" + printAV(v.Value[k])
		}
		return "{" + strings.Join(parts, ",") + "}"
	case *types.AttributeValueMemberSS:
		ss := append([]string(nil), v.Value...)
		sort.Strings(ss)
		return "ss" + strings.Join(ss, ",")
	}
	return fmt.Sprintf("%T", v)
}

// Contents is every key and value of a test table as raw text, binary
// values as their bytes (where a JSON payload's strings can be searched
// for), items in key order: what a scan for personal data reads.
func Contents(t testing.TB, db *dynamodb.Client, table string) string {
	t.Helper()
	var items []string
	ScanAll(t, db, table, func(it map[string]types.AttributeValue) {
		var b strings.Builder
		rawAV(&b, &types.AttributeValueMemberM{Value: it})
		items = append(items, b.String())
	})
	sort.Strings(items)
	return strings.Join(items, "\n")
}

func rawAV(b *strings.Builder, v types.AttributeValue) {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		b.WriteString(v.Value)
	case *types.AttributeValueMemberN:
		b.WriteString(v.Value)
	case *types.AttributeValueMemberB:
		b.Write(v.Value)
	case *types.AttributeValueMemberL:
		for _, e := range v.Value {
			rawAV(b, e)
			b.WriteByte(' ')
		}
	case *types.AttributeValueMemberM:
		keys := make([]string, 0, len(v.Value))
		for k := range v.Value {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b.WriteString(k + "=")
			rawAV(b, v.Value[k])
			b.WriteByte(' ')
		}
	case *types.AttributeValueMemberSS:
		b.WriteString(strings.Join(v.Value, " "))
	default:
		fmt.Fprintf(b, "%T", v)
	}
}
