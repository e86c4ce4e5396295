package partnerv2_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/outbox"
	"github.com/partner-identity/api/shared/kit/wire"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
	"github.com/partner-identity/api/shared/testkit/moto"
	"github.com/partner-identity/api/shared/testkit/queuetest"
	"github.com/partner-identity/api/shared/webhooks/events"
	"github.com/partner-identity/api/shared/webhooks/queue"
)

const eventsPath = "/api/partner/v2/webhooks/events"

// eventsWorld is acme's and beta's events, written at known times:
// acme's newest first in acme, beta's in beta.
type eventsWorld struct {
	e           *fixture.Env
	queue       *queuetest.Queue
	acme, beta  []domain.OutboxEvent
	delivered   domain.OutboxEvent // acme's, answered 200 at attemptAt
	failed      domain.OutboxEvent // acme's, failed without an answer
	userCreated domain.OutboxEvent // acme's, kept with its user
	attemptAt   time.Time
}

func newEventsWorld(t *testing.T) *eventsWorld {
	t.Helper()
	w := &eventsWorld{queue: &queuetest.Queue{}}
	w.e = fixture.NewEnv(t, fixture.Options{WebhookRetries: w.queue})
	ctx := context.Background()
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	types := []string{outbox.UserDeleted, outbox.KYCSessionExpired, outbox.WebhookTest, outbox.UserDeleted, outbox.FederatedIdentitySet}
	for i, typ := range types {
		ev := outbox.Must(typ, "p_acme", map[string]string{"userId": "u"}, t0.Add(time.Duration(i)*time.Minute))
		if err := w.e.Mem.PutOutboxEvent(ctx, ev, domain.Budget{}); err != nil {
			t.Fatal(err)
		}
		w.acme = append([]domain.OutboxEvent{ev}, w.acme...)
	}
	w.userCreated = outbox.MustPersonal(outbox.UserCreated, "p_acme", "2f1c6b52-8d8e-4a55-9d53-3c8d2b0f4a11",
		map[string]string{"userId": "2f1c6b52-8d8e-4a55-9d53-3c8d2b0f4a11", "externalUserId": "ext-events-1"}, t0.Add(10*time.Minute))
	if err := w.e.Mem.PutOutboxEvent(ctx, w.userCreated, domain.Budget{}); err != nil {
		t.Fatal(err)
	}
	w.acme = append([]domain.OutboxEvent{w.userCreated}, w.acme...)
	for i := range 2 {
		ev := outbox.Must(outbox.UserDeleted, "p_beta", map[string]string{"userId": "b"}, t0.Add(time.Duration(i)*time.Minute+time.Second))
		if err := w.e.Mem.PutOutboxEvent(ctx, ev, domain.Budget{}); err != nil {
			t.Fatal(err)
		}
		w.beta = append([]domain.OutboxEvent{ev}, w.beta...)
	}
	w.attemptAt = t0.Add(time.Hour)
	w.delivered, w.failed = w.acme[2], w.acme[4]
	record := func(ev domain.OutboxEvent, status int, to string) {
		if err := fixture.RecordDelivery(ctx, w.e.Mem, ev.Key(), domain.Delivery{EndpointID: "we_default", Attempts: 1, Scheduled: 1,
			LastAttemptAt: w.attemptAt, LastResponseStatus: status, Status: to}, false); err != nil {
			t.Fatal(err)
		}
	}
	record(w.delivered, 200, domain.OutboxDelivered)
	record(w.failed, 0, domain.OutboxFailed)
	return w
}

func ids(evs []domain.OutboxEvent) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.ID
	}
	return out
}

// eventsPage is the listing's data as the wire carries it (the exchange
// itself is checked against docs/openapi.yaml).
type eventsPage struct {
	Events []struct {
		ID, Type, CreatedAt, Status string
		Attempts                    int
		LastAttemptAt               *string
		LastResponseStatus          *int
	}
	NextCursor *string
}

