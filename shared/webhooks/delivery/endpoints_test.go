package delivery_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/outbox"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/testkit/queuetest"
	"github.com/partner-identity/api/shared/webhooks/delivery"
	"github.com/partner-identity/api/shared/webhooks/queue"
	"github.com/partner-identity/api/shared/webhooks/signature"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// The endpoints of partner "pe" in the tests below: its first (the
// operator's, every event), one subscribed to kyc.status_changed only, one
// disabled.
const (
	endpointKYC      = "we_00000000000000b1"
	endpointDisabled = "we_00000000000000c1"
)

func endpointsRegistry(t *testing.T, first, kyc, disabled string) partners.Lookup {
	t.Helper()
	doc, _ := json.Marshal(map[string]any{"partners": []map[string]any{{
		"id": "pe", "flow": "API", "webhook": map[string]any{"url": first},
		"webhookEndpoints": []map[string]any{
			{"id": endpointKYC, "url": kyc, "enabledEvents": []string{outbox.KYCStatusChanged}},
			{"id": endpointDisabled, "url": disabled, "disabled": true},
		},
	}}})
	r, err := partners.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	return r.Lookup()
}

// TestEachEndpointHasItsOwnDelivery: an event goes to each enabled
// endpoint subscribed to its type, signed with that endpoint's secret
// alone; each delivery has its own state, retries (messages naming the
// endpoint), circuit and dead letter; a redelivery may name one endpoint
// or go to all.
func TestEachEndpointHasItsOwnDelivery(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			first, kyc, disabled := newReceiver(t, 500), newReceiver(t, 204), newReceiver(t, 204)
			q := &queuetest.Queue{}
			keys := signature.Secrets{"pe/" + partners.DefaultEndpointID: {signature.MustSecret(secretA)}, "pe/" + endpointKYC: {signature.MustSecret(secretB)}}
			// A circuit opens after one failure: the first endpoint's, not the other's.
			breaker := &delivery.Breaker{Threshold: 1, Cooldown: time.Hour, Now: time.Now}
			d := delivery.New(delivery.Deps{Store: s, Partners: endpointsRegistry(t, first.srv.URL, kyc.srv.URL, disabled.srv.URL), Secrets: keys,
				Now: time.Now, Retries: q, DeadLetters: q, Sender: delivery.NewSender(time.Second, true), Schedule: []time.Duration{0, 0}, Breaker: breaker})

			created := write(t, s, "pe", "u-endpoints-"+name)
			changed := outbox.Must(outbox.KYCStatusChanged, "pe", map[string]string{"userId": "u", "kycStatus": "APPROVED"}, time.Now())
			if err := s.PutOutboxEvent(ctx, changed, domain.Budget{}); err != nil {
				t.Fatal(err)
			}
			for _, ev := range []domain.OutboxEvent{created, changed} {
				if err := d.Deliver(ctx, ev.Key()); err != nil {
					t.Fatal(err)
				}
			}
			// user.created to the first endpoint only (it failed: its circuit
			// opened); kyc.status_changed to both, the first's attempt not
			// sent (its circuit is open), the other's delivered; nothing to
			// the disabled one.
			if n := first.perEvent(); n[created.ID] != 1 || n[changed.ID] != 0 {
				t.Fatalf("the first endpoint got %v", n)
			}
			if n := kyc.perEvent(); n[created.ID] != 0 || n[changed.ID] != 1 {
				t.Fatalf("the kyc.status_changed endpoint got %v", n)
			}
			if hs, _ := disabled.requests(); len(hs) != 0 {
				t.Fatalf("the disabled endpoint got %d deliveries", len(hs))
			}
			// Signed with the endpoint's own secret, not the other's.
			hs, bodies := kyc.requests()
			wb, _ := standardwebhooks.NewWebhook(secretB)
			wa, _ := standardwebhooks.NewWebhook(secretA)
			if err := wb.Verify(bodies[0], hs[0]); err != nil {
				t.Fatalf("its own secret: %v", err)
			}
			if err := wa.Verify(bodies[0], hs[0]); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
				t.Fatalf("the first endpoint's secret verifies the other's delivery: %v", err)
			}
			st, err := s.OutboxStatus(ctx, changed.Key())
			if err != nil {
				t.Fatal(err)
			}
			one, other := st.Delivery(partners.DefaultEndpointID), st.Delivery(endpointKYC)
			if st.Status != domain.OutboxPending || len(st.Deliveries) != 2 || one.Status != domain.OutboxPending || one.Attempts != 1 ||
				one.LastResponseStatus != 0 || other.Status != domain.OutboxDelivered || other.LastResponseStatus != 204 || st.Attempts != 2 {
				t.Fatalf("deliveries of kyc.status_changed: %+v", st)
			}
			msgs := q.Retries()
			if len(msgs) != 2 || msgs[0].EndpointID != partners.DefaultEndpointID || msgs[1].EndpointID != partners.DefaultEndpointID || msgs[0].Attempt != 2 {
				t.Fatalf("retries %+v, want the first endpoint's second attempts", msgs)
			}
			// The first endpoint's retries end (its circuit stays open): each
			// event fails there, dead-lettered with the endpoint; the other
			// delivery stays delivered and is not sent again.
			drain(t, d, q)
			dead := q.Dead()
			if len(dead) != 2 || dead[0].EndpointID != partners.DefaultEndpointID || dead[1].EndpointID != partners.DefaultEndpointID {
				t.Fatalf("dead letters %+v", dead)
			}
			st, _ = s.OutboxStatus(ctx, changed.Key())
			if one, other := st.Delivery(partners.DefaultEndpointID), st.Delivery(endpointKYC); st.Status != domain.OutboxFailed ||
				one.Status != domain.OutboxFailed || !one.DeadLettered || one.Attempts != 3 || other.Status != domain.OutboxDelivered || other.Attempts != 1 {
				t.Fatalf("after the retries: %+v", st)
			}
			if n := kyc.perEvent(); n[changed.ID] != 1 {
				t.Fatalf("the delivered endpoint got the event %d times", n[changed.ID])
			}
			// A redelivery naming an endpoint goes there only (one not
			// subscribed to the type, when named); one naming none, to
			// every endpoint that takes the type.
			named := queue.Retry{EventID: created.ID, UserID: created.UserID, PartnerID: "pe", EndpointID: endpointKYC, NotBefore: time.Now()}
			if err := d.Retry(ctx, named); err != nil {
				t.Fatal(err)
			}
			breaker.Record("pe/"+partners.DefaultEndpointID, true) // the first endpoint is back
			first.mu.Lock()
			first.statuses = []int{200}
			first.mu.Unlock()
			all := queue.Retry{EventID: changed.ID, PartnerID: "pe", EndpointID: queue.AllEndpoints, NotBefore: time.Now()}
			if err := d.Retry(ctx, all); err != nil {
				t.Fatal(err)
			}
			if n := kyc.perEvent(); n[created.ID] != 1 || n[changed.ID] != 2 {
				t.Fatalf("after the redeliveries the kyc endpoint got %v", n)
			}
			if n := first.perEvent(); n[created.ID] != 1 || n[changed.ID] != 1 {
				t.Fatalf("after the redeliveries the first endpoint got %v", n)
			}
			st, _ = s.OutboxStatus(ctx, created.Key())
			if d := st.Delivery(endpointKYC); d.Status != domain.OutboxDelivered || d.Attempts != 1 || st.Status != domain.OutboxFailed {
				t.Fatalf("user.created after its redelivery to the kyc endpoint: %+v", st)
			}
			st, _ = s.OutboxStatus(ctx, changed.Key())
			if st.Status != domain.OutboxDelivered || st.Delivery(partners.DefaultEndpointID).Attempts != 4 || st.Delivery(endpointKYC).Attempts != 2 {
				t.Fatalf("kyc.status_changed after its redelivery to all: %+v", st)
			}
		})
	}
}

