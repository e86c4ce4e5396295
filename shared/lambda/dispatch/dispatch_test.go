package dispatch_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/partner-identity/api/shared/devdata"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/outbox"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/lambda/dispatch"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/queuetest"
)

// parker records parks (sqsqueue.Parking's calls).
type parker struct{ waits []time.Duration }

func (p *parker) Park(_ context.Context, _, _ string, wait time.Duration) error {
	p.waits = append(p.waits, wait)
	return nil
}

// sqsMaxDelay is SQS's longest delay of a message.
const sqsMaxDelay = 15 * time.Minute

// runSchedule takes one event whose partner's endpoint always fails
// through its whole retry schedule as SQS and Lambda would carry it: each
// message sent is received after its delay (15 minutes at most), handed
// to the retry function (with p parking, or none); a parked message comes
// back when due. It returns the messages sent, the receives and the
// parks, and 1 when the event ended failed after its 8 attempts, dead-
// lettered.
func runSchedule(t *testing.T, p dispatch.Parker) (sent, receives int, parks []time.Duration, dead int) {
	t.Helper()
	ctx := context.Background()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
	defer hook.Close()
	d, err := devdata.Build(ctx, app.Config{WebhookAllowHTTP: true}, devdata.Local{Memory: true, WebhookURL: hook.URL + "/hooks"})
	if err != nil {
		t.Fatal(err)
	}
	clock := testkit.NewClock(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	d.Now = clock.Now
	q := &queuetest.Queue{}
	d.Queues = &app.Queues{Retries: q, SlowLane: q}
	disp := dispatch.New(d)
	ev := outbox.Must(outbox.WebhookTest, devdata.PartnerID, map[string]string{"message": "schedule"}, clock.Now())
	if err := d.Store.PutOutboxEvent(ctx, ev, domain.Budget{}); err != nil {
		t.Fatal(err)
	}
	if err := disp.Deliver(ctx, ev.Key()); err != nil {
		t.Fatal(err)
	}
	var handler func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)
	if p != nil {
		handler = dispatch.Parked(disp, p, clock.Now)
	} else {
		handler = dispatch.Retries(disp)
	}
	for range 1000 {
		msgs, delays := q.Take(), q.Delays()
		if len(msgs) == 0 {
			break
		}
		sent += len(msgs)
		delay := delays[len(delays)-1]
		clock.Add(min(delay, sqsMaxDelay))
		for _, m := range msgs {
			body, _ := json.Marshal(m)
			rec := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m", ReceiptHandle: "r", Body: string(body),
				EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:retries"}}}
			for {
				receives++
				parked := 0
				if p != nil {
					parked = len(p.(*parker).waits)
				}
				resp, err := handler(ctx, rec)
				if err != nil {
					t.Fatal(err)
				}
				if p == nil || len(p.(*parker).waits) == parked {
					if len(resp.BatchItemFailures) != 0 {
						t.Fatalf("a message failed: %+v", resp)
					}
					break
				}
				clock.Add(p.(*parker).waits[len(p.(*parker).waits)-1]) // hidden until due, then received again
			}
		}
	}
	if p != nil {
		parks = p.(*parker).waits
	}
	st, err := d.Store.OutboxStatus(ctx, ev.Key())
	if err != nil {
		t.Fatal(err)
	}
	if st.Status == domain.OutboxFailed && st.DeadLettered && st.Attempts == 8 {
		dead = 1
	}
	return sent, receives, parks, dead
}

// TestARetryScheduleCostsOneMessageAnAttempt: an event whose endpoint
// always fails, through its whole schedule (8 attempts over 27.6 hours):
// with parking, 7 messages (one per retry) and 12 receives (the 5 waits
// over 15 minutes parked once each), then its dead letter; without it,
// every 15 minutes of a wait is one more message (printed, for the cost
// table).
func TestARetryScheduleCostsOneMessageAnAttempt(t *testing.T) {
	sent, receives, parks, dead := runSchedule(t, &parker{})
	if sent != 7 || len(parks) != 5 || receives != 12 || dead != 1 {
		t.Fatalf("with parking: %d messages, %d receives, %d parks %v, %d dead letters; want 7, 12, 5 and 1", sent, receives, len(parks), parks, dead)
	}
	for _, w := range parks {
		if w <= 0 || w > 10*time.Hour {
			t.Fatalf("a park of %v", w)
		}
	}
	hopSent, hopReceives, _, hopDead := runSchedule(t, nil)
	if hopDead != 1 || hopSent <= sent {
		t.Fatalf("without parking: %d messages, %d dead letters", hopSent, hopDead)
	}
	t.Logf("one failing event's whole schedule: %d messages, %d receives, %d parks (ChangeMessageVisibility); re-sent every 15 minutes instead: %d messages, %d receives",
		sent, receives, len(parks), hopSent, hopReceives)
	// Per million such events, at $0.40 a million SQS requests and $0.20
	// a million Lambda requests, one message a receive and an invocation
	// (Lambda's poller batches up to 10: an upper bound): each message is
	// sent, received (a parked one twice) and deleted once.
	usd := func(sent, receives, parks int) float64 {
		return float64(sent+receives+sent+parks)*0.40 + float64(receives)*0.20
	}
	t.Logf("its queue and invocations per million failing events: $%.2f parked, $%.2f re-sent", usd(sent, receives, len(parks)), usd(hopSent, hopReceives, 0))
}
