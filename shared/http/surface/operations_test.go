package surface_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/partner-identity/api/shared/kit/metrics"
	"github.com/partner-identity/api/shared/testkit/sam"
)

func ref(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["Ref"].(string)
	return s
}

// TestOperatorsAreNotBlind: in the template as SAM deploys it, every alarm
// notifies the alarm topic; every function traces actively, logs JSON into
// a log group of its own with the retention parameter, and has an Errors
// and a Throttles alarm; the API, the stream, the dead letters and the
// cleanup's backlog have alarms; the API writes a JSON access log; the
// dashboard shows every business metric.
func TestOperatorsAreNotBlind(t *testing.T) {
	tpl := sam.Transform(t)
	alarms := map[string]map[string]any{} // "namespace metric dimension-value" -> properties
	for id, r := range tpl.Resources {
		if r.Type != "AWS::CloudWatch::Alarm" {
			continue
		}
		actions, _ := r.Properties["AlarmActions"].([]any)
		if len(actions) == 0 || ref(actions[0]) != "AlarmTopic" {
			t.Errorf("alarm %s notifies nobody: %v", id, r.Properties["AlarmActions"])
		}
		dims, _ := r.Properties["Dimensions"].([]any)
		dim := ""
		if len(dims) > 0 {
			v := dims[0].(map[string]any)["Value"]
			if dim = ref(v); dim == "" {
				dim = fmt.Sprint(v)
			}
		}
		alarms[fmt.Sprint(r.Properties["Namespace"], " ", r.Properties["MetricName"], " ", dim)] = r.Properties
	}
	logGroup := func(name string) {
		t.Helper()
		g, ok := tpl.Resources[name]
		if !ok || g.Type != "AWS::Logs::LogGroup" || ref(g.Properties["RetentionInDays"]) != "LogRetentionDays" {
			t.Errorf("log group %s: %+v", name, g)
		}
	}
	for id, r := range tpl.Resources {
		if r.Type != "AWS::Lambda::Function" {
			continue
		}
		if tc, _ := r.Properties["TracingConfig"].(map[string]any); tc["Mode"] != "Active" {
			t.Errorf("%s: tracing %v", id, r.Properties["TracingConfig"])
		}
		lc, _ := r.Properties["LoggingConfig"].(map[string]any)
		if lc["LogFormat"] != "JSON" || ref(lc["ApplicationLogLevel"]) != "LogLevel" {
			t.Errorf("%s: logging %v", id, lc)
		}
		// Lambda writes its platform.start and platform.report records (the
		// duration, the init duration, the memory used) at INFO: a higher
		// system level drops them, and with them every figure the Logs
		// Insights queries of docs/PERFORMANCE.md read.
		if lc["SystemLogLevel"] != "INFO" {
			t.Errorf("%s: SystemLogLevel %v drops the invocations' reports (INFO)", id, lc["SystemLogLevel"])
		}
		logGroup(ref(lc["LogGroup"]))
		for _, m := range []string{"Errors", "Throttles"} {
			if _, ok := alarms["AWS/Lambda "+m+" "+id]; !ok {
				t.Errorf("%s: no %s alarm", id, m)
			}
		}
	}
	for _, want := range []string{"AWS/ApiGateway 5xx HttpApi", "AWS/ApiGateway Latency HttpApi", "AWS/Lambda IteratorAge WebhookDispatcherFunction",
		"AWS/DynamoDB ReadThrottleEvents Table", "AWS/DynamoDB WriteThrottleEvents Table", "AWS/SQS ApproximateAgeOfOldestMessage ",
		"map[Fn::Sub:PartnerIdentity/${AWS::StackName}] ApiThrottled ",
		"AWS/SQS ApproximateNumberOfMessagesVisible ", metrics.Namespace + " " + metrics.CleanupBacklog + " AWS::StackName"} {
		found := false
		for k := range alarms {
			if strings.HasPrefix(k, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("no alarm on %s", want)
		}
	}

	stage := tpl.Resources["HttpApiApiGatewayDefaultStage"]
	als, _ := stage.Properties["AccessLogSettings"].(map[string]any)
	dest, _ := als["DestinationArn"].(map[string]any)["Fn::GetAtt"].([]any)
	if len(dest) != 2 {
		t.Fatalf("access log: %v", als)
	}
	logGroup(dest[0].(string))
	var format map[string]string
	if err := json.Unmarshal([]byte(als["Format"].(string)), &format); err != nil {
		t.Fatalf("access log format: %v", err)
	}
	for _, k := range []string{"requestId", "routeKey", "status", "responseLatency", "integrationError"} {
		if format[k] == "" {
			t.Errorf("the access log has no %s", k)
		}
	}
	for k, v := range format {
		if strings.Contains(v, "sourceIp") || strings.Contains(v, "userAgent") {
			t.Errorf("the access log keeps %s (%s)", k, v)
		}
	}

	body, _ := tpl.Resources["Dashboard"].Properties["DashboardBody"].(map[string]any)["Fn::Sub"].(string)
	for _, m := range metrics.All {
		// The stack's own: two stacks in an account never add up.
		if !strings.Contains(body, `"`+metrics.Namespace+`","`+m+`","Service","${AWS::StackName}"`) {
			t.Errorf("the dashboard does not show the stack's %s", m)
		}
	}
	if strings.Contains(body, metrics.DefaultService) {
		t.Error("the dashboard names a fixed Service: two stacks would add up")
	}
	// Every function's Service dimension is its stack's name, and the log
	// level cannot drop the metrics' INFO lines.
	for id, r := range tpl.Resources {
		if r.Type != "AWS::Lambda::Function" {
			continue
		}
		env, _ := r.Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
		if ref(env[metrics.ServiceEnv]) != "AWS::StackName" {
			t.Errorf("%s: %s is %v, want the stack's name", id, metrics.ServiceEnv, env[metrics.ServiceEnv])
		}
	}
	if lv := tpl.Parameters["LogLevel"].AllowedValues; fmt.Sprint(lv) != "[DEBUG INFO]" {
		t.Errorf("LogLevel allows %v: a level above INFO drops the metrics", lv)
	}
	for _, p := range []string{"p50", "p90", "p99"} {
		if !strings.Contains(body, p) {
			t.Errorf("the dashboard has no %s latency", p)
		}
	}
}

// TestThrottlingIsCounted: API Gateway's 429s, which reach no function,
// are counted from the access log into the stack's own namespace.
func TestThrottlingIsCounted(t *testing.T) {
	tpl := sam.Transform(t)
	f := tpl.Resources["ApiThrottledMetricFilter"]
	if f.Type != "AWS::Logs::MetricFilter" || ref(f.Properties["LogGroupName"]) != "ApiAccessLogGroup" ||
		f.Properties["FilterPattern"] != `{ $.status = "429" }` {
		t.Fatalf("429 metric filter: %+v", f)
	}
}

// TestStoredStateIsGuarded: the table refuses a delete by hand too
// (deletion protection, beside the stack's Retain); every queue and topic
// has a policy that denies requests without TLS (aws:SecureTransport).
func TestStoredStateIsGuarded(t *testing.T) {
	tpl := sam.Transform(t)
	table := tpl.Resources["Table"]
	if table.Properties["DeletionProtectionEnabled"] != true || table.DeletionPolicy != "Retain" {
		t.Errorf("table: deletion protection %v, policy %q", table.Properties["DeletionProtectionEnabled"], table.DeletionPolicy)
	}
	tlsOnly := map[string]bool{} // queue or topic logical id -> a policy denies it without TLS
	for _, r := range tpl.Resources {
		var targets []any
		switch r.Type {
		case "AWS::SQS::QueuePolicy":
			targets, _ = r.Properties["Queues"].([]any)
		case "AWS::SNS::TopicPolicy":
			targets, _ = r.Properties["Topics"].([]any)
		default:
			continue
		}
		doc, _ := r.Properties["PolicyDocument"].(map[string]any)
		statements, _ := doc["Statement"].([]any)
		denies := false
		for _, st := range statements {
			st := st.(map[string]any)
			cond, _ := st["Condition"].(map[string]any)
			b, _ := cond["Bool"].(map[string]any)
			if st["Effect"] == "Deny" && st["Principal"] == "*" && b["aws:SecureTransport"] == "false" {
				denies = true
			}
		}
		for _, q := range targets {
			tlsOnly[ref(q)] = tlsOnly[ref(q)] || denies
		}
	}
	for id, r := range tpl.Resources {
		if (r.Type == "AWS::SQS::Queue" || r.Type == "AWS::SNS::Topic") && !tlsOnly[id] {
			t.Errorf("%s (%s) accepts requests without TLS: no policy denies aws:SecureTransport false", id, r.Type)
		}
	}
}