func listEvents(t *testing.T, w *eventsWorld, key, query string) eventsPage {
	t.Helper()
	r := w.e.Client.Do(http.MethodGet, eventsPath+query, headers(key), "")
	if r.Status != 200 {
		t.Fatalf("list %s: %d %s", query, r.Status, r.Body)
	}
	var body struct {
		Data eventsPage `json:"data"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	return body.Data
}

func pageIDs(p eventsPage) []string {
	out := []string{}
	for _, ev := range p.Events {
		out = append(out, ev.ID)
	}
	return out
}

func TestListWebhookEventsNewestFirstWithTheirState(t *testing.T) {
	w := newEventsWorld(t)
	page := listEvents(t, w, keyAcme, "")
	if got := pageIDs(page); !slices.Equal(got, ids(w.acme)) || page.NextCursor != nil {
		t.Fatalf("acme's events %v (next %v), want %v", got, page.NextCursor, ids(w.acme))
	}
	for i, ev := range page.Events {
		want := w.acme[i]
		if ev.Type != want.Type || ev.CreatedAt != wire.Time(want.CreatedAt) {
			t.Fatalf("event %d: %+v, want %s at %s", i, ev, want.Type, wire.Time(want.CreatedAt))
		}
		switch ev.ID {
		case w.delivered.ID:
			if ev.Status != "delivered" || ev.Attempts != 1 || ev.LastResponseStatus == nil || *ev.LastResponseStatus != 200 ||
				ev.LastAttemptAt == nil || *ev.LastAttemptAt != wire.Time(w.attemptAt) {
				t.Fatalf("delivered event listed %+v", ev)
			}
		case w.failed.ID:
			if ev.Status != "failed" || ev.Attempts != 1 || ev.LastResponseStatus != nil || ev.LastAttemptAt == nil {
				t.Fatalf("failed event (no answer) listed %+v", ev)
			}
		default:
			if ev.Status != "pending" || ev.Attempts != 0 || ev.LastResponseStatus != nil || ev.LastAttemptAt != nil {
				t.Fatalf("pending event listed %+v", ev)
			}
		}
	}
	if got := pageIDs(listEvents(t, w, keyBeta, "")); !slices.Equal(got, ids(w.beta)) {
		t.Fatalf("beta (WIDGET flow) lists %v, want only its own %v", got, ids(w.beta))
	}
}

func TestListWebhookEventsFiltersAndPages(t *testing.T) {
	w := newEventsWorld(t)
	of := func(keep func(domain.OutboxEvent) bool) []string {
		var out []string
		for _, ev := range w.acme {
			if keep(ev) {
				out = append(out, ev.ID)
			}
		}
		return out
	}
	pending := of(func(ev domain.OutboxEvent) bool { return ev.ID != w.delivered.ID && ev.ID != w.failed.ID })
	cases := []struct {
		name, query string
		want        []string
	}{
		{"type", "type=user.deleted", of(func(ev domain.OutboxEvent) bool { return ev.Type == outbox.UserDeleted })},
		{"type kept with a user", "type=user.created", []string{w.userCreated.ID}},
		{"status delivered", "status=delivered", []string{w.delivered.ID}},
		{"status failed", "status=failed", []string{w.failed.ID}},
		{"status pending", "status=pending", pending},
		{"both", "type=" + w.delivered.Type + "&status=delivered", []string{w.delivered.ID}},
		{"nothing matches", "type=kyc.status_changed", []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.want) == 0 {
				tc.want = []string{}
			}
			if got := pageIDs(listEvents(t, w, keyAcme, "?"+tc.query)); !slices.Equal(got, tc.want) {
				t.Fatalf("%v, want %v", got, tc.want)
			}
			for _, limit := range []string{"1", "2", "4"} {
				var all []string
				cursor := ""
				for n := 0; ; n++ {
					if n > len(w.acme)+1 {
						t.Fatal("the cursor does not end")
					}
					q := "?" + tc.query + "&limit=" + limit + cursor
					p := listEvents(t, w, keyAcme, q)
					if len(p.Events) > int(limit[0]-'0') {
						t.Fatalf("%s: %d events", q, len(p.Events))
					}
					all = append(all, pageIDs(p)...)
					if p.NextCursor == nil {
						break
					}
					cursor = "&cursor=" + *p.NextCursor
				}
				if !slices.Equal(append([]string{}, all...), tc.want) {
					t.Fatalf("limit %s: pages hold %v, want %v", limit, all, tc.want)
				}
			}
		})
	}
}

func TestListWebhookEventsRefusesBadQueries(t *testing.T) {
	w := newEventsWorld(t)
	valid := listEvents(t, w, keyAcme, "?limit=1").NextCursor
	forged := base64.RawURLEncoding.EncodeToString([]byte("evt_nothex"))
	cases := []struct{ name, query, field string }{
		{"unknown type", "?type=user.updated", "type"},
		{"unknown status", "?status=done", "status"},
		{"limit 0", "?limit=0", "limit"},
		{"limit 101", "?limit=101", "limit"},
		{"limit not a number", "?limit=ten", "limit"},
		{"limit with a leading zero", "?limit=05", "limit"},
		{"limit negative", "?limit=-1", "limit"},
		{"cursor not base64url", "?cursor=a+b/c", "cursor"},
		{"cursor not an event position", "?cursor=" + forged, "cursor"},
		{"cursor with a bad user id", "?cursor=" + base64.RawURLEncoding.EncodeToString([]byte(w.acme[0].ID+".USER#x")), "cursor"},
		{"type twice", "?type=user.created&type=user.deleted", "type"},
		{"cursor twice", "?cursor=" + *valid + "&cursor=" + *valid, "cursor"},
		{"unknown parameter", "?userId=x", "userId"},
		{"a ; separator", "?type=user.created;status=failed", "query"},
		{"a bad %-escape", "?type=%zz", "query"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := w.e.Client.Do(http.MethodGet, eventsPath+tc.query, headers(keyAcme), "")
			code, msg, details := errorOf(t, r)
			if r.Status != 400 || code != "INVALID_USER_INPUT_ERROR" || msg != "Invalid User Input" {
				t.Fatalf("%d %s %q: %s", r.Status, code, msg, r.Body)
			}
			if len(details) != 1 || details[0].(map[string]any)["field"] != tc.field {
				t.Fatalf("details %v, want one for %s", details, tc.field)
			}
		})
	}
	r := w.e.Client.Do(http.MethodGet, eventsPath+"?type=nope&status=nope&limit=0&x=1", headers(keyAcme), "")
	if _, _, details := errorOf(t, r); len(details) != 4 {
		t.Fatalf("one detail per bad parameter: %v", details)
	}
}

func TestWebhookEventsRoutesAuthenticate(t *testing.T) {
	w := newEventsWorld(t)
	routes := []struct{ method, path string }{
		{http.MethodGet, eventsPath},
		{http.MethodPost, eventsPath + "/" + w.acme[0].ID + "/redeliver"},
		{http.MethodPost, "/api/partner/v2/webhooks/test"},
	}
	cases := []struct {
		name, key     string
		status        int
		code, message string
	}{
		{"key missing", "", 401, "UNAUTHORIZED", "API Key is missing"},
		{"key format", "short", 401, "UNAUTHORIZED", "Invalid API Key format"},
		{"key unknown", keyUnknown, 401, "UNAUTHORIZED", "Invalid API Key"},
		{"suspended partner", keyGamma, 403, "INVALID_PARTNER_FLOW", "The partner has an invalid flow."},
	}
	for _, rt := range routes {
		for _, tc := range cases {
			t.Run(rt.method+" "+rt.path+": "+tc.name, func(t *testing.T) {
				r := w.e.Client.Do(rt.method, rt.path, headers(tc.key), "")
				if code, msg, _ := errorOf(t, r); r.Status != tc.status || code != tc.code || msg != tc.message {
					t.Fatalf("%d %s %q", r.Status, code, msg)
				}
			})
		}
	}
	if len(w.queue.Retries()) != 0 || len(listEvents(t, w, keyAcme, "").Events) != len(w.acme) {
		t.Fatal("a refused request queued or wrote an event")
	}
}

func TestRedeliverWebhookEvent(t *testing.T) {
	w := newEventsWorld(t)
	redeliver := func(key, id string) (int, map[string]any) {
		r := w.e.Client.Do(http.MethodPost, eventsPath+"/"+id+"/redeliver", headers(key), "")
		return r.Status, r.JSON()
	}
	before := listEvents(t, w, keyAcme, "")

	status, body := redeliver(keyAcme, w.delivered.ID)
	data, _ := body["data"].(map[string]any)
	if status != 202 || data["id"] != w.delivered.ID || data["status"] != "delivered" || data["attempts"] != 1.0 {
		t.Fatalf("redeliver a delivered event: %d %v", status, body)
	}
	status, _ = redeliver(keyAcme, w.userCreated.ID)
	if status != 202 {
		t.Fatalf("redeliver an event kept with its user: %d", status)
	}
	want := []queue.Retry{
		{EventID: w.delivered.ID, PartnerID: "p_acme", EndpointID: queue.AllEndpoints, Attempt: 0},
		{EventID: w.userCreated.ID, UserID: w.userCreated.UserID, PartnerID: "p_acme", EndpointID: queue.AllEndpoints, Attempt: 0},
	}
	got := w.queue.Retries()
	if len(got) != len(want) {
		t.Fatalf("queued %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].NotBefore.IsZero() || w.queue.Delays()[i] != 0 {
			t.Fatalf("message %d due at %v after %v, want now", i, got[i].NotBefore, w.queue.Delays()[i])
		}
		got[i].NotBefore = time.Time{}
		if got[i] != want[i] {
			t.Fatalf("message %d: %+v, want %+v (attempt 0: a redelivery)", i, got[i], want[i])
		}
	}

	refused := []struct {
		name, key, id string
		status        int
		code, message string
	}{
		{"another partner's event", keyAcme, w.beta[0].ID, 404, "NOT_FOUND_ERROR", "Requested Event was not found"},
		{"acme's event asked by beta", keyBeta, w.acme[0].ID, 404, "NOT_FOUND_ERROR", "Requested Event was not found"},
		{"no such event", keyAcme, outbox.NewID(time.Now()), 404, "NOT_FOUND_ERROR", "Requested Event was not found"},
		{"not an event id", keyAcme, "USER%23x", 404, "NOT_FOUND_ERROR", "Requested Event was not found"},
		{"an event id in upper case", keyAcme, strings.ToUpper(w.acme[0].ID), 404, "NOT_FOUND_ERROR", "Requested Event was not found"},
		{"a partner without a webhook URL", keyBeta, w.beta[0].ID, 409, "WEBHOOK_NOT_CONFIGURED", "No webhook URL is configured for the partner"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			r := w.e.Client.Do(http.MethodPost, eventsPath+"/"+tc.id+"/redeliver", headers(tc.key), "")
			if code, msg, _ := errorOf(t, r); r.Status != tc.status || code != tc.code || msg != tc.message {
				t.Fatalf("%d %s %q", r.Status, code, msg)
			}
		})
	}
	if n := len(w.queue.Retries()); n != len(want) {
		t.Fatalf("%d messages queued, want %d: a refused redelivery queued one", n, len(want))
	}
	after := listEvents(t, w, keyAcme, "")
	if b, a := mustJSON(t, before), mustJSON(t, after); b != a {
		t.Fatalf("queueing a redelivery changed the events:\n%s\n%s", b, a)
	}
}

func TestRedeliverFailsWith500WhenTheQueueFails(t *testing.T) {
	w := newEventsWorld(t)
	w.queue.Fail(errors.New("sqs: connection reset while sending ext-events-1"))
	r := w.e.Client.Do(http.MethodPost, eventsPath+"/"+w.acme[0].ID+"/redeliver", headers(keyAcme), "")
	if code, msg, _ := errorOf(t, r); r.Status != 500 || code != "INTERNAL_SERVER_ERROR" || msg != "Internal server error" || strings.Contains(string(r.Body), "sqs") {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	e := fixture.NewEnv(t, fixture.Options{}) // a container without a retry queue
	ev := outbox.Must(outbox.WebhookTest, "p_acme", map[string]string{"message": "m"}, time.Now())
	if err := e.Mem.PutOutboxEvent(context.Background(), ev, domain.Budget{}); err != nil {
		t.Fatal(err)
	}
	if r := e.Client.Do(http.MethodPost, eventsPath+"/"+ev.ID+"/redeliver", headers(keyAcme), ""); r.Status != 500 {
		t.Fatalf("without a queue: %d %s", r.Status, r.Body)
	}
}

func TestSendTestWebhook(t *testing.T) {
	w := newEventsWorld(t)
	r := w.e.Client.Do(http.MethodPost, "/api/partner/v2/webhooks/test", headers(keyAcme), "")
	data, _ := r.JSON()["data"].(map[string]any)
	id, _ := data["id"].(string)
	if r.Status != 202 || !outbox.ValidID(id) || data["type"] != "webhook.test" || data["status"] != "pending" || data["attempts"] != 0.0 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	st, err := w.e.Mem.OutboxStatus(context.Background(), domain.EventKey{ID: id})
	if err != nil || st.Event.PartnerID != "p_acme" || st.Event.Type != outbox.WebhookTest || st.Event.UserID != "" {
		t.Fatalf("stored %+v (%v)", st, err)
	}
	var payload struct {
		ID   string            `json:"id"`
		Type string            `json:"type"`
		Data map[string]string `json:"data"`
	}
	if err := json.Unmarshal(st.Event.Payload, &payload); err != nil || payload.ID != id || payload.Type != "webhook.test" || payload.Data["message"] == "" {
		t.Fatalf("payload %s (%v)", st.Event.Payload, err)
	}
	if first := listEvents(t, w, keyAcme, "?limit=1").Events; len(first) != 1 || first[0].ID != id {
		t.Fatalf("the test event is not listed first: %+v", first)
	}

	r = w.e.Client.Do(http.MethodPost, "/api/partner/v2/webhooks/test", headers(keyBeta), "")
	if code, _, _ := errorOf(t, r); r.Status != 409 || code != "WEBHOOK_NOT_CONFIGURED" {
		t.Fatalf("beta (no webhook URL): %d %s", r.Status, r.Body)
	}
	if got := pageIDs(listEvents(t, w, keyBeta, "")); !slices.Equal(got, ids(w.beta)) {
		t.Fatalf("a refused test event was written: %v", got)
	}
}

func TestWebhookEventsRoutesFailWith500OnStoreFault(t *testing.T) {
	c := fixture.Client(t, &fixture.FailingStore{}, fixture.Options{WebhookRetries: &queuetest.Queue{}})
	for _, rt := range []struct{ method, path string }{
		{http.MethodGet, eventsPath},
		{http.MethodPost, eventsPath + "/" + outbox.NewID(time.Now()) + "/redeliver"},
		{http.MethodPost, "/api/partner/v2/webhooks/test"},
	} {
		r := c.Do(rt.method, rt.path, headers(keyAcme), "")
		if code, msg, _ := errorOf(t, r); r.Status != 500 || code != "INTERNAL_SERVER_ERROR" || msg != "Internal server error" {
			t.Fatalf("%s %s: %d %s %q", rt.method, rt.path, r.Status, code, msg)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestWebhookBudgetsHoldAcrossContainers: test events and redeliveries are
// counted per partner per hour in the store, so two containers share one
// budget: the 11th test event of the hour, from either, is 429
// TOO_MANY_REQUESTS with Retry-After (the seconds to the next hour) and
// writes nothing; another partner's budget is its own; the next hour is a
// new window. A redelivery of an event whose redelivery is queued is the
// one queued (202, no second message, not counted); once made, it may be
// queued again; the 101st of the hour is 429. A redelivery whose message
// could not be queued is neither marked nor counted. On both stores.
func TestWebhookBudgetsHoldAcrossContainers(t *testing.T) {
	for name, s := range map[string]domain.Store{"memory": memstore.New(), "dynamodb": motoStore(t)} {
		t.Run(name, func(t *testing.T) {
			clk := testkit.NewClock(time.Date(2026, 11, 24, 9, 45, 0, 0, time.UTC))
			q := &queuetest.Queue{}
			a := fixture.Client(t, s, fixture.Options{Now: clk.Now, WebhookRetries: q})
			b := fixture.Client(t, s, fixture.Options{Now: clk.Now, WebhookRetries: q})
			test := func(c *apitest.Client) *apitest.Response {
				return c.Do(http.MethodPost, "/api/partner/v2/webhooks/test", headers(keyAcme), "")
			}
			for i := range events.TestEventsPerHour {
				c := a
				if i%2 == 1 {
					c = b
				}
				if r := test(c); r.Status != 202 {
					t.Fatalf("test event %d: %d %s", i+1, r.Status, r.Body)
				}
			}
			before, _ := s.ListOutboxEvents(context.Background(), "p_acme", domain.OutboxQuery{Limit: 100})
			for _, c := range []*apitest.Client{a, b} {
				r := test(c)
				code, msg, _ := errorOf(t, r)
				if r.Status != 429 || code != "TOO_MANY_REQUESTS" || msg != "Too many test events: at most 10 an hour" || r.Header.Get("Retry-After") != "900" {
					t.Fatalf("past the budget: %d %s (Retry-After %q)", r.Status, r.Body, r.Header.Get("Retry-After"))
				}
			}
			if after, _ := s.ListOutboxEvents(context.Background(), "p_acme", domain.OutboxQuery{Limit: 100}); len(after.Events) != len(before.Events) {
				t.Fatalf("a refused test event was written: %d events, were %d", len(after.Events), len(before.Events))
			}

			// Redeliveries: one queued is the one queued.
			ev := before.Events[0].Event
			redeliver := func(c *apitest.Client, id string) *apitest.Response {
				return c.Do(http.MethodPost, eventsPath+"/"+id+"/redeliver", headers(keyAcme), "")
			}
			for _, c := range []*apitest.Client{a, b, a} {
				if r := redeliver(c, ev.ID); r.Status != 202 {
					t.Fatalf("redeliver: %d %s", r.Status, r.Body)
				}
			}
			if got := q.Take(); len(got) != 1 {
				t.Fatalf("%d redeliveries queued for three asks while one was queued, want 1", len(got))
			}
			// Made (the retry function records it): it may be queued again.
			if err := fixture.RecordDelivery(context.Background(), s, ev.Key(), domain.Delivery{EndpointID: "we_default", Attempts: 1,
				LastAttemptAt: clk.Now(), Status: domain.OutboxDelivered}, true); err != nil {
				t.Fatal(err)
			}
			if r := redeliver(b, ev.ID); r.Status != 202 || len(q.Take()) != 1 {
				t.Fatalf("after it was made: %d", r.Status)
			}
			// A queue that fails: 500, and the event neither marked nor counted.
			q.Fail(errors.New("sqs down"))
			if r := redeliver(a, before.Events[1].Event.ID); r.Status != 500 {
				t.Fatalf("queue down: %d", r.Status)
			}
			q.Fail(nil)
			if r := redeliver(a, before.Events[1].Event.ID); r.Status != 202 || len(q.Take()) != 1 {
				t.Fatalf("after the queue came back: %d", r.Status)
			}
			// The rest of the hour's 100 (3 spent), each event once.
			spent := 3
			for i := 0; spent < events.RedeliveriesPerHour; i++ {
				e := outbox.Must(outbox.WebhookTest, "p_acme", map[string]string{"message": "m"}, clk.Now().Add(time.Duration(i)*time.Millisecond))
				if err := s.PutOutboxEvent(context.Background(), e, domain.Budget{}); err != nil {
					t.Fatal(err)
				}
				if r := redeliver(a, e.ID); r.Status != 202 {
					t.Fatalf("redelivery %d: %d %s", spent+1, r.Status, r.Body)
				}
				spent++
			}
			e := outbox.Must(outbox.WebhookTest, "p_acme", map[string]string{"message": "m"}, clk.Now().Add(time.Second))
			if err := s.PutOutboxEvent(context.Background(), e, domain.Budget{}); err != nil {
				t.Fatal(err)
			}
			r := redeliver(b, e.ID)
			if code, msg, _ := errorOf(t, r); r.Status != 429 || code != "TOO_MANY_REQUESTS" || msg != "Too many redeliveries: at most 100 an hour" {
				t.Fatalf("the 101st redelivery: %d %s", r.Status, r.Body)
			}
			if got := len(q.Take()); got != events.RedeliveriesPerHour-3 {
				t.Fatalf("%d messages queued, want %d", got, events.RedeliveriesPerHour-3)
			}
			// The next hour: a new window.
			clk.Add(15 * time.Minute)
			if r := test(a); r.Status != 202 {
				t.Fatalf("the next hour: %d", r.Status)
			}
			if r := redeliver(a, e.ID); r.Status != 202 {
				t.Fatalf("the next hour's redelivery: %d", r.Status)
			}
		})
	}
}

// motoStore is a fresh DynamoDB table on moto.
func motoStore(t *testing.T) domain.Store {
	db, table := moto.Require(t).NewTable(t, nil, nil)
	return dynamostore.New(db, table)
}