// TestAnEventNoEndpointTakesSettles: a partner with endpoints none of
// which is subscribed to the type: skipped, nothing sent; without any
// endpoint: failed, nothing sent, no dead letter (the partner may
// redeliver once it has one).
func TestAnEventNoEndpointTakesSettles(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			kyc := newReceiver(t, 204)
			doc, _ := json.Marshal(map[string]any{"partners": []map[string]any{
				{"id": "pe", "flow": "API", "webhookEndpoints": []map[string]any{{"id": endpointKYC, "url": kyc.srv.URL, "enabledEvents": []string{outbox.KYCStatusChanged}}}},
				{"id": "pn", "flow": "API"},
			}})
			r, err := partners.Parse(doc)
			if err != nil {
				t.Fatal(err)
			}
			q := &queuetest.Queue{}
			d := delivery.New(delivery.Deps{Store: s, Partners: r.Lookup(), Secrets: secrets, Now: time.Now, Retries: q, DeadLetters: q,
				Sender: delivery.NewSender(time.Second, true)})
			skipped, unrouted := write(t, s, "pe", "u-skip-"+name), write(t, s, "pn", "u-none-"+name)
			for _, ev := range []domain.OutboxEvent{skipped, unrouted} {
				if err := d.Deliver(ctx, ev.Key()); err != nil {
					t.Fatal(err)
				}
			}
			for _, c := range []struct {
				ev   domain.OutboxEvent
				want string
			}{{skipped, domain.OutboxSkipped}, {unrouted, domain.OutboxFailed}} {
				ev, want := c.ev, c.want
				st, err := s.OutboxStatus(ctx, ev.Key())
				if err != nil || st.Status != want || len(st.Deliveries) != 0 || st.Event.Scrubbed != nil || string(st.Event.Payload) == string(ev.Payload) {
					t.Fatalf("%s: %+v %v, want %s with its personal data gone", ev.PartnerID, st, err, want)
				}
			}
			if hs, _ := kyc.requests(); len(hs) != 0 || len(q.Retries()) != 0 || len(q.Dead()) != 0 {
				t.Fatalf("sent %d, queued %d, dead-lettered %d", len(hs), len(q.Retries()), len(q.Dead()))
			}
		})
	}
}
