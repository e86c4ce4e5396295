package delivery_test

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/lambda/dispatch"
	"github.com/partner-identity/api/shared/testkit/queuetest"
	"github.com/partner-identity/api/shared/webhooks/delivery"
	"github.com/partner-identity/api/shared/webhooks/queue"
)

// standing is a registry of pa and pb whose flows the test changes: pa
// suspended or not.
type standing struct {
	urlA, urlB string
	suspended  atomic.Bool
}

// standing's lookup reads the partners as they stand at each call.
type standingLookup struct {
	s *standing
	t *testing.T
}

func (l standingLookup) registry() *partners.Registry {
	s, t := l.s, l.t
	{
		flow := "API"
		if s.suspended.Load() {
			flow = "SUSPENDED"
		}
		doc, _ := json.Marshal(map[string]any{"partners": []map[string]any{
			{"id": "pa", "webhook": map[string]string{"url": s.urlA}, "flow": flow},
			{"id": "pb", "webhook": map[string]string{"url": s.urlB}, "flow": "API"},
		}})
		r, err := partners.Parse(doc)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
}

func (l standingLookup) Authenticate(ctx context.Context, key string) (*partners.Partner, error) {
	return l.registry().Lookup().Authenticate(ctx, key)
}

func (l standingLookup) Partner(ctx context.Context, id string) (*partners.Partner, error) {
	return l.registry().Lookup().Partner(ctx, id)
}

func (l standingLookup) ByIdentityProvider(ctx context.Context, slug string) (*partners.Partner, error) {
	return l.registry().Lookup().ByIdentityProvider(ctx, slug)
}

func (s *standing) registry(t *testing.T) partners.Lookup { return standingLookup{s, t} }

// TestASuspendedPartnersEventsWait: a suspended partner gets nothing: its
// events' first attempts, its queued retries and its redeliveries are
// held (not sent, not counted, not dead-lettered), each checked again
// every HoldFor without reading the event while the partner is still
// suspended; reinstated within the events' retention, it gets them all,
// once each; a held message past its event's retention is dropped. The
// other partner is served throughout. Both stores.
func TestASuspendedPartnersEventsWait(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			a, b := newReceiver(t, 200), newReceiver(t, 200)
			reg := &standing{urlA: a.srv.URL, urlB: b.srv.URL}
			q := &queuetest.Queue{}
			clock := time.Now().UTC()
			now := func() time.Time { return clock }
			d := delivery.New(delivery.Deps{Store: s, Partners: reg.registry(t), Secrets: secrets, Now: now, Retries: q, DeadLetters: q,
				Sender: delivery.NewSender(time.Second, true), Schedule: []time.Duration{0, 0}})

			// One event of pa's failed once before the suspension: its retry is queued.
			failing := newReceiver(t, 500)
			reg.urlA = failing.srv.URL
			retried := write(t, s, "pa", "u-held-retried-"+name)
			if failed, _ := dispatch.Stream(d)(context.Background(), batch(record(retried, 1))); len(failed.BatchItemFailures) != 0 {
				t.Fatal(failed)
			}
			queued := q.Take()
			if len(queued) != 1 || queued[0].Attempt != 2 {
				t.Fatalf("queued %+v", queued)
			}
			reg.urlA = a.srv.URL

			reg.suspended.Store(true)
			held := write(t, s, "pa", "u-held-"+name)
			other := write(t, s, "pb", "u-served-"+name)
			if resp, _ := dispatch.Stream(d)(context.Background(), batch(record(held, 2), record(other, 3))); len(resp.BatchItemFailures) != 0 {
				t.Fatal(resp)
			}
			d.HandleRetries(context.Background(), append(queued, queue.Retry{EventID: held.ID, UserID: held.UserID, PartnerID: "pa", NotBefore: clock}))
			if hs, _ := a.requests(); len(hs) != 0 {
				t.Fatalf("the suspended partner got %d requests", len(hs))
			}
			if st, _ := s.OutboxStatus(context.Background(), other.Key()); st.Status != domain.OutboxDelivered {
				t.Fatalf("the other partner's event: %+v", st)
			}
			for _, ev := range []domain.OutboxEvent{held, retried} {
				st, _ := s.OutboxStatus(context.Background(), ev.Key())
				if st.Status != domain.OutboxPending || st.DeadLettered {
					t.Fatalf("a held event: %+v", st)
				}
			}
			if st, _ := s.OutboxStatus(context.Background(), held.Key()); st.Attempts != 0 {
				t.Fatalf("a held event counted %d attempts", st.Attempts)
			}
			waiting := q.Take()
			if len(waiting) != 3 || len(q.Dead()) != 0 {
				t.Fatalf("%d messages waiting (want the first attempt, the retry, the redelivery), %d dead", len(waiting), len(q.Dead()))
			}
			for i, m := range waiting {
				if !m.NotBefore.Equal(clock.Add(delivery.DefaultHoldFor)) || m.Until.IsZero() || m.Until.Before(clock.Add(29*24*time.Hour)) {
					t.Fatalf("held message %+v", m)
				}
				if delay := q.Delays()[len(q.Delays())-3+i]; delay != delivery.DefaultHoldFor {
					t.Fatalf("held for %v", delay)
				}
			}
			// Still suspended a quarter of an hour later: held again, the
			// event not read (a store that fails every read would not be
			// reached: the held message never reads it).
			clock = clock.Add(delivery.DefaultHoldFor)
			blind := delivery.New(delivery.Deps{Store: failingOutbox{s}, Partners: reg.registry(t), Secrets: secrets, Now: now, Retries: q, DeadLetters: q, Sender: delivery.NewSender(time.Second, true)})
			if failed := blind.HandleRetries(context.Background(), waiting); len(failed) != 0 {
				t.Fatalf("a held message read the event: %v", failed)
			}
			waiting = q.Take()
			if len(waiting) != 3 {
				t.Fatalf("%d held again", len(waiting))
			}
			// Reinstated: each goes out, once, with its number. One message
			// at a time, the scheduled ones first (the blind dispatcher
			// queued them again in any order): a scheduled attempt that
			// finds its event delivered by the redelivery rightly sends
			// nothing, which would make the count depend on that order.
			reg.suspended.Store(false)
			clock = clock.Add(delivery.DefaultHoldFor)
			slices.SortStableFunc(waiting, func(x, y queue.Retry) int {
				return cmp.Compare(boolInt(x.Attempt == 0), boolInt(y.Attempt == 0))
			})
			for _, m := range waiting {
				if failed := d.HandleRetries(context.Background(), []queue.Retry{m}); len(failed) != 0 {
					t.Fatal(failed)
				}
			}
			if n := a.perEvent(); n[held.ID] != 2 || n[retried.ID] != 1 {
				t.Fatalf("after the reinstatement: %v (want the held event's first attempt and its redelivery, the retry)", n)
			}
			for _, ev := range []domain.OutboxEvent{held, retried} {
				if st, _ := s.OutboxStatus(context.Background(), ev.Key()); st.Status != domain.OutboxDelivered {
					t.Fatalf("after the reinstatement: %+v", st)
				}
			}
			// Past its retention a held message is dropped.
			reg.suspended.Store(true)
			late := write(t, s, "pa", "u-held-late-"+name)
			dispatch.Stream(d)(context.Background(), batch(record(late, 9)))
			m := q.Take()
			clock = m[0].Until.Add(time.Second)
			if failed := d.HandleRetries(context.Background(), m); len(failed) != 0 || len(q.Take()) != 0 || len(q.Dead()) != 0 {
				t.Fatal("a held message past its retention was kept")
			}
		})
	}
}

