package webhooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/partner-identity/api/client"
	"github.com/partner-identity/api/shared/outbox"
	"github.com/partner-identity/api/shared/partners"
	"github.com/partner-identity/api/shared/store"
	"github.com/partner-identity/api/shared/store/dynamostore"
	"github.com/partner-identity/api/shared/store/memstore"
	"github.com/partner-identity/api/shared/testkit/moto"
	"github.com/partner-identity/api/shared/webhooks"
)

func TestMain(m *testing.M) { moto.Main(m) }

const secretA, secretB = "whsec_partner_a_secret", "whsec_partner_b_secret"

// receiver is a partner's endpoint: it answers the scripted statuses in
// turn (the last one from then on) and records what it got.
type receiver struct {
	mu       sync.Mutex
	statuses []int
	got      []http.Header
	bodies   [][]byte
	srv      *httptest.Server
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body := make([]byte, req.ContentLength)
		_, _ = req.Body.Read(body)
		r.mu.Lock()
		r.got = append(r.got, req.Header.Clone())
		r.bodies = append(r.bodies, body)
		st := r.statuses[min(len(r.got)-1, len(r.statuses)-1)]
		r.mu.Unlock()
		if st == http.StatusFound {
			w.Header().Set("Location", "https://elsewhere.example/")
		}
		w.WriteHeader(st)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) requests() ([]http.Header, [][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]http.Header(nil), r.got...), append([][]byte(nil), r.bodies...)
}

func registry(t *testing.T, urlA, urlB string) func(context.Context) (*partners.Registry, error) {
	doc, _ := json.Marshal(map[string]any{"partners": []map[string]any{
		{"id": "pa", "webhook": map[string]string{"url": urlA}, "flow": "API"},
		{"id": "pb", "webhook": map[string]string{"url": urlB}, "flow": "API"},
	}})
	r, err := partners.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	return func(context.Context) (*partners.Registry, error) { return r, nil }
}

// stores gives each test the in-memory store and DynamoDB on moto.
func stores(t *testing.T) map[string]store.Store {
	db, table := moto.Require(t).NewTable(t, nil, nil)
	return map[string]store.Store{"memory": memstore.New(), "moto": dynamostore.New(db, table)}
}

