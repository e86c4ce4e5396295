package delivery_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/domain/outbox"
	"github.com/partner-identity/api/shared/kit/tracing"
	"github.com/partner-identity/api/shared/testkit/xraydaemon"
	"github.com/partner-identity/api/shared/webhooks/delivery"
	"github.com/partner-identity/api/shared/webhooks/signature"
)

// TestADeliveryIsTraced: an attempt in a sampled invocation is a remote
// subsegment named by the endpoint's host, with the partner's answer (a
// 503 a fault) and never the endpoint's path; the receiver gets no trace
// header.
func TestADeliveryIsTraced(t *testing.T) {
	daemon := xraydaemon.Traced(t)
	var traceHeader string
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		traceHeader = r.Header.Get(tracing.HeaderName)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer rcv.Close()
	ctx := tracing.WithHeader(context.Background(), "Root=1-5f84c7a1-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1")
	ev := outbox.Must(outbox.UserCreated, "p_acme", map[string]string{"userId": "u1"}, time.Now())
	if _, err := delivery.NewSender(time.Second, true).Send(ctx, rcv.URL+"/hooks/p_acme-secret-path", []signature.Key{signature.MustSecret(secretA)}, ev, time.Now()); err == nil {
		t.Fatal("a 503 delivered")
	}
	docs := daemon.Received(t, 200*time.Millisecond)
	if len(docs) != 1 {
		t.Fatalf("%d documents", len(docs))
	}
	d := docs[0]
	if d.Str("namespace") != "remote" || d.Str("name") != "127.0.0.1" || d.Str("http.response.status") != "503" || d["fault"] != true ||
		strings.Contains(d.Str("http.request.url"), "/hooks") || d.Str("parent_id") != "53995c3f42cd8ad8" {
		t.Fatalf("%v", d)
	}
	if traceHeader != "" {
		t.Fatal("the trace header reached the partner")
	}
}