// failingOutbox fails every read of the outbox.
type failingOutbox struct{ domain.Outbox }

func (failingOutbox) OutboxStatus(context.Context, domain.EventKey) (domain.OutboxState, error) {
	return domain.OutboxState{}, errOutage
}

var errOutage = &outage{}

type outage struct{}

func (*outage) Error() string { return "outage" }

// slowReceiver answers 2xx after delay (each request recorded as it arrives).
func slowReceiver(t *testing.T, delay time.Duration) *receiver {
	r := newReceiver(t, 200)
	r.delay = delay
	return r
}

// lanes is a shard's run: batches of 25 records, one after the other, as
// a DynamoDB stream shard hands them to the dispatcher, every tenth event
// the slow partner's.
type lanes struct {
	d          *delivery.Dispatcher
	s          *memstore.Store
	slow, fast *receiver
	slowLane   *queuetest.Queue
}

func newLanes(t testing.TB, slowDelay, budget time.Duration, withLane bool) *lanes {
	tt := t.(*testing.T)
	l := &lanes{s: memstore.New(), slow: slowReceiver(tt, slowDelay), fast: newReceiver(tt, 200), slowLane: &queuetest.Queue{}}
	q := &queuetest.Queue{}
	var lane queue.Queue // none: every attempt has the sender's whole timeout
	if withLane {
		lane = l.slowLane
	}
	l.d = delivery.New(delivery.Deps{Store: l.s, Partners: registry(tt, l.slow.srv.URL, l.fast.srv.URL), Secrets: secrets, Now: time.Now,
		Retries: q, DeadLetters: q, Sender: delivery.NewSender(5*time.Second, true), SlowLane: lane, Budget: budget})
	return l
}

