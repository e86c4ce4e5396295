package metrics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/partner-identity/api/shared/lambda/app"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/partner-identity/api/shared/kit/metrics"
)

// TestCountIsEmbeddedMetricFormat: a count is a log line CloudWatch reads
// as a metric (EMF: _aws.Timestamp in milliseconds, one directive naming
// the namespace, the dimension set and the metric, and the metric's and
// the dimension's values as members), and it carries the invocation's ids.
func TestCountIsEmbeddedMetricFormat(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(app.InvocationIDs(slog.NewJSONHandler(&buf, nil))))
	defer slog.SetDefault(prev)
	ctx := lambdacontext.NewContext(context.WithValue(context.Background(), "x-amzn-trace-id", "Root=1-abc"), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	before := time.Now().UnixMilli()
	metrics.Count(ctx, metrics.UsersCreated, 3)

	var line struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		Service      string
		UsersCreated int
		AwsRequestID string `json:"awsRequestId"`
		TraceID      string `json:"traceId"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%s: %v", buf.Bytes(), err)
	}
	d := line.AWS.CloudWatchMetrics
	if line.AWS.Timestamp < before || len(d) != 1 || d[0].Namespace != metrics.Namespace || len(d[0].Dimensions) != 1 ||
		d[0].Dimensions[0][0] != "Service" || len(d[0].Metrics) != 1 || d[0].Metrics[0].Name != "UsersCreated" || d[0].Metrics[0].Unit != "Count" {
		t.Fatalf("directive: %s", buf.Bytes())
	}
	if line.Service != metrics.Service || line.UsersCreated != 3 {
		t.Fatalf("values: %s", buf.Bytes())
	}
	if line.AwsRequestID != "req-1" || line.TraceID != "Root=1-abc" {
		t.Fatalf("invocation ids: %s", buf.Bytes())
	}
}
