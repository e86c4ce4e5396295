package delivery_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/partner-identity/api/client"
	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/adapters/sqsqueue"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/outbox"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/lambda/dispatch"
	"github.com/partner-identity/api/shared/testkit/moto"
	"github.com/partner-identity/api/shared/testkit/queuetest"
	"github.com/partner-identity/api/shared/webhooks/delivery"
	"github.com/partner-identity/api/shared/webhooks/queue"
	"github.com/partner-identity/api/shared/webhooks/signature"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

func TestMain(m *testing.M) { moto.Main(m) }

// The partners' secrets: A's, B's, and A's previous one (a rotation).
const (
	secretA     = "whsec_a9yX2T41eyxYz5m3eqgTvyk6B4e0qi0/vH4odgMjtDQ="
	secretB     = "whsec_mboznUghVlyyrN2CBKAKfq0MLCzsbdGB/mwT/2cP7KY="
	secretAPrev = "whsec_DVkM57B0Q9PyJb2XSBKPL6cG33RH91zbhQmX9Bw9JL4="
)

// receiver is a partner's endpoint: it answers the scripted statuses in
// turn (the last one from then on), or hangs until the test ends, and
// records what it got.
type receiver struct {
	mu       sync.Mutex
	statuses []int
	hang     chan struct{}
	delay    time.Duration // before each answer
	got      []http.Header
	bodies   [][]byte
	srv      *httptest.Server
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, req.Header.Clone())
		r.bodies = append(r.bodies, body)
		hang, delay := r.hang, r.delay
		st := 200
		if len(r.statuses) > 0 {
			st = r.statuses[min(len(r.got)-1, len(r.statuses)-1)]
		}
		r.mu.Unlock()
		if hang != nil {
			select {
			case <-hang:
			case <-req.Context().Done():
			}
			return
		}
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-req.Context().Done():
				return
			}
		}
		if st == http.StatusFound {
			w.Header().Set("Location", "https://elsewhere.example/")
		}
		w.WriteHeader(st)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// hanging is an endpoint that never answers.
func hanging(t *testing.T) *receiver {
	r := newReceiver(t)
	r.hang = make(chan struct{})
	t.Cleanup(func() { close(r.hang) })
	return r
}

func (r *receiver) requests() ([]http.Header, [][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]http.Header(nil), r.got...), append([][]byte(nil), r.bodies...)
}

// perEvent counts the requests by Webhook-Id.
func (r *receiver) perEvent() map[string]int {
	hs, _ := r.requests()
	n := map[string]int{}
	for _, h := range hs {
		n[h.Get(delivery.HeaderID)]++
	}
	return n
}

func registry(t *testing.T, urlA, urlB string) partners.Lookup {
	doc, _ := json.Marshal(map[string]any{"partners": []map[string]any{
		{"id": "pa", "webhook": map[string]string{"url": urlA}, "flow": "API"},
		{"id": "pb", "webhook": map[string]string{"url": urlB}, "flow": "API"},
	}})
	r, err := partners.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	return r.Lookup()
}

// stores gives each test the in-memory store and DynamoDB on moto.
func stores(t *testing.T) map[string]domain.Store {
	db, table := moto.Require(t).NewTable(t, nil, nil)
	return map[string]domain.Store{"memory": memstore.New(), "moto": dynamostore.New(db, table)}
}