// run hands batches batches to the stream handler and returns the fast
// partner's events.
func (l *lanes) run(t testing.TB, batches int) []domain.OutboxEvent {
	var fast []domain.OutboxEvent
	seq := 0
	for i := range batches {
		var b events.DynamoDBEvent
		for range 25 {
			seq++
			partner := "pb"
			if seq%10 == 0 {
				partner = "pa"
			}
			ev := write(t.(*testing.T), l.s, partner, partner+"-lane-"+strconv.Itoa(seq))
			if partner == "pb" {
				fast = append(fast, ev)
			}
			b.Records = append(b.Records, record(ev, seq))
		}
		if resp, _ := dispatch.Stream(l.d)(context.Background(), b); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("batch %d: %v", i, resp.BatchItemFailures)
		}
	}
	return fast
}

// TestASlowPartnerGoesToTheSlowLane: a partner whose endpoint answers 2xx
// but only after the shared lane's budget holds up one batch of the
// stream, once (the first batch, whose attempts at it are made at once):
// those attempts are handed to the slow lane, and the
// container sends the partner's next events there without trying them;
// every other event is delivered in the invocation that brought it. The
// slow lane then delivers the slow partner's events, each once, as their
// first attempt. (Counts, not times: the budget is 300 ms, the endpoint
// answers after 3 s, a healthy one at once.)
func TestASlowPartnerGoesToTheSlowLane(t *testing.T) {
	l := newLanes(t, 3*time.Second, 300*time.Millisecond, true)
	fast := l.run(t, 8) // 200 events, 20 of them the slow partner's
	for _, ev := range fast {
		if st, _ := l.s.OutboxStatus(context.Background(), ev.Key()); st.Status != domain.OutboxDelivered || st.Attempts != 1 {
			t.Fatalf("a fast partner's event after its batch: %+v", st)
		}
	}
	// The first batch's two events of the slow partner were tried (at
	// once, within the budget); no later batch tried any.
	triedInStream := l.slow.perEvent()
	if len(triedInStream) != 2 {
		t.Fatalf("the stream tried the slow endpoint with %d events, want the first batch's 2 (then it knew)", len(triedInStream))
	}
	msgs := l.slowLane.Take()
	if len(msgs) != 20 {
		t.Fatalf("%d attempts in the slow lane, want 20", len(msgs))
	}
	for _, m := range msgs {
		if !m.Slow || m.Attempt != 1 || m.PartnerID != "pa" {
			t.Fatalf("slow lane message %+v", m)
		}
	}
	// The slow lane: the full timeout, every event delivered once there.
	if failed := l.d.HandleRetries(context.Background(), msgs); len(failed) != 0 {
		t.Fatal(failed)
	}
	perEvent := l.slow.perEvent()
	for _, m := range msgs {
		st, _ := l.s.OutboxStatus(context.Background(), domain.EventKey{ID: m.EventID, UserID: m.UserID})
		if st.Status != domain.OutboxDelivered || st.Attempts != 1 || st.Scheduled != 1 {
			t.Fatalf("after the slow lane: %+v", st)
		}
		if want := 1 + triedInStream[m.EventID]; perEvent[m.EventID] != want {
			t.Fatalf("%s sent %d times, want %d", m.EventID, perEvent[m.EventID], want)
		}
	}
	if len(l.slowLane.Take()) != 0 {
		t.Fatal("a delivered slow-lane event was queued again")
	}
}