// write puts an event in the outbox the way the API does: with a change,
// in one transaction (a user's creation).
func write(t *testing.T, s store.Store, partner, userID string) store.OutboxEvent {
	t.Helper()
	now := time.Now().UTC()
	ev := outbox.Must(outbox.UserCreated, partner, map[string]string{"userId": userID}, now)
	_, err := s.CreateUser(context.Background(), store.User{ID: userID, PartnerID: partner, ExternalUserID: userID, Type: "INDIVIDUAL",
		Method: "NONE", KYCStatus: store.KYCNotStarted, CreatedAt: now, UpdatedAt: now},
		store.Guard{PartnerID: partner, ExternalUserID: userID, UserID: userID, RequestHash: "h", Response: []byte("{}"), CreatedAt: now}, ev)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// record is the stream record DynamoDB emits for an outbox insert (its keys
// left out: the dispatcher reads none).
func record(ev store.OutboxEvent, seq int) events.DynamoDBEventRecord {
	return events.DynamoDBEventRecord{EventName: "INSERT", Change: events.DynamoDBStreamRecord{
		SequenceNumber: strconv.Itoa(seq),
		NewImage: map[string]events.DynamoDBAttributeValue{
			"type": events.NewStringAttribute("OUTBOX"), "eventId": events.NewStringAttribute(ev.ID),
			"eventType": events.NewStringAttribute(ev.Type), "partnerId": events.NewStringAttribute(ev.PartnerID),
			"payload": events.NewBinaryAttribute(ev.Payload), "createdAt": events.NewStringAttribute(ev.CreatedAt.Format(time.RFC3339Nano)),
		}}}
}

type memoryDLQ struct {
	mu  sync.Mutex
	got []store.OutboxEvent
}

func (q *memoryDLQ) Send(_ context.Context, ev store.OutboxEvent, _ string) error {
	q.mu.Lock()
	q.got = append(q.got, ev)
	q.mu.Unlock()
	return nil
}

func dispatcher(s store.Store, reg func(context.Context) (*partners.Registry, error), dlq webhooks.DeadLetters) *webhooks.Dispatcher {
	secrets := func(context.Context) (partners.WebhookSecrets, error) {
		return partners.WebhookSecrets{"pa": secretA, "pb": secretB}, nil
	}
	return &webhooks.Dispatcher{Store: s, Registry: reg, Secrets: secrets, Sender: webhooks.NewSender(2*time.Second, true), DeadLetters: dlq,
		Tries: 3, Backoff: time.Millisecond, MaxAttempts: 3}
}

func TestSignatureVerifiesWithTheSecretOnly(t *testing.T) {
	rcv := newReceiver(t, 200)
	s := memstore.New()
	ev := write(t, s, "pa", "u-sig")
	d := dispatcher(s, registry(t, rcv.srv.URL, rcv.srv.URL), &memoryDLQ{})
	if out, err := d.Deliver(context.Background(), ev); out != webhooks.Delivered || err != nil {
		t.Fatalf("deliver: %v %v", out, err)
	}
	hs, bodies := rcv.requests()
	h, body := hs[0], bodies[0]
	if string(body) != string(ev.Payload) || h.Get(webhooks.HeaderID) != ev.ID || h.Get(webhooks.HeaderEvent) != "user.created" || h.Get("Content-Type") != "application/json" {
		t.Fatalf("delivery %v %s", h, body)
	}
	now := time.Now()
	// Verified as a partner does, with the client package's verifier.
	if _, err := client.VerifyWebhook(secretA, h, body, now); err != nil {
		t.Fatalf("the partner's secret does not verify: %v", err)
	}
	if _, err := client.VerifyWebhook(secretB, h, body, now); !errors.Is(err, client.ErrWebhookSignature) {
		t.Fatalf("another secret verifies: %v", err)
	}
	if _, err := client.VerifyWebhook(secretA, h, append(body, ' '), now); !errors.Is(err, client.ErrWebhookSignature) {
		t.Fatalf("a changed body verifies: %v", err)
	}
	if _, err := client.VerifyWebhook(secretA, h, body, now.Add(10*time.Minute)); !errors.Is(err, client.ErrWebhookTimestamp) {
		t.Fatalf("a replay after the tolerance verifies: %v", err)
	}
}

func TestRetriesKeepTheEventIDAndDeliverOnce(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			rcv := newReceiver(t, 500, 500, 500, 200)
			ev := write(t, s, "pa", "u-retry-"+name)
			d := dispatcher(s, registry(t, rcv.srv.URL, rcv.srv.URL), &memoryDLQ{})
			batch := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{record(ev, 7)}}
			resp, _ := d.Handle(context.Background(), batch)
			if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "7" {
				t.Fatalf("first invocation: %+v, want record 7 to retry", resp)
			}
			resp, _ = d.Handle(context.Background(), batch) // Lambda's retry of the batch
			if len(resp.BatchItemFailures) != 0 {
				t.Fatalf("second invocation: %+v", resp)
			}
			resp, _ = d.Handle(context.Background(), batch) // the batch once more: nothing is sent again
			hs, _ := rcv.requests()
			if len(hs) != 4 || len(resp.BatchItemFailures) != 0 {
				t.Fatalf("receiver got %d requests, want 4 (3 failures, 1 success, none after)", len(hs))
			}
			for _, h := range hs {
				if h.Get(webhooks.HeaderID) != ev.ID {
					t.Fatalf("event id changed across retries: %s vs %s", h.Get(webhooks.HeaderID), ev.ID)
				}
			}
			st, err := s.OutboxStatus(context.Background(), ev.Key())
			if err != nil || !st.Delivered || st.Attempts != 1 || st.DeadLettered {
				t.Fatalf("state %+v %v, want delivered after 1 failed invocation", st, err)
			}
		})
	}
}

