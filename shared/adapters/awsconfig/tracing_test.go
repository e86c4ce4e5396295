package awsconfig_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/partner-identity/api/shared/adapters/awsconfig"
	"github.com/partner-identity/api/shared/kit/tracing"
	"github.com/partner-identity/api/shared/testkit/moto"
	"github.com/partner-identity/api/shared/testkit/xraydaemon"
)

// TestEveryAWSCallIsASubsegment: a DynamoDB call and an SQS call made in a
// sampled invocation are each a subsegment under the function's segment
// (service, operation, region, AWS's request id, the status; a refused
// call an error), and each request names its own subsegment in
// X-Amzn-Trace-Id, which is how SQS hands the trace to the function that
// takes the message (ahead of the SDK's recursion detection, which would
// name the function's segment). On moto, through a proxy that keeps the
// headers.
func TestEveryAWSCallIsASubsegment(t *testing.T) {
	srv := moto.Require(t)
	daemon := xraydaemon.Traced(t)
	const header = "Root=1-5f84c7a1-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "traced")
	t.Setenv("_X_AMZN_TRACE_ID", header)

	var mu sync.Mutex
	var sent []string
	target, _ := url.Parse(srv.Endpoint)
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		sent = append(sent, r.Header.Get(tracing.HeaderName))
		mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	_, table := srv.NewTable(t, nil, nil)
	cfg := srv.Config(nil, nil)
	cfg.BaseEndpoint = aws.String(proxy.URL)
	cfg.APIOptions = append(cfg.APIOptions, awsconfig.Traced)
	ctx := tracing.WithHeader(context.Background(), header)

	db := dynamodb.NewFromConfig(cfg)
	if _, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "USER#u1"}, "sk": &types.AttributeValueMemberS{Value: "PROFILE"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("no-such-table")}); err == nil {
		t.Fatal("a missing table described")
	}
	q := sqs.NewFromConfig(cfg)
	created, err := q.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String("traced-" + strings.ReplaceAll(t.Name(), "/", "-"))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: created.QueueUrl, MessageBody: aws.String("{}")}); err != nil {
		t.Fatal(err)
	}

	docs := daemon.Received(t, 300*time.Millisecond)
	if len(docs) != 3 { // CreateQueue was outside the invocation: not traced
		t.Fatalf("%d documents, want 3: %v", len(docs), docs)
	}
	want := []struct{ name, op, status string }{{"DynamoDB", "GetItem", "200"}, {"DynamoDB", "DescribeTable", "400"}, {"SQS", "SendMessage", "200"}}
	for i, doc := range docs {
		w := want[i]
		if doc.Str("name") != w.name || doc.Str("namespace") != "aws" || doc.Str("aws.operation") != w.op || doc.Str("aws.region") != "us-east-1" ||
			doc.Str("http.response.status") != w.status || doc.Str("aws.request_id") == "" ||
			doc.Str("trace_id") != "1-5f84c7a1-0123456789abcdef01234567" || doc.Str("parent_id") != "53995c3f42cd8ad8" {
			t.Fatalf("%d: %v", i, doc)
		}
		if (doc["error"] == true) != (w.status == "400") || doc.Str("cause") == "" && w.status == "400" {
			t.Fatalf("%d: error %v cause %v", i, doc["error"], doc["cause"])
		}
	}
	mu.Lock()
	defer mu.Unlock()
	// GetItem, DescribeTable, CreateQueue, SendMessage, in order.
	if len(sent) < 4 {
		t.Fatalf("%d requests", len(sent))
	}
	for i, doc := range []xraydaemon.Doc{docs[0], docs[1], nil, docs[2]} {
		if doc == nil {
			continue
		}
		h, _ := tracing.Parse(sent[len(sent)-4+i])
		if h.Parent != doc.Str("id") || !h.Sampled {
			t.Fatalf("request %d sent %q, want its subsegment %s as the parent", i, sent[len(sent)-4+i], doc.Str("id"))
		}
	}
}