// TestASlowLaneFailureStaysInTheSlowLane: a retry of an attempt made in
// the slow lane is queued in the slow lane.
func TestASlowLaneFailureStaysInTheSlowLane(t *testing.T) {
	rcv := newReceiver(t, 500)
	s := memstore.New()
	q, slow := &queuetest.Queue{}, &queuetest.Queue{}
	d := delivery.New(delivery.Deps{Store: s, Partners: registry(t, rcv.srv.URL, rcv.srv.URL), Secrets: secrets, Now: time.Now,
		Retries: q, DeadLetters: q, Sender: delivery.NewSender(time.Second, true), SlowLane: slow})
	ev := write(t, s, "pa", "u-slow-retry")
	d.HandleRetries(context.Background(), []queue.Retry{{EventID: ev.ID, UserID: ev.UserID, PartnerID: "pa", Attempt: 1, Slow: true}})
	if got := slow.Take(); len(got) != 1 || got[0].Attempt != 2 || !got[0].Slow || len(q.Take()) != 0 {
		t.Fatalf("slow lane %+v", got)
	}
}

// bigHeaders is an endpoint that answers 200 with size bytes of headers
// (one buffer, written to every connection: the endpoint itself
// allocates nothing per request).
func bigHeaders(t *testing.T, size int) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var resp strings.Builder
	resp.WriteString("HTTP/1.1 200 OK\r\n")
	line := "X-Padding: " + strings.Repeat("a", 1000) + "\r\n"
	for resp.Len() < size {
		resp.WriteString(line)
	}
	resp.WriteString("Content-Length: 0\r\n\r\n")
	answer := []byte(resp.String())
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				r := bufio.NewReader(c)
				req, err := http.ReadRequest(r)
				if err != nil {
					return
				}
				_, _ = req.Body.Read(make([]byte, 1))
				_, _ = c.Write(answer)
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// TestAnAnswerIsReadBoundedly: 25 deliveries to endpoints answering 9.5 MB
// of headers, or 2xx with a 1 MB body, each fail ("too large") and
// together allocate a few megabytes, not the 25 x 9.5 MB that reading
// them would (the memory of an invocation is bounded, and measured here
// as the bytes allocated during the batch).
func TestAnAnswerIsReadBoundedly(t *testing.T) {
	huge := bigHeaders(t, 9_500_000)
	body := newReceiver(t, 200)
	body.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(make([]byte, 1<<20))
	})
	s := memstore.New()
	q := &queuetest.Queue{}
	d := delivery.New(delivery.Deps{Store: s, Partners: registry(t, huge, body.srv.URL), Secrets: secrets, Now: time.Now, Retries: q, DeadLetters: q, Sender: delivery.NewSender(5*time.Second, true)})
	var b events.DynamoDBEvent
	var evs []domain.OutboxEvent
	for i := range 25 {
		p := "pa"
		if i%5 == 4 {
			p = "pb"
		}
		ev := write(t, s, p, "u-big-"+strconv.Itoa(i))
		evs = append(evs, ev)
		b.Records = append(b.Records, record(ev, i))
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if resp, _ := dispatch.Stream(d)(context.Background(), b); len(resp.BatchItemFailures) != 0 {
		t.Fatal(resp)
	}
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("25 deliveries to oversized answers allocated %.1f MB", float64(allocated)/(1<<20))
	if allocated > 16<<20 {
		t.Fatalf("allocated %d bytes for 25 deliveries: an answer was read whole", allocated)
	}
	for _, ev := range evs {
		st, _ := s.OutboxStatus(context.Background(), ev.Key())
		if st.Status != domain.OutboxPending || st.Attempts != 1 || st.LastResponseStatus == 200 && ev.PartnerID == "pa" {
			t.Fatalf("an oversized answer: %+v, want a failed attempt", st)
		}
	}
	if got := len(q.Take()); got != 25 {
		t.Fatalf("%d retries queued, want 25 (every attempt failed)", got)
	}
}