// write puts an event in the outbox the way the API does: with a change,
// in one transaction (a user's creation), kept with the user and carrying
// its externalUserId (personal data).
func write(t *testing.T, s domain.Store, partner, userID string) domain.OutboxEvent {
	t.Helper()
	now := time.Now().UTC()
	ev := outbox.MustPersonal(outbox.UserCreated, partner, userID, map[string]string{"userId": userID, "externalUserId": "ext-" + userID}, now)
	_, err := s.CreateUser(context.Background(), domain.User{ID: userID, PartnerID: partner, ExternalUserID: "ext-" + userID, Type: "INDIVIDUAL",
		Method: "NONE", KYCStatus: domain.KYCNotStarted, CreatedAt: now, UpdatedAt: now},
		domain.Guard{PartnerID: partner, ExternalUserID: "ext-" + userID, UserID: userID, RequestHash: "h", Response: []byte("{}"), CreatedAt: now}, ev)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// record is the stream record DynamoDB emits for an outbox insert: the
// table's stream is KEYS_ONLY, so it carries the item's keys and nothing
// of the event (the dispatcher reads the event from the table).
func record(ev domain.OutboxEvent, seq int) events.DynamoDBEventRecord {
	pk := "OUTBOX#" + ev.ID
	if ev.UserID != "" {
		pk = "OUTBOX#USER#" + ev.UserID
	}
	keys := map[string]events.DynamoDBAttributeValue{"pk": events.NewStringAttribute(pk), "sk": events.NewStringAttribute("EVENT#" + ev.ID)}
	return events.DynamoDBEventRecord{EventName: "INSERT", Change: events.DynamoDBStreamRecord{SequenceNumber: strconv.Itoa(seq), Keys: keys,
		StreamViewType: "KEYS_ONLY"}}
}

func batch(recs ...events.DynamoDBEventRecord) events.DynamoDBEvent {
	return events.DynamoDBEvent{Records: recs}
}

var secrets = signature.Secrets{"pa": {signature.MustSecret(secretA)}, "pb": {signature.MustSecret(secretB)}}

// dispatcher has a schedule of immediate retries (3 attempts in all) and
// a clock that the tests move.
func dispatcher(s domain.Store, reg partners.Lookup, q queue.Queue, dlq queue.DeadLetters, timeout time.Duration) *delivery.Dispatcher {
	return delivery.New(delivery.Deps{Store: s, Partners: reg, Secrets: secrets, Now: time.Now, Retries: q, DeadLetters: dlq,
		Sender: delivery.NewSender(timeout, true), Schedule: []time.Duration{0, 0}})
}

// drain hands the memory queue's messages to the dispatcher until none is left.
func drain(t *testing.T, d *delivery.Dispatcher, q *queuetest.Queue) {
	t.Helper()
	for i := 0; i < 20; i++ {
		msgs := q.Take()
		if len(msgs) == 0 {
			return
		}
		if failed := d.HandleRetries(context.Background(), msgs); len(failed) > 0 {
			t.Fatalf("retries failed: %v", failed)
		}
	}
	t.Fatal("the retry queue does not empty")
}

func TestSignatureIsStandardWebhooks(t *testing.T) {
	rcv := newReceiver(t, 200)
	s := memstore.New()
	ev := write(t, s, "pa", "u-sig")
	q := &queuetest.Queue{}
	rotating := signature.Secrets{"pa": {signature.MustSecret(secretA), signature.MustSecret(secretAPrev)}}
	d := delivery.New(delivery.Deps{Store: s, Partners: registry(t, rcv.srv.URL, rcv.srv.URL), Secrets: rotating, Now: time.Now, Retries: q, DeadLetters: q, Sender: delivery.NewSender(time.Second, true)})
	if resp, _ := dispatch.Stream(d)(context.Background(), batch(record(ev, 1))); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("stream: %+v", resp)
	}
	hs, bodies := rcv.requests()
	if len(hs) != 1 {
		t.Fatalf("%d deliveries", len(hs))
	}
	h, body := hs[0], bodies[0]
	if string(body) != string(ev.Payload) || h.Get(delivery.HeaderID) != ev.ID || h.Get(delivery.HeaderEvent) != "user.created" || h.Get("Content-Type") != "application/json" {
		t.Fatalf("delivery %v %s", h, body)
	}
	sigs := strings.Fields(h.Get("Webhook-Signature"))
	if len(sigs) != 2 || !strings.HasPrefix(sigs[0], "v1,") || !strings.HasPrefix(sigs[1], "v1,") {
		t.Fatalf("signatures %q, want two v1, signatures during the rotation", sigs)
	}
	// The official Standard Webhooks library verifies with either secret of the rotation, alone.
	for _, secret := range []string{secretA, secretAPrev} {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(body, h); err != nil {
			t.Fatalf("the official library refuses the delivery: %v", err)
		}
		one := h.Clone()
		one.Set("Webhook-Signature", sigs[map[string]int{secretA: 0, secretAPrev: 1}[secret]])
		if err := wh.Verify(body, one); err != nil {
			t.Fatalf("its own signature alone: %v", err)
		}
	}
	wh, _ := standardwebhooks.NewWebhook(secretB)
	if err := wh.Verify(body, h); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
		t.Fatalf("another secret verifies: %v", err)
	}
	wa, _ := standardwebhooks.NewWebhook(secretA)
	replayed := h.Clone()
	replayed.Set(delivery.HeaderID, "evt_"+strings.Repeat("0", 32))
	if err := wa.Verify(body, replayed); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
		t.Fatalf("the delivery replayed under another id verifies: %v", err)
	}
	if err := wa.Verify(append(body, ' '), h); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
		t.Fatalf("a changed body verifies: %v", err)
	}
	// The client package's verifier, which uses the same library, with the tolerance.
	now := time.Now()
	if _, err := client.VerifyWebhook(secretA, h, body, now); err != nil {
		t.Fatalf("client.VerifyWebhook: %v", err)
	}
	if _, err := client.VerifyWebhook(secretA, replayed, body, now); !errors.Is(err, client.ErrWebhookSignature) {
		t.Fatalf("client.VerifyWebhook, another id: %v", err)
	}
	if _, err := client.VerifyWebhook(secretA, h, body, now.Add(10*time.Minute)); !errors.Is(err, client.ErrWebhookTimestamp) {
		t.Fatalf("a replay after the tolerance verifies: %v", err)
	}
}

