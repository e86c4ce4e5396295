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
	for _, want := range []string{"AWS/ApiGateway 5xx HttpApi", "AWS/Lambda IteratorAge WebhookDispatcherFunction",
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