func TestAlwaysFailingEndsInTheDeadLetterQueue(t *testing.T) {
	srv := moto.Require(t)
	q := sqs.NewFromConfig(srv.Config(nil, nil))
	created, err := q.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String("webhook-dlq-" + strconv.FormatInt(time.Now().UnixNano(), 10))})
	if err != nil {
		t.Fatal(err)
	}
	dlq := &webhooks.SQSDeadLetters{Client: q, QueueURL: *created.QueueUrl}
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			rcv := newReceiver(t, 503)
			ev := write(t, s, "pa", "u-dead-"+name)
			d := dispatcher(s, registry(t, rcv.srv.URL, rcv.srv.URL), dlq)
			batch := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{record(ev, 1)}}
			for i := 1; i <= 3; i++ {
				resp, _ := d.Handle(context.Background(), batch)
				if wantRetry := i < 3; (len(resp.BatchItemFailures) == 1) != wantRetry {
					t.Fatalf("invocation %d: %+v", i, resp)
				}
			}
			d.Handle(context.Background(), batch) // dead-lettered events are not sent again
			if hs, _ := rcv.requests(); len(hs) != 9 {
				t.Fatalf("receiver got %d requests, want 9 (3 invocations x 3 tries)", len(hs))
			}
			st, _ := s.OutboxStatus(context.Background(), ev.Key())
			if !st.DeadLettered || st.Delivered || st.Attempts != 3 {
				t.Fatalf("state %+v", st)
			}
			msgs, err := q.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: created.QueueUrl, MaxNumberOfMessages: 10})
			if err != nil || len(msgs.Messages) != 1 {
				t.Fatalf("dead letters: %d (%v)", len(msgs.Messages), err)
			}
			var dl webhooks.DeadLetter
			_ = json.Unmarshal([]byte(*msgs.Messages[0].Body), &dl)
			if dl.EventID != ev.ID || dl.Type != "user.created" || dl.PartnerID != "pa" || string(dl.Payload) != string(ev.Payload) || dl.Reason != "webhook_status_503" {
				t.Fatalf("dead letter %+v", dl)
			}
			_, _ = q.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: created.QueueUrl, ReceiptHandle: msgs.Messages[0].ReceiptHandle})
		})
	}
}

func TestOneFailingPartnerDoesNotHoldUpAnother(t *testing.T) {
	bad, good := newReceiver(t, 500), newReceiver(t, 200)
	s := memstore.New()
	evA, evB := write(t, s, "pa", "u-a"), write(t, s, "pb", "u-b")
	d := dispatcher(s, registry(t, bad.srv.URL, good.srv.URL), &memoryDLQ{})
	resp, _ := d.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{record(evA, 1), record(evB, 2)}})
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "1" {
		t.Fatalf("failures %+v, want only partner A's record", resp.BatchItemFailures)
	}
	if st, _ := s.OutboxStatus(context.Background(), evB.Key()); !st.Delivered {
		t.Fatal("partner B's event was held up")
	}
}

func TestNoRedirectsAndHTTPSOnly(t *testing.T) {
	redirect := newReceiver(t, http.StatusFound)
	s := memstore.New()
	ev := write(t, s, "pa", "u-redirect")
	sender := webhooks.NewSender(time.Second, true)
	var se *webhooks.StatusError
	if err := sender.Send(context.Background(), redirect.srv.URL, secretA, ev, time.Now()); !errors.As(err, &se) || se.Status != 302 {
		t.Fatalf("a redirect: %v, want a failed attempt with status 302", err)
	}
	if hs, _ := redirect.requests(); len(hs) != 1 {
		t.Fatalf("the redirect was followed: %d requests", len(hs))
	}
	plain := newReceiver(t, 200)
	production := webhooks.NewSender(time.Second, false)
	if err := production.Send(context.Background(), plain.srv.URL, secretA, ev, time.Now()); !errors.Is(err, webhooks.ErrInsecureURL) {
		t.Fatalf("http:// in production: %v", err)
	}
	if hs, _ := plain.requests(); len(hs) != 0 {
		t.Fatal("a request went to an http:// URL in production")
	}
}