func TestRetriesKeepTheEventIDAndDeliverOnce(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			rcv := newReceiver(t, 500, 503, 204)
			ev := write(t, s, "pa", "u-retry-"+name)
			q := &queuetest.Queue{}
			d := dispatcher(s, registry(t, rcv.srv.URL, rcv.srv.URL), q, q, time.Second)
			b := batch(record(ev, 7))
			if resp, _ := dispatch.Stream(d)(context.Background(), b); len(resp.BatchItemFailures) != 0 {
				t.Fatalf("first attempt: %+v, want the record acknowledged", resp)
			}
			if st, _ := s.OutboxStatus(context.Background(), ev.Key()); st.Status != domain.OutboxPending || st.Attempts != 1 || st.LastResponseStatus != 500 {
				t.Fatalf("after the first attempt: %+v", st)
			}
			drain(t, d, q)
			dispatch.Stream(d)(context.Background(), b) // the record brought again: nothing is sent
			hs, _ := rcv.requests()
			if len(hs) != 3 {
				t.Fatalf("receiver got %d requests, want 3 (2 failures, 1 success, none after)", len(hs))
			}
			for _, h := range hs {
				if h.Get(delivery.HeaderID) != ev.ID {
					t.Fatalf("event id changed across retries: %s vs %s", h.Get(delivery.HeaderID), ev.ID)
				}
			}
			st, err := s.OutboxStatus(context.Background(), ev.Key())
			if err != nil || st.Status != domain.OutboxDelivered || st.Attempts != 3 || st.LastResponseStatus != 204 || st.DeadLettered || len(q.Dead()) != 0 {
				t.Fatalf("state %+v %v, want delivered at the third attempt", st, err)
			}
			if strings.Contains(string(st.Event.Payload), "ext-u-retry") || !strings.Contains(string(st.Event.Payload), `"personalDataRemoved":true`) {
				t.Fatalf("the delivered event keeps its personal data: %s", st.Event.Payload)
			}
		})
	}
}

