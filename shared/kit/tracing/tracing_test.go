package tracing_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/kit/tracing"
	"github.com/partner-identity/api/shared/testkit/xraydaemon"
)

const (
	root    = "1-5f84c7a1-0123456789abcdef01234567"
	sampled = "Root=" + root + ";Parent=53995c3f42cd8ad8;Sampled=1"
	quiet   = 200 * time.Millisecond
)

func setup(t testing.TB) *xraydaemon.Daemon { return xraydaemon.Traced(t) }

func TestParseAndString(t *testing.T) {
	h, ok := tracing.Parse(sampled)
	if !ok || h.Root != root || h.Parent != "53995c3f42cd8ad8" || !h.Sampled || h.String() != sampled {
		t.Fatalf("%+v %v %q", h, ok, h.String())
	}
	if h, ok := tracing.Parse("Root=" + root + ";Sampled=0"); !ok || h.Sampled || h.Parent != "" {
		t.Fatalf("%+v", h)
	}
	if _, ok := tracing.Parse("Parent=53995c3f42cd8ad8;Sampled=1"); ok {
		t.Fatal("a header without a root must not parse")
	}
}

// TestAnAnswerIsAnErrorAFaultOrAThrottle: each call is one datagram under
// the invocation's segment, 429 a throttle, another 4xx an error, a 5xx
// or no answer a fault; the cause is the error's log code, not its text.
func TestAnAnswerIsAnErrorAFaultOrAThrottle(t *testing.T) {
	d := setup(t)
	ctx := tracing.WithHeader(context.Background(), sampled)
	cases := []struct {
		status               int
		err                  error
		error, fault, thrott bool
	}{
		{200, nil, false, false, false},
		{429, nil, true, false, true},
		{404, nil, true, false, false},
		{503, nil, false, true, false},
		{0, errors.New("dial tcp 10.1.2.3:443: person@example.com"), false, true, false},
	}
	for _, c := range cases {
		s := tracing.Start(ctx, "DynamoDB", "aws")
		s.SetAWS(tracing.AWS{Operation: "GetItem", Region: "eu-west-1", RequestID: "REQ1"})
		s.End(c.status, c.err)
	}
	docs := d.Received(t, quiet)
	if len(docs) != len(cases) {
		t.Fatalf("%d documents, want %d", len(docs), len(cases))
	}
	for i, doc := range docs {
		c := cases[i]
		if doc.Str("trace_id") != root || doc.Str("parent_id") != "53995c3f42cd8ad8" || doc.Str("type") != "subsegment" ||
			doc.Str("name") != "DynamoDB" || doc.Str("namespace") != "aws" || doc.Str("aws.operation") != "GetItem" ||
			doc.Str("aws.request_id") != "REQ1" || len(doc.Str("id")) != 16 {
			t.Fatalf("%d: %v", i, doc)
		}
		if (doc["error"] == true) != c.error || (doc["fault"] == true) != c.fault || (doc["throttle"] == true) != c.thrott {
			t.Fatalf("%d (status %d): error %v fault %v throttle %v", i, c.status, doc["error"], doc["fault"], doc["throttle"])
		}
		if start, end := doc["start_time"].(float64), doc["end_time"].(float64); start < 1e9 || end < start {
			t.Fatalf("%d: times %v %v", i, start, end)
		}
		if c.err != nil && (doc.Str("cause") == "" || strings.Contains(doc.Str("cause"), "example.com")) {
			t.Fatalf("%d: cause %v: the error's code, never its text", i, doc["cause"])
		}
	}
}

