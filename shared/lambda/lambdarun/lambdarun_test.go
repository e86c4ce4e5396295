package lambdarun_test

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/partner-identity/api/shared/devdata"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/http/surface"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/lambda/cleanup"
	"github.com/partner-identity/api/shared/lambda/dispatch"
	"github.com/partner-identity/api/shared/lambda/lambdarun"
	"github.com/partner-identity/api/shared/testkit"
)

// TestEventFilesInvokeTheirFunction runs every events/<name>.json through
// its function's handler and the Lambda adapter, as `make invoke` does,
// with the development configuration (memory store, development partner).
func TestEventFilesInvokeTheirFunction(t *testing.T) {
	deps, err := devdata.Build(context.Background(), app.Config{}, devdata.Local{Memory: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"create-user": 201, "get-user": 404, "find-user": 200, "delete-user": 404, "create-verification-link": 404,
		"get-user-kyc": 404, "kyc-sumsub-webhook": 200, "kyc-hosted-webhook": 401,
		"create-user-token": 404, "link-identifier": 404, "user-info": 401,
		"set-federated-identity": 401, "delete-federated-identity": 401, "list-federated-identities": 401,
		"list-webhook-events": 200, "redeliver-webhook-event": 404, "send-test-webhook": 409,
		"sandbox-kyc-outcome": 404, "sandbox-simulation": 404, "sandbox-kyc-page": 404, "sandbox-kyc-decision": 404,
		"sandbox-wipe-data": 202,
		"list-api-keys":     200, "create-api-key": 201, "roll-api-key": 404, "revoke-api-key": 404, "jwks": 200, "oauth2-token": 200,
		"get-limits": 200, "list-webhook-endpoints": 200, "create-webhook-endpoint": 201, "get-webhook-endpoint": 404, "update-webhook-endpoint": 404,
		"delete-webhook-endpoint": 404, "rotate-webhook-endpoint-secret": 404}
	for _, rt := range devdata.Endpoints(deps, nil) {
		t.Run(rt.Name, func(t *testing.T) {
			out, err := lambdarun.InvokeFile(context.Background(), lambdarun.HTTP(httpx.Mux(rt)), filepath.Join(testkit.Root(), "events", rt.Name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var resp events.APIGatewayV2HTTPResponse
			if err := json.Unmarshal(out, &resp); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != want[rt.Name] {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, want[rt.Name], resp.Body)
			}
			if resp.Headers["X-Request-Id"] != "local-invoke-0001" {
				t.Fatalf("X-Request-Id %q: the API Gateway request id must be used", resp.Headers["X-Request-Id"])
			}
		})
	}
}

// TestUnmatchedRouteEventInvokes: events/unmatched-route.json (what the
// $default route brings: a method the path does not serve) gets the
// dialect's 405 with Allow.
func TestUnmatchedRouteEventInvokes(t *testing.T) {
	adapter := httpadapter.NewV2(httpx.Unmatched(surface.All()...))
	out, err := lambdarun.InvokeFile(context.Background(), adapter.ProxyWithContext, filepath.Join(testkit.Root(), "events", "unmatched-route.json"))
	if err != nil {
		t.Fatal(err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode != 405 || resp.Headers["Allow"] != "GET, DELETE" ||
		!strings.Contains(resp.Body, `"code":"METHOD_NOT_ALLOWED"`) {
		t.Fatalf("%s (%v)", out, err)
	}
}

func TestCleanupEventFileInvokes(t *testing.T) {
	deps, err := devdata.Build(context.Background(), app.Config{}, devdata.Local{Memory: true})
	if err != nil {
		t.Fatal(err)
	}
	out, err := lambdarun.InvokeFile(context.Background(), cleanup.Handler(cleanup.New(deps)), filepath.Join(testkit.Root(), "events", "cleanup-schedule.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Expired *int  `json:"expired"`
		Done    *bool `json:"done"`
	}
	if err := json.Unmarshal(out, &res); err != nil || res.Expired == nil || res.Done == nil || !*res.Done {
		t.Fatalf("cleanup response %s (%v)", out, err)
	}
}

func TestDispatcherEventFileInvokes(t *testing.T) {
	deps, err := devdata.Build(context.Background(), app.Config{}, devdata.Local{Memory: true})
	if err != nil {
		t.Fatal(err)
	}
	out, err := lambdarun.InvokeFile(context.Background(), dispatch.Stream(dispatch.New(deps)), filepath.Join(testkit.Root(), "events", "webhook-dispatcher.json"))
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "{\n  \"batchItemFailures\": []\n}" {
		t.Fatalf("dispatcher response %s", out)
	}
}

// TestRequestLineCarriesTheInvocationIDs: the request's log line, written
// during a Lambda invocation, carries Lambda's request id and the X-Ray
// trace id, so that it joins Lambda's REPORT line and the trace.
func TestRequestLineCarriesTheInvocationIDs(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(app.InvocationIDs(slog.NewJSONHandler(&buf, nil))))
	defer slog.SetDefault(prev)
	deps, err := devdata.Build(context.Background(), app.Config{}, devdata.Local{Memory: true})
	if err != nil {
		t.Fatal(err)
	}
	h := lambdarun.HTTP(devdata.Mux(deps, nil))
	ctx := lambdacontext.NewContext(context.WithValue(context.Background(), "x-amzn-trace-id", "Root=1-5759e988-bd862e3fe1be46a994272793"),
		&lambdacontext.LambdaContext{AwsRequestID: "8476a536-e9f4-11e8-9739-2dfe598c3fcd"})
	event, err := os.ReadFile(filepath.Join(testkit.Root(), "events", "get-user.json"))
	if err != nil {
		t.Fatal(err)
	}
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(event, &req); err != nil {
		t.Fatal(err)
	}
	if _, err := h(ctx, req); err != nil {
		t.Fatal(err)
	}
	// The request's line (the first request also writes a ColdStarts metric).
	var line map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		if m["msg"] == "request" {
			line = m
		}
	}
	if line["msg"] != "request" || line["awsRequestId"] != "8476a536-e9f4-11e8-9739-2dfe598c3fcd" || line["traceId"] != "Root=1-5759e988-bd862e3fe1be46a994272793" {
		t.Fatalf("request line %s", buf.Bytes())
	}
}

// TestLimitMemory: in Lambda the Go memory limit is 80% of the function's
// memory, unless GOMEMLIMIT is given; outside Lambda nothing is set.
func TestLimitMemory(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	t.Setenv("GOMEMLIMIT", "")
	t.Setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
	if got, want := lambdarun.LimitMemory(), int64(256<<20)*8/10; got != want || debug.SetMemoryLimit(-1) != want {
		t.Fatalf("limit %d, want %d", got, want)
	}
	t.Setenv("GOMEMLIMIT", "100MiB")
	if got := lambdarun.LimitMemory(); got != 0 {
		t.Fatalf("with GOMEMLIMIT: %d", got)
	}
	t.Setenv("GOMEMLIMIT", "")
	t.Setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
	if got := lambdarun.LimitMemory(); got != 0 {
		t.Fatalf("outside Lambda: %d", got)
	}
}

// TestTheFirstRequestIsCold: through the Lambda adapter, a container's
// first request's log line says coldStart and a ColdStarts metric is
// written; the next requests' lines do not, and no metric follows.
func TestTheFirstRequestIsCold(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	defer slog.SetDefault(prev)
	ep := httpx.Endpoint{Name: "probe", Pattern: "GET /probe", Handler: func(w http.ResponseWriter, r *http.Request) error {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}}
	fn := lambdarun.HTTP(httpx.Mux(ep))
	ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "GET /probe", RawPath: "/probe",
		RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: "cold-1", HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/probe"}}}
	var lines [][]map[string]any
	for i := range 3 {
		buf.Reset()
		ev.RequestContext.RequestID = "req-" + string(rune('a'+i))
		if res, err := fn(context.Background(), ev); err != nil || res.StatusCode != 204 {
			t.Fatalf("invoke %d: %+v %v", i, res, err)
		}
		var these []map[string]any
		for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
			var m map[string]any
			if json.Unmarshal(l, &m) == nil {
				these = append(these, m)
			}
		}
		lines = append(lines, these)
	}
	metric := func(ls []map[string]any) bool {
		for _, l := range ls {
			if l["msg"] == "metric" && l["ColdStarts"] == 1.0 {
				return true
			}
		}
		return false
	}
	cold := func(ls []map[string]any) bool {
		for _, l := range ls {
			if l["msg"] == "request" && l["coldStart"] == true {
				return true
			}
		}
		return false
	}
	if !cold(lines[0]) || !metric(lines[0]) {
		t.Fatalf("the first request: %v", lines[0])
	}
	for i := 1; i < 3; i++ {
		if cold(lines[i]) || metric(lines[i]) {
			t.Fatalf("request %d is marked cold: %v", i+1, lines[i])
		}
	}
}