func TestTheScheduleSpansADay(t *testing.T) {
	var total time.Duration
	for _, w := range delivery.DefaultSchedule {
		total += w
	}
	if len(delivery.DefaultSchedule) != 7 || total < 24*time.Hour || total > 30*time.Hour {
		t.Fatalf("%d retries over %s", len(delivery.DefaultSchedule), total)
	}
	// Each wait is asked of the queue as the schedule says.
	rcv := newReceiver(t, 500)
	s := memstore.New()
	ev := write(t, s, "pa", "u-schedule")
	q := &queuetest.Queue{}
	clock := time.Now()
	never := &delivery.Breaker{Threshold: math.MaxInt, Cooldown: time.Minute, Now: time.Now} // the schedule alone
	d := delivery.New(delivery.Deps{Store: s, Partners: registry(t, rcv.srv.URL, rcv.srv.URL), Secrets: secrets, Now: func() time.Time { return clock },
		Retries: q, DeadLetters: q, Sender: delivery.NewSender(time.Second, true), Breaker: never})
	dispatch.Stream(d)(context.Background(), batch(record(ev, 1)))
	for i, want := range delivery.DefaultSchedule {
		msgs := q.Take()
		if len(msgs) != 1 || q.Delays()[i] != want || msgs[0].Attempt != i+2 || !msgs[0].NotBefore.Equal(clock.Add(want)) {
			t.Fatalf("retry %d: %+v, delay %v, want %v", i+1, msgs, q.Delays()[i], want)
		}
		clock = clock.Add(want)
		d.HandleRetries(context.Background(), msgs)
	}
	if hs, _ := rcv.requests(); len(hs) != 8 || len(q.Dead()) != 1 {
		t.Fatalf("%d attempts, %d dead letters; want 8 and 1", len(hs), len(q.Dead()))
	}
}

func TestAMessageDueLaterWaitsAgain(t *testing.T) {
	rcv := newReceiver(t, 200)
	s := memstore.New()
	ev := write(t, s, "pa", "u-later")
	q := &queuetest.Queue{}
	clock := time.Now()
	d := delivery.New(delivery.Deps{Store: s, Partners: registry(t, rcv.srv.URL, rcv.srv.URL), Secrets: secrets, Now: func() time.Time { return clock }, Retries: q, DeadLetters: q, Sender: delivery.NewSender(time.Second, true)})
	m := queue.Retry{EventID: ev.ID, UserID: ev.UserID, PartnerID: "pa", Attempt: 2, NotBefore: clock.Add(5 * time.Hour)}
	d.HandleRetries(context.Background(), []queue.Retry{m})
	if got := q.Take(); len(got) != 1 || got[0] != m || q.Delays()[0] != 5*time.Hour {
		t.Fatalf("requeued %+v after %v", got, q.Delays())
	}
	if hs, _ := rcv.requests(); len(hs) != 0 {
		t.Fatal("sent before its time")
	}
}

func TestAlwaysFailingEndsInTheDeadLetterQueue(t *testing.T) {
	srv := moto.Require(t)
	q := sqs.NewFromConfig(srv.Config(nil, nil))
	retryURL, dlqURL := moto.NewQueue(t, q, "webhook-retries"), moto.NewQueue(t, q, "webhook-dlq")
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			rcv := newReceiver(t, 503)
			ev := write(t, s, "pa", "u-dead-"+name)
			retries, dlq := sqsqueue.New(ptr(srv.Config(nil, nil)), retryURL, dlqURL)
			d := dispatcher(s, registry(t, rcv.srv.URL, rcv.srv.URL), retries, dlq, time.Second)
			dispatch.Stream(d)(context.Background(), batch(record(ev, 1)))
			drainSQS(t, d, q, retryURL)
			if hs, _ := rcv.requests(); len(hs) != 3 {
				t.Fatalf("receiver got %d requests, want 3 (the schedule's attempts)", len(hs))
			}
			st, _ := s.OutboxStatus(context.Background(), ev.Key())
			if st.Status != domain.OutboxFailed || !st.DeadLettered || st.Attempts != 3 || st.LastResponseStatus != 503 {
				t.Fatalf("state %+v", st)
			}
			if strings.Contains(string(st.Event.Payload), "ext-u-dead") {
				t.Fatalf("the failed event keeps its personal data: %s", st.Event.Payload)
			}
			bodies := receiveBodies(t, q, dlqURL)
			if len(bodies) != 1 {
				t.Fatalf("dead letters: %d", len(bodies))
			}
			var dl map[string]any
			_ = json.Unmarshal([]byte(bodies[0]), &dl)
			if dl["eventId"] != ev.ID || dl["type"] != "user.created" || dl["partnerId"] != "pa" || dl["reason"] != "webhook_status_503" || dl["attempts"] != 3.0 {
				t.Fatalf("dead letter %s", bodies[0])
			}
			if _, ok := dl["payload"]; ok || strings.Contains(bodies[0], "ext-u-dead") || strings.Contains(bodies[0], "u-dead-"+name) {
				t.Fatalf("the dead letter carries more than the event's id: %s", bodies[0])
			}
			// Brought again, the last message sends nothing more.
			d.HandleRetries(context.Background(), []queue.Retry{{EventID: ev.ID, UserID: ev.UserID, PartnerID: "pa", Attempt: 3}})
			if hs, _ := rcv.requests(); len(hs) != 3 || len(receiveBodies(t, q, dlqURL)) != 0 {
				t.Fatal("the last attempt's message, again, sent or dead-lettered again")
			}
		})
	}
}