// TestNothingIsSentUnlessSampled: an unsampled invocation, one without a
// parent, a call outside an invocation, or no daemon: no document.
func TestNothingIsSentUnlessSampled(t *testing.T) {
	d := setup(t)
	for _, ctx := range []context.Context{
		context.Background(),
		tracing.WithHeader(context.Background(), "Root="+root+";Parent=53995c3f42cd8ad8;Sampled=0"),
		tracing.WithHeader(context.Background(), "Root="+root+";Sampled=1"),
	} {
		if s := tracing.Start(ctx, "DynamoDB", "aws"); s != nil {
			t.Fatalf("a subsegment for %v", ctx)
		}
	}
	var s *tracing.Subsegment // an untraced call's methods do nothing
	s.SetAWS(tracing.AWS{})
	s.End(500, nil)
	if s.Header() != "" {
		t.Fatal("an untraced call has no header")
	}
	if docs := d.Received(t, quiet); len(docs) != 0 {
		t.Fatalf("%d documents sent", len(docs))
	}
	tracing.Setup(func(string) string { return "" })
	if s := tracing.Start(tracing.WithHeader(context.Background(), sampled), "DynamoDB", "aws"); s != nil {
		t.Fatal("a subsegment without a daemon")
	}
}

// TestHeaderNamesTheCall: the header handed on names the call's
// subsegment as the parent, in the invocation's trace.
func TestHeaderNamesTheCall(t *testing.T) {
	d := setup(t)
	s := tracing.Start(tracing.WithHeader(context.Background(), sampled), "SQS", "aws")
	h, _ := tracing.Parse(s.Header())
	s.End(200, nil)
	docs := d.Received(t, quiet)
	if len(docs) != 1 || h.Root != root || !h.Sampled || h.Parent != docs[0].Str("id") {
		t.Fatalf("header %+v, documents %v", h, docs)
	}
}

// TestTransportRecordsTheHostOnly: a request through the transport is a
// remote subsegment named by its host, its URL without path or query (a
// path may name a user), its status; the trace header is not sent to the
// receiver.
func TestTransportRecordsTheHostOnly(t *testing.T) {
	d := setup(t)
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	c := tracing.Client(srv.Client())
	req, _ := http.NewRequestWithContext(tracing.WithHeader(context.Background(), sampled), http.MethodPost,
		srv.URL+"/resources/applicants/person@example.com?externalUserId=u1", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	docs := d.Received(t, quiet)
	if len(docs) != 1 {
		t.Fatalf("%d documents", len(docs))
	}
	doc := docs[0]
	host := strings.TrimPrefix(srv.URL, "http://")
	if doc.Str("name") != "127.0.0.1" || doc.Str("namespace") != "remote" || doc.Str("http.request.url") != "http://"+host ||
		doc.Str("http.request.method") != "POST" || doc.Str("http.response.status") != "429" || doc["throttle"] != true {
		t.Fatalf("%v", doc)
	}
	if got.Get(tracing.HeaderName) != "" {
		t.Fatal("the trace header went to the receiver")
	}
	// Untraced: through untouched, nothing sent.
	req, _ = http.NewRequest(http.MethodGet, srv.URL, nil)
	if resp, err := c.Do(req); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	if docs := d.Received(t, quiet); len(docs) != 0 {
		t.Fatalf("%d documents for an untraced request", len(docs))
	}
}

// BenchmarkTracedCall is what tracing adds to one call in a sampled
// invocation (a subsegment built, encoded and sent to a daemon on
// loopback); BenchmarkUntracedCall to one in an unsampled one.
func BenchmarkTracedCall(b *testing.B) {
	setup(b)
	ctx := tracing.WithHeader(context.Background(), sampled)
	b.ReportAllocs()
	for b.Loop() {
		s := tracing.Start(ctx, "DynamoDB", "aws")
		s.SetAWS(tracing.AWS{Operation: "GetItem", Region: "eu-west-1", RequestID: "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGHIJKLMNOP"})
		s.End(200, nil)
	}
}

func BenchmarkUntracedCall(b *testing.B) {
	setup(b)
	ctx := tracing.WithHeader(context.Background(), "Root="+root+";Parent=53995c3f42cd8ad8;Sampled=0")
	b.ReportAllocs()
	for b.Loop() {
		s := tracing.Start(ctx, "DynamoDB", "aws")
		s.End(200, nil)
	}
}