// TestARedeliveryWaitsForAnOpenCircuit: a redelivery the partner asked for
// while its endpoint's circuit is open is not sent: it waits for the
// cooldown on the retry queue, then goes out.
func TestARedeliveryWaitsForAnOpenCircuit(t *testing.T) {
	rcv := newReceiver(t, 500)
	s := memstore.New()
	q := &queuetest.Queue{}
	clock := time.Now()
	now := func() time.Time { return clock }
	breaker := delivery.NewBreaker(now)
	d := delivery.New(delivery.Deps{Store: s, Partners: registry(t, rcv.srv.URL, rcv.srv.URL), Secrets: secrets, Now: now,
		Retries: q, DeadLetters: q, Sender: delivery.NewSender(time.Second, true), Breaker: breaker})
	for i := range breaker.Threshold {
		ev := write(t, s, "pa", "u-open-"+strconv.Itoa(i))
		dispatch.Stream(d)(context.Background(), batch(record(ev, i)))
	}
	q.Take()
	sent, _ := rcv.requests()
	ev := write(t, s, "pa", "u-open-redeliver")
	m := queue.Retry{EventID: ev.ID, UserID: ev.UserID, PartnerID: "pa", NotBefore: clock}
	for range 3 {
		d.HandleRetries(context.Background(), []queue.Retry{m})
	}
	if hs, _ := rcv.requests(); len(hs) != len(sent) {
		t.Fatalf("redeliveries sent through an open circuit: %d", len(hs)-len(sent))
	}
	waiting := q.Take()
	if len(waiting) != 3 || !waiting[0].NotBefore.Equal(clock.Add(breaker.Cooldown)) {
		t.Fatalf("waiting %+v", waiting)
	}
	rcv.mu.Lock()
	rcv.statuses = []int{200}
	rcv.mu.Unlock()
	clock = clock.Add(breaker.Cooldown + time.Second)
	d.HandleRetries(context.Background(), waiting[:1])
	if st, _ := s.OutboxStatus(context.Background(), ev.Key()); st.Status != domain.OutboxDelivered {
		t.Fatalf("after the cooldown: %+v", st)
	}
}

var rates = flag.Bool("rates", false, "measure the delivery rate of a shard with a slow partner (make bench)")

// TestDeliveryRateWithASlowPartner is make bench's figure for the slow
// lane: one stream shard (batches of 25, one after the other) through the
// real dispatcher and its stream handler, the memory store, endpoints on
// loopback; every tenth event is partner pa's, whose endpoint answers 2xx
// after 4.5 s; the others' (pb) at once. It prints pb's delivery rate
// without the slow partner (pa answering at once), with it and the slow
// lane, and with it and no slow lane (every attempt waits, as before the
// slow lane). make test runs it small, for its counts only.
func TestDeliveryRateWithASlowPartner(t *testing.T) {
	batches, before := 4, 0
	if *rates {
		batches, before = 2000, 3
	}
	quiet(t)
	measure := func(slowDelay time.Duration, lane bool, n int) (rate float64, delivered int) {
		l := newLanes(t, slowDelay, delivery.DefaultBudget, lane)
		start := time.Now()
		fast := l.run(t, n)
		elapsed := time.Since(start)
		for _, ev := range fast {
			if st, _ := l.s.OutboxStatus(context.Background(), ev.Key()); st.Status == domain.OutboxDelivered {
				delivered++
			}
		}
		if delivered != len(fast) {
			t.Fatalf("%d of %d fast events delivered in their invocation", delivered, len(fast))
		}
		return float64(delivered) / elapsed.Seconds(), delivered
	}
	without, n := measure(0, true, batches)
	with, _ := measure(4500*time.Millisecond, true, batches)
	if !*rates {
		return
	}
	old, _ := measure(4500*time.Millisecond, false, before)
	fmt.Printf("\ndelivery rate of the other partners on one stream shard (%d events each, 10%% to a partner answering after 4.5 s):\n", n)
	fmt.Printf("  %-44s %9.0f events/s\n", "without the slow partner", without)
	fmt.Printf("  %-44s %9.0f events/s  (%+.1f%%)\n", "with it, slow lane (budget 1 s)", with, (with/without-1)*100)
	fmt.Printf("  %-44s %9.1f events/s  (%+.1f%%, %d batches)\n", "with it, no slow lane (before)", old, (old/without-1)*100, before)
}

// quiet silences the default logger for t (a line per delivery).
func quiet(t *testing.T) {
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