// TestOnePartnerHangingHoldsUpNoOther: partner A's endpoint never answers.
// Partner B's events, in the same batch as A's and in later batches, are
// delivered by the invocation that brings them, and no record is left for
// the stream to retry; then, through the retry queue on moto's SQS, every
// event ends delivered (B's) or failed and dead-lettered (A's), each
// exactly once.
func TestOnePartnerHangingHoldsUpNoOther(t *testing.T) {
	srv := moto.Require(t)
	q := sqs.NewFromConfig(srv.Config(nil, nil))
	retryURL, dlqURL := moto.NewQueue(t, q, "isolation-retries"), moto.NewQueue(t, q, "isolation-dlq")
	db, table := srv.NewTable(t, nil, nil)
	s := dynamostore.New(db, table)
	bad, good := hanging(t), newReceiver(t, 200)
	retries, dlq := sqsqueue.New(ptr(srv.Config(nil, nil)), retryURL, dlqURL)
	breaker := delivery.NewBreaker(time.Now)
	breaker.Threshold = 3
	d := delivery.New(delivery.Deps{Store: s, Partners: registry(t, bad.srv.URL, good.srv.URL), Secrets: secrets, Now: time.Now, Retries: retries, DeadLetters: dlq,
		Sender: delivery.NewSender(300*time.Millisecond, true), Schedule: []time.Duration{0, 0}, Breaker: breaker})

	var aEvents, bEvents []domain.OutboxEvent
	seq := 0
	next := func(partner string) events.DynamoDBEventRecord {
		seq++
		ev := write(t, s, partner, partner+"-u-"+strconv.Itoa(seq))
		if partner == "pa" {
			aEvents = append(aEvents, ev)
		} else {
			bEvents = append(bEvents, ev)
		}
		return record(ev, seq)
	}
	for i, partners := range [][]string{{"pa", "pb", "pa", "pb", "pa"}, {"pa", "pa", "pb"}, {"pb", "pa"}} {
		var b events.DynamoDBEvent
		for _, p := range partners {
			b.Records = append(b.Records, next(p))
		}
		resp, err := dispatch.Stream(d)(context.Background(), b)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("batch %d: %+v %v, want every record acknowledged", i+1, resp, err)
		}
		for _, ev := range bEvents {
			if st, _ := s.OutboxStatus(context.Background(), ev.Key()); st.Status != domain.OutboxDelivered {
				t.Fatalf("batch %d: partner B's %s is %+v after the invocation that brought it", i+1, ev.ID, st)
			}
		}
	}
	drainSQS(t, d, q, retryURL)

	for id, n := range good.perEvent() {
		if n != 1 {
			t.Fatalf("B's %s delivered %d times", id, n)
		}
	}
	if len(good.perEvent()) != len(bEvents) {
		t.Fatalf("B got %d events, want %d", len(good.perEvent()), len(bEvents))
	}
	for _, ev := range bEvents {
		if st, _ := s.OutboxStatus(context.Background(), ev.Key()); st.Status != domain.OutboxDelivered || st.Attempts != 1 {
			t.Fatalf("B's %s: %+v", ev.ID, st)
		}
	}
	dead := map[string]int{}
	for _, body := range receiveBodies(t, q, dlqURL) {
		var dl queue.DeadLetter
		_ = json.Unmarshal([]byte(body), &dl)
		dead[dl.EventID]++
	}
	for _, ev := range aEvents {
		st, _ := s.OutboxStatus(context.Background(), ev.Key())
		if st.Status != domain.OutboxFailed || !st.DeadLettered || st.Attempts != d.Attempts() || dead[ev.ID] != 1 {
			t.Fatalf("A's %s: %+v, dead-lettered %d times", ev.ID, st, dead[ev.ID])
		}
	}
	if len(dead) != len(aEvents) {
		t.Fatalf("%d dead letters, want %d", len(dead), len(aEvents))
	}
	// The breaker spared the hanging endpoint most of the attempts.
	if hs, _ := bad.requests(); len(hs) >= len(aEvents)*d.Attempts() {
		t.Fatalf("the hanging endpoint got %d requests, every attempt (%d)", len(hs), len(aEvents)*d.Attempts())
	}
}

