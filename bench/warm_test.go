package bench_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/partner-identity/api/bench/baseline"
	"github.com/partner-identity/api/shared/devdata"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/outbox"
	"github.com/partner-identity/api/shared/domain/users"
	"github.com/partner-identity/api/shared/http/federatedids"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/http/kyccallbacks"
	"github.com/partner-identity/api/shared/http/oauth"
	"github.com/partner-identity/api/shared/http/partnerv2"
	"github.com/partner-identity/api/shared/http/surface"
	"github.com/partner-identity/api/shared/http/userv2"
	"github.com/partner-identity/api/shared/http/wellknown"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/lambda/cleanup"
	"github.com/partner-identity/api/shared/lambda/dispatch"
	"github.com/partner-identity/api/shared/lambda/lambdarun"
	"github.com/partner-identity/api/shared/webhooks/queue"
)

// devExternalID is the development user's externalUserId, which the
// create-user event carries (devdata seeds the user the events name).
const devExternalID = devdata.ExternalUserID

func invokeLoop(h lambda.Handler, event []byte) func(b *testing.B) {
	return func(b *testing.B) {
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := h.Invoke(ctx, event); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func warmHello(event []byte) func(b *testing.B) {
	return invokeLoop(lambda.NewHandler(baseline.Hello), event)
}

func warmAdapter(event []byte) func(b *testing.B) {
	return invokeLoop(lambda.NewHandler(baseline.Adapter().ProxyWithContext), event)
}

// benchFunction is one function's warm path: its handler as its main
// builds it (functions/<name>/main.go), over a memory store holding the development user (linked,
// owning the events' identifiers), invoked with its events/ file.
type benchFunction struct {
	name string
	// want is the status the event must get (0: not an HTTP function).
	want int
	warm func(b *testing.B)
	// event is its events/ file (the cold start's event).
	event []byte
	// once invokes the event a single time and returns the response.
	once func() []byte
}

// container builds one function's dependencies as a local runner does
// (memory store, development registry and keys) and seeds the
// development user.
func container(t testing.TB) *app.Deps { return containerOf(t, app.Config{}, devdata.Local{}) }

// containerOf is container with cfg and l (always the memory store).
func containerOf(t testing.TB, cfg app.Config, l devdata.Local) *app.Deps {
	ctx := context.Background()
	l.Memory = true
	d, err := devdata.Build(ctx, cfg, l)
	if err != nil {
		t.Fatal(err)
	}
	if err := devdata.SeedUser(ctx, d); err != nil {
		t.Fatal(err)
	}
	return d
}

func httpFunction(t testing.TB, name string, want int, prepare func(event []byte, i int)) benchFunction {
	h := lambda.NewHandler(lambdarun.HTTP(httpx.Mux(endpoint(t, container(t), name))))
	return benchFunctionOf(t, name, want, h, mustRead(t, "events/"+name+".json"), prepare, nil)
}

// endpoint is route name bound to its surface over d, as its function
// builds it (redeliveries to d's queue).
func endpoint(t testing.TB, d *app.Deps, name string) httpx.Endpoint {
	var retries queue.Queue
	if d.Queues != nil {
		retries = d.Queues.Retries
	}
	for _, e := range devdata.Endpoints(d, retries) {
		if e.Name == name {
			return e
		}
	}
	t.Fatalf("no route %s", name)
	return httpx.Endpoint{}
}

// newExternalID writes a fresh externalUserId into the create-user event in
// place (the last 12 digits of the id), so that each call creates a user.
func newExternalID(event []byte, i int) {
	at := bytes.Index(event, []byte(devExternalID[:24]))
	if at < 0 {
		panic("create-user event without the development externalUserId")
	}
	const hex = "0123456789abcdef"
	for j := at + 35; j >= at+24; j-- {
		event[j] = hex[i&0xf]
		i >>= 4
	}
}

// benchFunctions is every function with its warm path; the federated
// identity is set before each DELETE (outside the timer) so that each
// measured DELETE removes one.
func benchFunctions(t testing.TB) []benchFunction {
	set := httpFunction(t, federatedids.SetIdentityRoute.Name, 204, nil)
	var del benchFunction
	{
		d := container(t)
		setH := lambda.NewHandler(lambdarun.HTTP(httpx.Mux(endpoint(t, d, federatedids.SetIdentityRoute.Name))))
		setEvent := mustRead(t, "events/set-federated-identity.json")
		h := lambda.NewHandler(lambdarun.HTTP(httpx.Mux(endpoint(t, d, federatedids.DeleteIdentityRoute.Name))))
		event := mustRead(t, "events/delete-federated-identity.json")
		del = benchFunctionOf(t, federatedids.DeleteIdentityRoute.Name, 204, h, event, nil, func(ctx context.Context) {
			if _, err := setH.Invoke(ctx, setEvent); err != nil {
				t.Fatal(err)
			}
		})
	}
	list := httpFunction(t, federatedids.ListIdentitiesRoute.Name, 200, nil)
	var erase benchFunction
	{
		// Each measured DELETE erases a user: before it (untimed), a new
		// user, linked and with a KYC session, takes the event's userId.
		d := container(t)
		h := lambda.NewHandler(lambdarun.HTTP(httpx.Mux(endpoint(t, d, partnerv2.DeleteUserRoute.Name))))
		event := mustRead(t, "events/delete-user.json")
		current := devdata.UserID
		erase = benchFunctionOf(t, partnerv2.DeleteUserRoute.Name, 204, h, event, nil, func(ctx context.Context) {
			if _, err := d.Store.GetUser(ctx, current); current != devdata.UserID && err == nil {
				t.Fatal("the measured DELETE erased nothing")
			}
			next := users.NewUserID(true)
			if err := seedErasable(ctx, d, next); err != nil {
				t.Fatal(err)
			}
			copy(event, bytes.ReplaceAll(event, []byte(current), []byte(next))) // the same length: in place
			current = next
		})
	}
	var sendTest, redeliver benchFunction
	{
		// The development partner with a webhook URL, which nothing calls:
		// a test event is only written (the dispatcher's stream delivers
		// it), a redelivery only queued, here on a queue that keeps nothing
		// (the warm figure is the function's own work, as with the store).
		// Its clock moves an hour at each reading: every call is in a
		// window of the partner's hourly budgets of its own (a test event,
		// a redelivery queued anew), so the warm loop measures the path
		// that writes, not the 429.
		hours := time.Now()
		var mu sync.Mutex
		tick := func() time.Time { mu.Lock(); defer mu.Unlock(); hours = hours.Add(time.Hour); return hours }
		d := containerOf(t, app.Config{Now: tick}, devdata.Local{WebhookURL: "https://hooks.example.com/identity"})
		d.Queues = &app.Queues{Retries: discardQueue{}, SlowLane: discardQueue{}}
		sendTest = benchFunctionOf(t, partnerv2.SendTestWebhookRoute.Name, 202, lambda.NewHandler(lambdarun.HTTP(httpx.Mux(endpoint(t, d, partnerv2.SendTestWebhookRoute.Name)))),
			mustRead(t, "events/send-test-webhook.json"), nil, nil)
		redeliver = benchFunctionOf(t, partnerv2.RedeliverWebhookEventRoute.Name, 202, lambda.NewHandler(lambdarun.HTTP(httpx.Mux(endpoint(t, d, partnerv2.RedeliverWebhookEventRoute.Name)))),
			mustRead(t, "events/redeliver-webhook-event.json"), nil, nil)
	}
	// The hosted provider's callback, verified at its event's time (its
	// signature is five minutes valid): its first call applies the
	// outcome, the next ones find it applied.
	var hosted benchFunction
	{
		at := time.Unix(1795428000, 0)
		d := containerOf(t, app.Config{Now: func() time.Time { return at }}, devdata.Local{})
		hosted = benchFunctionOf(t, kyccallbacks.HostedRoute.Name, 200, lambda.NewHandler(lambdarun.HTTP(httpx.Mux(endpoint(t, d, kyccallbacks.HostedRoute.Name)))),
			mustRead(t, "events/kyc-hosted-webhook.json"), nil, nil)
	}
	return []benchFunction{
		httpFunction(t, partnerv2.CreateUserRoute.Name, 201, newExternalID),
		httpFunction(t, partnerv2.GetUserRoute.Name, 200, nil),
		httpFunction(t, partnerv2.FindUserRoute.Name, 200, nil),
		httpFunction(t, partnerv2.CreateVerificationLinkRoute.Name, 201, nil),
		httpFunction(t, partnerv2.GetUserKYCRoute.Name, 200, nil),
		httpFunction(t, partnerv2.ListWebhookEventsRoute.Name, 200, nil),
		sendTest, redeliver,
		// The first call applies the result; the measured ones meet it
		// again (200, stale): a replay's path, two reads.
		httpFunction(t, kyccallbacks.SumsubRoute.Name, 200, nil),
		hosted,
		httpFunction(t, partnerv2.ListAPIKeysRoute.Name, 200, nil),
		httpFunction(t, partnerv2.GetLimitsRoute.Name, 200, nil),
		httpFunction(t, partnerv2.ListWebhookEndpointsRoute.Name, 200, nil),
		httpFunction(t, wellknown.JWKSRoute.Name, 200, nil),
		httpFunction(t, oauth.TokenRoute.Name, 200, nil),
		httpFunction(t, partnerv2.CreateUserTokenRoute.Name, 201, nil),
		httpFunction(t, userv2.LinkIdentifierRoute.Name, 200, nil),
		httpFunction(t, userv2.UserInfoRoute.Name, 200, nil),
		erase, set, del, list,
		plainFunction(t, "cleanup-kyc-sessions", "cleanup-schedule", func(d *app.Deps) lambda.Handler { return lambda.NewHandler(cleanup.Handler(cleanup.New(d))) }),
		plainFunction(t, "webhook-dispatcher", "webhook-dispatcher", func(d *app.Deps) lambda.Handler { return lambda.NewHandler(dispatch.Stream(dispatch.New(d))) }),
		plainFunction(t, "webhook-retry", "webhook-retry", func(d *app.Deps) lambda.Handler { return lambda.NewHandler(dispatch.Retries(dispatch.New(d))) }),
		benchFunctionOf(t, "unmatched-route", 405, lambda.NewHandler(lambdarun.HTTP(httpx.Unmatched(surface.All()...))),
			mustRead(t, "events/unmatched-route.json"), nil, nil),
	}
}

// discardQueue takes retry messages and keeps none.
type discardQueue struct{}

func (discardQueue) Enqueue(context.Context, queue.Retry, time.Duration) error { return nil }

// seedErasable writes a user of the development partner with id: its
// guard, a link, a KYC session and their events, as an erasure meets them.
func seedErasable(ctx context.Context, d *app.Deps, id string) error {
	now := time.Now().UTC()
	u := domain.User{ID: id, PartnerID: devdata.PartnerID, ExternalUserID: "bench-" + id, Type: "INDIVIDUAL", Method: "EMAIL",
		Identifier: "bench@example.com", KYCStatus: domain.KYCNotStarted, CreatedAt: now, UpdatedAt: now}
	g := domain.Guard{PartnerID: u.PartnerID, ExternalUserID: u.ExternalUserID, UserID: id, RequestHash: "h", Response: []byte(`{}`), CreatedAt: now}
	if _, err := d.Store.CreateUser(ctx, u, g, outbox.MustPersonal(outbox.UserCreated, u.PartnerID, id, map[string]string{"userId": id}, now)); err != nil {
		return err
	}
	if err := d.Store.LinkIdentifier(ctx, id, u.PartnerID, "hash-"+id, "", "", outbox.MustPersonal(outbox.UserIdentifierLinked, u.PartnerID, id, map[string]string{"userId": id}, now), now); err != nil {
		return err
	}
	sess := domain.KYCSession{ID: "bench-" + id, UserID: id, PartnerID: u.PartnerID, Country: "MX", TemplateID: "t", Status: domain.KYCPending,
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	_, err := d.Store.OpenKYCSession(ctx, sess, now, outbox.MustPersonal(outbox.KYCSessionCreated, u.PartnerID, id, map[string]string{"userId": id}, now))
	return err
}

// benchFunctionOf invokes h with event; prepare (timed, allocation-free)
// edits the event before call i, before (untimed) runs before each call.
func benchFunctionOf(t testing.TB, name string, want int, h lambda.Handler, event []byte,
	prepare func(event []byte, i int), before func(context.Context)) benchFunction {
	ctx := context.Background()
	i := 0
	step := func() ([]byte, error) {
		if prepare != nil {
			prepare(event, i)
		}
		i++
		return h.Invoke(ctx, event)
	}
	return benchFunction{name: name, want: want, event: bytes.Clone(event),
		once: func() []byte {
			if before != nil {
				before(ctx)
			}
			out, err := step()
			if err != nil {
				t.Fatal(err)
			}
			return out
		},
		warm: func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if before != nil {
					b.StopTimer()
					before(ctx)
					b.StartTimer()
				}
				if _, err := step(); err != nil {
					b.Fatal(err)
				}
			}
		}}
}

func plainFunction(t testing.TB, name, event string, handler func(*app.Deps) lambda.Handler) benchFunction {
	return benchFunctionOf(t, name, 0, handler(container(t)), mustRead(t, "events/"+event+".json"), nil, nil)
}

// TestWarmEvents: every function's warm event gets the success the table
// claims to measure (twice: the second call is what the loop repeats).
func TestWarmEvents(t *testing.T) {
	for _, fn := range benchFunctions(t) {
		for call := 1; call <= 2; call++ {
			out := fn.once()
			if fn.want == 0 {
				continue
			}
			if got := statusOf(t, out); got != fn.want {
				t.Errorf("%s call %d: status %d, want %d: %s", fn.name, call, got, fn.want, out)
			}
		}
	}
}