func TestTheBreakerSkipsAFailingPartnerAndProbesIt(t *testing.T) {
	rcv := newReceiver(t, 500)
	s := memstore.New()
	q := &queuetest.Queue{}
	clock := time.Now()
	d := delivery.New(delivery.Deps{Store: s, Partners: registry(t, rcv.srv.URL, rcv.srv.URL), Secrets: secrets, Now: func() time.Time { return clock },
		Retries: q, DeadLetters: q, Sender: delivery.NewSender(time.Second, true)})
	var evs []domain.OutboxEvent
	for i := range 8 {
		evs = append(evs, write(t, s, "pa", "u-breaker-"+strconv.Itoa(i)))
	}
	for i, ev := range evs {
		dispatch.Stream(d)(context.Background(), batch(record(ev, i)))
	}
	if hs, _ := rcv.requests(); len(hs) != 5 {
		t.Fatalf("%d requests, want 5: the threshold, then the circuit is open", len(hs))
	}
	if st, _ := s.OutboxStatus(context.Background(), evs[7].Key()); st.Attempts != 1 || st.LastResponseStatus != 0 || st.Status != domain.OutboxPending {
		t.Fatalf("a skipped event: %+v, want one attempt counted, unsent, retried", st)
	}
	if len(q.Take()) != 8 {
		t.Fatal("every event is in the retry queue")
	}
	clock = clock.Add(61 * time.Second)
	rcv.mu.Lock()
	rcv.statuses = []int{200}
	rcv.mu.Unlock()
	ev := write(t, s, "pa", "u-probe")
	dispatch.Stream(d)(context.Background(), batch(record(ev, 99)))
	if st, _ := s.OutboxStatus(context.Background(), ev.Key()); st.Status != domain.OutboxDelivered {
		t.Fatalf("the probe after the cooldown: %+v", st)
	}
	ev2 := write(t, s, "pa", "u-after")
	dispatch.Stream(d)(context.Background(), batch(record(ev2, 100)))
	if st, _ := s.OutboxStatus(context.Background(), ev2.Key()); st.Status != domain.OutboxDelivered {
		t.Fatalf("after a good probe the circuit is closed: %+v", st)
	}
}

func TestRedeliveryIsOneAttemptWithTheSameID(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			rcv := newReceiver(t, 200)
			ev := write(t, s, "pa", "u-redeliver-"+name)
			q := &queuetest.Queue{}
			d := dispatcher(s, registry(t, rcv.srv.URL, rcv.srv.URL), q, q, time.Second)
			dispatch.Stream(d)(context.Background(), batch(record(ev, 1)))
			d.HandleRetries(context.Background(), []queue.Retry{{EventID: ev.ID, UserID: ev.UserID, PartnerID: "pa"}})
			hs, bodies := rcv.requests()
			if len(hs) != 2 || hs[1].Get(delivery.HeaderID) != ev.ID {
				t.Fatalf("%d requests", len(hs))
			}
			if string(bodies[0]) != string(ev.Payload) || strings.Contains(string(bodies[1]), "ext-u-redeliver") || !strings.Contains(string(bodies[1]), `"personalDataRemoved":true`) {
				t.Fatalf("the redelivery of a delivered event: %s", bodies[1])
			}
			if err := signature.Verify(signature.MustSecret(secretA), hs[1], bodies[1], time.Now()); err != nil {
				t.Fatalf("the redelivery is not signed: %v", err)
			}
			st, _ := s.OutboxStatus(context.Background(), ev.Key())
			if st.Attempts != 2 || st.Status != domain.OutboxDelivered || len(q.Take()) != 0 {
				t.Fatalf("state %+v", st)
			}
			// Another partner's message for the event does nothing.
			d.HandleRetries(context.Background(), []queue.Retry{{EventID: ev.ID, UserID: ev.UserID, PartnerID: "pb"}})
			if hs, _ := rcv.requests(); len(hs) != 2 {
				t.Fatal("redelivered for another partner")
			}
		})
	}
}

func TestNoRedirectsAndHTTPSOnly(t *testing.T) {
	redirect := newReceiver(t, http.StatusFound)
	s := memstore.New()
	ev := write(t, s, "pa", "u-redirect")
	keys := []signature.Key{signature.MustSecret(secretA)}
	sender := delivery.NewSender(time.Second, true)
	var se *delivery.StatusError
	if status, err := sender.Send(context.Background(), redirect.srv.URL, keys, ev, time.Now()); !errors.As(err, &se) || se.Status != 302 || status != 302 {
		t.Fatalf("a redirect: %v, want a failed attempt with status 302", err)
	}
	if hs, _ := redirect.requests(); len(hs) != 1 {
		t.Fatalf("the redirect was followed: %d requests", len(hs))
	}
	plain := newReceiver(t, 200)
	production := delivery.NewSender(time.Second, false)
	if _, err := production.Send(context.Background(), plain.srv.URL, keys, ev, time.Now()); !errors.Is(err, delivery.ErrInsecureURL) {
		t.Fatalf("http:// in production: %v", err)
	}
	if hs, _ := plain.requests(); len(hs) != 0 {
		t.Fatal("a request went to an http:// URL in production")
	}
}

// drainSQS plays the retry function on the SQS queue until it is empty:
// each batch of messages through the SQS event the function receives.
func drainSQS(t *testing.T, d *delivery.Dispatcher, q *sqs.Client, url string) {
	t.Helper()
	for i := 0; i < 50; i++ {
		bodies, ids := moto.ReceiveAll(t, q, url)
		if len(bodies) == 0 {
			return
		}
		var e events.SQSEvent
		for i, b := range bodies {
			e.Records = append(e.Records, events.SQSMessage{MessageId: ids[i], Body: b})
		}
		msgs, bad := dispatch.Messages(e)
		if len(bad) > 0 {
			t.Fatalf("messages that do not parse: %v", bad)
		}
		retries := make([]queue.Retry, len(msgs))
		for i, m := range msgs {
			retries[i] = m.Retry
		}
		if failed := d.HandleRetries(context.Background(), retries); len(failed) > 0 {
			t.Fatalf("retries failed: %v", failed)
		}
	}
	t.Fatal("the retry queue does not empty")
}

func ptr[T any](v T) *T { return &v }

// receiveBodies takes every message of a queue: their bodies.
func receiveBodies(t *testing.T, q *sqs.Client, url string) []string {
	bodies, _ := moto.ReceiveAll(t, q, url)
	return bodies
}
