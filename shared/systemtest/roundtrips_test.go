package systemtest_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/devdata"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/adapters/kmsseal"
	"github.com/partner-identity/api/shared/adapters/sumsub"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/outbox"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/domain/ratelimit"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/lambda/cleanup"
	"github.com/partner-identity/api/shared/lambda/dispatch"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
	"github.com/partner-identity/api/shared/testkit/moto"
	"github.com/partner-identity/api/shared/testkit/sumsubtest"
	"github.com/partner-identity/api/shared/webhooks/queue"
)

func TestMain(m *testing.M) { moto.Main(m) }

// world is a table holding the partners (imported as an operator's
// partnerctl import does) and the secrets on moto_server, split by need as
// deployed.
type world struct {
	srv               *moto.Server
	db                *dynamodb.Client
	table             string
	keysID, signingID string
	// hooksKey is the KMS key the partners' webhook secrets are sealed
	// under (the stack's WebhookSigningKey).
	hooksKey string
	// kycID is the KYC providers secret, whose Sumsub is sumsub.
	kycID  string
	sumsub *sumsubtest.Server
	// slowURL is the webhook slow lane of every container ("" for none).
	slowURL string
	// countLimiter: the containers' rate limiter draws on the table
	// through their counted (and injected) client, as in Lambda; else
	// through a client of its own on the same table, so that a test's
	// counts and faults are its operations' (the limiter's own tests and
	// the IAM test count it).
	countLimiter bool
}

func newWorld(t *testing.T, registryJSON string) *world {
	srv := moto.Require(t)
	db, table := srv.NewTable(t, nil, nil)
	sm := secretsmanager.NewFromConfig(srv.Config(nil, nil))
	suffix := time.Now().Format("150405.000000000")
	w := &world{srv: srv, db: db, table: table, keysID: "keys-" + suffix,
		signingID: "signing-" + suffix, hooksKey: srv.NewKey(t), kycID: "kyc-providers-" + suffix, sumsub: sumsubtest.New(t)}
	admin := partners.NewAdmin(dynamostore.New(db, table), nil, false).
		WithSealer(kmsseal.New(kms.NewFromConfig(srv.Config(nil, nil)), w.hooksKey))
	if _, _, err := admin.Import(context.Background(), "systemtest", []byte(registryJSON)); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.ImportWebhookSecrets(context.Background(), "systemtest", []byte(fixture.WebhookSecretsJSON)); err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]string{w.keysID: fixture.TokenVerificationJSON,
		w.signingID: fixture.TokenSigningJSON, w.kycID: fixture.KYCProvidersJSON(w.sumsub.URL)} {
		if _, err := sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// container is one function container as app.Build makes it in Lambda:
// DynamoDB and both secrets through the SDK (moto), its calls counted and,
// with an injector, faulted.
type container struct {
	deps  *app.Deps
	api   *apitest.Client
	calls *moto.Calls
	clock *testkit.Clock
	db    *dynamodb.Client
	table string
	// secretFetches are the GetSecretValue calls counted before the last reset.
	secretFetches int
}

func (w *world) container(t *testing.T, inj *moto.Injector) *container {
	return w.containerAt(t, inj, time.Now().UTC(), "", "")
}

// containerAt is a container whose clock starts at start, with the
// webhook dead-letter queue dlqURL ("" for none).
func (w *world) containerAt(t *testing.T, inj *moto.Injector, start time.Time, dlqURL, retryURL string) *container {
	calls := moto.NewCalls()
	cfg := w.srv.Config(calls, nil)
	if inj != nil {
		cfg = w.srv.ConfigInjected(calls, inj)
	}
	clk := testkit.NewClock(start)
	d, err := app.Build(context.Background(), app.Config{TableName: w.table,
		ServiceKeysSecretID: w.keysID, TokenSigningSecretID: w.signingID, WebhookKeyID: w.hooksKey,
		KYCProvidersSecretID: w.kycID, AWS: &cfg, Now: clk.Now, Local: true, WebhookAllowHTTP: true, WebhookDLQURL: dlqURL, WebhookRetryQueueURL: retryURL,
		Sandbox:             true,
		WebhookSlowQueueURL: w.slowURL})
	if err != nil {
		t.Fatal(err)
	}
	// A key's last use is recorded within the request here (in Lambda, a
	// second later in the background), so that each request's calls are
	// its own to count.
	d.Partners = partners.NewDirectoryTouchingAfter(d.Store, clk.Now, partners.TouchInline)
	if !w.countLimiter {
		d.Limiter = ratelimit.New(dynamostore.New(dynamodb.NewFromConfig(w.srv.Config(nil, nil)), w.table), clk.Now)
	}
	var retries queue.Queue
	if retryURL != "" {
		retries = dispatch.RetryQueue(d) // as functions/redeliver-webhook-event's main gives it
	}
	return &container{deps: d, api: apitest.New(t, devdata.Mux(d, retries)), calls: calls, clock: clk, db: w.db, table: w.table}
}

func newContainer(t *testing.T, registryJSON string) *container {
	return newWorld(t, registryJSON).container(t, nil)
}

// reset zeroes the call counts, keeping the secret fetches' sum.
func (c *container) reset() {
	c.secretFetches += c.calls.Get("GetSecretValue")
	c.calls.Reset()
}

// TestRoundTripsPerOperation: each operation makes the DynamoDB calls of
// its design and no more, and each secret is fetched once per container
// per cache period however many operations run.
func TestRoundTripsPerOperation(t *testing.T) {
	var delivered atomic.Int64
	var failing atomic.Bool
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		delivered.Add(1)
	}))
	defer hook.Close()
	w := newWorld(t, strings.Replace(fixture.RegistryJSON, "https://hooks.acme.example/identity", hook.URL, 1))
	retries := moto.NewQueue(t, sqs.NewFromConfig(w.srv.Config(nil, nil)), "roundtrips-retries")
	c := w.containerAt(t, nil, time.Now().UTC(), "", retries)
	w.sumsub.Now = c.clock.Now // the container signs with its clock
	key := apitest.Headers{"partner-api-key": fixture.KeyAcme}
	users := "/api/partner/v2/users"
	var userID, token, erasedID, hostedSession string
	var cursor, eventID, betaEvent string
	events := "/api/partner/v2/webhooks/events"
	// Results a second and two after the sessions opened (at the container's clock).
	sumsubResult := `{"type":"applicantReviewed","externalUserId":"%s","createdAtMs":"` + c.clock.Now().Add(time.Second).Format("2006-01-02 15:04:05.000") +
		`","reviewResult":{"reviewAnswer":"GREEN"}}`
	sumsubHeaders := func(body string) apitest.Headers {
		return apitest.Headers{"X-Payload-Digest": sumsub.Digest(fixture.SumsubWebhookSecret, []byte(body))}
	}
	hostedResult := func() (apitest.Headers, string) {
		body := `{"sessionId":"` + hostedSession + `","status":"IN_REVIEW","occurredAt":"` + c.clock.Now().Add(2*time.Second).Format(time.RFC3339Nano) + `"}`
		return fixture.HostedHeaders(body, c.clock.Now()), body
	}

	type calls map[string]int
	// A container reads each key, partner and identity provider once a
	// minute (partners.Directory) and records a key's use once a day: the
	// first request with the key reads it (GetItem) and records its use
	// (UpdateItem); the first with a token reads its partner, the first
	// PUT the provider's partner.
	steps := []struct {
		name   string
		do     func() *apitest.Response
		status int
		want   calls
	}{
		{"create user", func() *apitest.Response {
			return c.api.Do(http.MethodPost, users, key, `{"externalUserId":"rt-1","type":"INDIVIDUAL","method":"EMAIL","identifier":"rt@example.com"}`)
		}, 201, calls{"GetItem": 1, "UpdateItem": 1, "TransactWriteItems": 1}},
		{"create user again (replay)", func() *apitest.Response {
			return c.api.Do(http.MethodPost, users, key, `{"externalUserId":"rt-1","type":"INDIVIDUAL","method":"EMAIL","identifier":"rt@example.com"}`)
		}, 200, calls{"TransactWriteItems": 1}},
		{"create user conflict", func() *apitest.Response {
			return c.api.Do(http.MethodPost, users, key, `{"externalUserId":"rt-1","type":"BUSINESS"}`)
		}, 409, calls{"TransactWriteItems": 1}},
		{"get user", func() *apitest.Response { return c.api.Do(http.MethodGet, users+"/"+userID, key, "") }, 200, calls{"GetItem": 1}},
		{"find user", func() *apitest.Response { return c.api.Do(http.MethodGet, users+"?externalUserId=rt-1", key, "") }, 200, calls{"GetItem": 2}},
		{"open KYC session", func() *apitest.Response {
			return c.api.Do(http.MethodPost, users+"/"+userID+"/kyc/verification-link", key, `{"country":"MX","partnerRedirectUri":"https://acme.example/done"}`)
		}, 201, calls{"TransactWriteItems": 1}},
		{"mint user token", func() *apitest.Response { return c.api.Do(http.MethodPost, users+"/"+userID+"/token", key, "") }, 201, calls{"GetItem": 1}},
		{"link identifier", func() *apitest.Response {
			return c.api.Do(http.MethodPost, "/api/v2/user/link-identifier", apitest.Headers{"User-Authorization": "Bearer " + token}, `{"identifier":"rtidentifier00000000000000000000000000001"}`)
		}, 200, calls{"GetItem": 2, "TransactWriteItems": 1}},
		{"link the same identifier again", func() *apitest.Response {
			return c.api.Do(http.MethodPost, "/api/v2/user/link-identifier", apitest.Headers{"User-Authorization": "Bearer " + token}, `{"identifier":"rtidentifier00000000000000000000000000001"}`)
		}, 200, calls{"GetItem": 1}},
		{"user info by token", func() *apitest.Response {
			return c.api.Do(http.MethodGet, "/api/v2/user/info", apitest.Headers{"User-Authorization": "Bearer " + token}, "")
		}, 200, calls{"GetItem": 1}},
		{"user info by key and identifier", func() *apitest.Response {
			return c.api.Do(http.MethodGet, "/api/v2/user/info", apitest.Headers{"partner-api-key": fixture.KeyAcme, "User-Identifier": "rtidentifier00000000000000000000000000001"}, "")
		}, 200, calls{"GetItem": 2}},
		{"set federated identity", func() *apitest.Response {
			return c.api.Do(http.MethodPut, "/federated-identities/acme", apitest.Headers{"Authorization": "Bearer " + token}, "")
		}, 204, calls{"GetItem": 2, "TransactWriteItems": 1}},
		{"list federated identities", func() *apitest.Response {
			return c.api.Do(http.MethodGet, "/federated-identities", apitest.Headers{"Authorization": "Bearer " + token}, "")
		}, 200, calls{"GetItem": 1, "Query": 1}},
		{"delete federated identity", func() *apitest.Response {
			return c.api.Do(http.MethodDelete, "/federated-identities/acme", apitest.Headers{"Authorization": "Bearer " + token}, "")
		}, 204, calls{"GetItem": 1, "TransactWriteItems": 1}},
		{"bad input costs nothing", func() *apitest.Response {
			return c.api.Do(http.MethodPost, users, key, `{"type":"X"}`)
		}, 400, calls{}},
		{"create the user to erase", func() *apitest.Response {
			return c.api.Do(http.MethodPost, users, key, `{"externalUserId":"rt-erased","type":"INDIVIDUAL"}`)
		}, 201, calls{"TransactWriteItems": 1}},
		{"erase a user", func() *apitest.Response { return c.api.Do(http.MethodDelete, users+"/"+erasedID, key, "") },
			204, calls{"Query": 2, "TransactWriteItems": 1}},
		{"erase it again", func() *apitest.Response { return c.api.Do(http.MethodDelete, users+"/"+erasedID, key, "") },
			204, calls{"Query": 2}},
		// KYC with providers: a Sumsub link is one read of the user (the
		// request authorised before Sumsub hears of it), one provider call
		// (counted below) and one transaction; a result is two reads and one.
		{"open a Sumsub KYC session", func() *apitest.Response {
			return c.api.Do(http.MethodPost, users+"/"+userID+"/kyc/verification-link", key, `{"country":"DE"}`)
		}, 201, calls{"GetItem": 1, "TransactWriteItems": 1}},
		{"read the user's KYC", func() *apitest.Response { return c.api.Do(http.MethodGet, users+"/"+userID+"/kyc", key, "") },
			200, calls{"Query": 1, "BatchGetItem": 1}},
		{"Sumsub's result", func() *apitest.Response {
			body := fmt.Sprintf(sumsubResult, userID)
			return c.api.Do(http.MethodPost, "/kyc/providers/sumsub/webhook", sumsubHeaders(body), body)
		}, 200, calls{"GetItem": 2, "TransactWriteItems": 1}},
		{"Sumsub's result again", func() *apitest.Response {
			body := fmt.Sprintf(sumsubResult, userID)
			return c.api.Do(http.MethodPost, "/kyc/providers/sumsub/webhook", sumsubHeaders(body), body)
		}, 200, calls{"GetItem": 2}},
		{"the hosted provider's result", func() *apitest.Response {
			h, body := hostedResult()
			return c.api.Do(http.MethodPost, "/kyc/providers/hosted/webhook", h, body)
		}, 200, calls{"GetItem": 2, "TransactWriteItems": 1}},
		{"a callback with a bad signature costs nothing", func() *apitest.Response {
			body := fmt.Sprintf(sumsubResult, userID)
			return c.api.Do(http.MethodPost, "/kyc/providers/sumsub/webhook", apitest.Headers{"X-Payload-Digest": "00"}, body)
		}, 401, calls{}},
		// The partner's events API: a page of a partner with few events is
		// one Query of each of its 32 partitions of the index (at once) and
		// one BatchGetItem of the page's events; a redelivery one Query
		// and one read of the event, one transaction (its mark and the
		// partner's hourly count) and one SQS message, the same again
		// while it is queued with a transaction that writes nothing; a test event one
		// transaction (the event and the count).
		{"list events", func() *apitest.Response { return c.api.Do(http.MethodGet, events+"?limit=5", key, "") }, 200, calls{"Query": 32, "BatchGetItem": 1}},
		{"list the next page", func() *apitest.Response { return c.api.Do(http.MethodGet, events+"?limit=5&cursor="+cursor, key, "") }, 200, calls{"Query": 32, "BatchGetItem": 1}},
		{"redeliver an event", func() *apitest.Response { return c.api.Do(http.MethodPost, events+"/"+eventID+"/redeliver", key, "") },
			202, calls{"Query": 1, "BatchGetItem": 1, "TransactWriteItems": 1, "SendMessage": 1}},
		{"redeliver it again while queued", func() *apitest.Response { return c.api.Do(http.MethodPost, events+"/"+eventID+"/redeliver", key, "") },
			202, calls{"Query": 1, "BatchGetItem": 1, "TransactWriteItems": 1}},
		{"redeliver another partner's event costs one read", func() *apitest.Response {
			return c.api.Do(http.MethodPost, events+"/"+betaEvent+"/redeliver", key, "")
		}, 404, calls{"Query": 1}},
		{"redeliver a malformed id costs nothing", func() *apitest.Response {
			return c.api.Do(http.MethodPost, events+"/evt_x/redeliver", key, "")
		}, 404, calls{}},
		{"send a test event", func() *apitest.Response { return c.api.Do(http.MethodPost, "/api/partner/v2/webhooks/test", key, "") },
			202, calls{"TransactWriteItems": 1}},
		{"a bad events query costs nothing", func() *apitest.Response { return c.api.Do(http.MethodGet, events+"?limit=0", key, "") }, 400, calls{}},
	}
	for i, s := range steps {
		c.reset()
		r := s.do()
		if r.Status != s.status {
			t.Fatalf("%s: status %d, want %d: %s", s.name, r.Status, s.status, r.Body)
		}
		got := calls{}
		for op, n := range c.calls.All() {
			if op != "GetSecretValue" {
				got[op] = n
			}
		}
		// A page of events queries each of the partner's 32 partitions
		// once, and again those that hold the next event back (which
		// depends on how the ids hashed): 32 to 64.
		if strings.HasPrefix(s.name, "list events") || strings.HasPrefix(s.name, "list the next page") {
			if q := got["Query"]; q >= 32 && q <= 64 {
				got["Query"] = 32
			}
		}
		if !maps.Equal(got, s.want) {
			t.Errorf("%s: DynamoDB calls %v, want %v", s.name, got, s.want)
		}
		switch {
		case i == 0:
			userID = r.JSON()["data"].(map[string]any)["userId"].(string)
		case i == 6:
			token = r.JSON()["data"].(map[string]any)["token"].(string)
		case s.name == "create the user to erase":
			erasedID = r.JSON()["data"].(map[string]any)["userId"].(string)
		case s.name == "open KYC session":
			hostedSession = r.JSON()["data"].(map[string]any)["sessionId"].(string)
		case s.name == "a callback with a bad signature costs nothing":
			// Acme's newest events and a cursor; an event of beta's.
			page := c.api.Do(http.MethodGet, events+"?limit=1", key, "").JSON()["data"].(map[string]any)
			cursor, _ = page["nextCursor"].(string)
			eventID, _ = page["events"].([]any)[0].(map[string]any)["id"].(string)
			beta := outbox.Must(outbox.UserDeleted, "p_beta", map[string]string{"userId": "b"}, c.clock.Now())
			if err := c.deps.Store.PutOutboxEvent(context.Background(), beta, domain.Budget{}); err != nil {
				t.Fatal(err)
			}
			betaEvent = beta.ID
		}
	}

	// The dispatcher: one GetItem (state) and one UpdateItem (delivered)
	// per event, and beta's partner read once (acme's is in the
	// container's directory already: the dispatcher shares it); acme's
	// sealed webhook secret read once (GetItem) and opened once (KMS
	// Decrypt) for all its events.
	evs, err := moto.OutboxEvents(context.Background(), c.db, c.table)
	if err != nil || len(evs) < 5 {
		t.Fatalf("%d outbox events, %v", len(evs), err)
	}
	d := dispatch.New(c.deps)
	c.reset()
	for _, ev := range evs {
		if err := d.Deliver(context.Background(), ev.Key()); err != nil {
			t.Fatalf("deliver %s: %v", ev.Type, err)
		}
	}
	if got, n := (calls{"GetItem": c.calls.Get("GetItem"), "UpdateItem": c.calls.Get("UpdateItem"), "Decrypt": c.calls.Get("Decrypt")}), len(evs); got["GetItem"] != n+2 ||
		got["UpdateItem"] != n || got["Decrypt"] != 1 || c.calls.Total()-c.calls.Get("GetSecretValue") != 2*n+3 {
		t.Errorf("dispatcher: %v for %d events (%d calls in all), want one GetItem and one UpdateItem each, and the secret read and opened once", c.calls.All(), n, c.calls.Total())
	}
	// Beta has no webhook URL: its event is failed unsent.
	if acme := len(evs) - 1; delivered.Load() != int64(acme) {
		t.Errorf("%d deliveries for %d events of acme's", delivered.Load(), acme)
	}

	// The retry queue's consumer: a scheduled retry that delivers, one that
	// fails again (and queues the next), a redelivery the partner asked
	// for: one GetItem and one UpdateItem each, and one SendMessage for
	// the next attempt.
	retried := func(name string, m queue.Retry, fail bool, want calls) {
		t.Helper()
		failing.Store(fail)
		defer failing.Store(false)
		c.reset()
		if err := d.Retry(context.Background(), m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := calls{}
		for op, n := range c.calls.All() {
			if op != "GetSecretValue" {
				got[op] = n
			}
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s: calls %v, want %v", name, got, want)
		}
	}
	pending := func() domain.OutboxEvent {
		ev := outbox.Must(outbox.WebhookTest, "p_acme", map[string]string{"message": "retry"}, c.clock.Now())
		if err := c.deps.Store.PutOutboxEvent(context.Background(), ev, domain.Budget{}); err != nil {
			t.Fatal(err)
		}
		return ev
	}
	first, second := pending(), pending()
	now := c.clock.Now()
	retried("a retry delivered", queue.Retry{EventID: first.ID, PartnerID: "p_acme", Attempt: 2, NotBefore: now}, false,
		calls{"GetItem": 1, "UpdateItem": 1})
	retried("a retry failed again", queue.Retry{EventID: second.ID, PartnerID: "p_acme", Attempt: 2, NotBefore: now}, true,
		calls{"GetItem": 1, "UpdateItem": 1, "SendMessage": 1})
	retried("a redelivery", queue.Retry{EventID: first.ID, PartnerID: "p_acme", Attempt: 0, NotBefore: now}, false,
		calls{"GetItem": 1, "UpdateItem": 1})

	// The cleanup with nothing expired: one query per index shard (eight
	// at once), one of the erasures left unfinished, one of the wipes
	// requested, one of the sandbox's delayed outcomes due.
	c.reset()
	if _, err := cleanup.New(c.deps).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if q := c.calls.Get("Query"); q != 67 || c.calls.Total() != 67 {
		t.Errorf("cleanup with nothing to expire: %v, want 67 queries (one per shard, one of the unfinished erasures, one of the wipes, one of the delayed outcomes)", c.calls.All())
	}
	if n := len(w.sumsub.Bodies()); n != 1 {
		t.Errorf("%d calls to Sumsub, want 1 (the Sumsub link)", n)
	}
	// The token signing keys (the token), the verification keys (the
	// token's use), the KYC providers (the Sumsub link and the callbacks):
	// once each. The partners and their webhook secrets are in the table.
	c.assertSecretFetches(t, 3)
}

// TestSecretsOncePerCachePeriod: 200 operations over 4 minutes fetch each
// secret once; after the 5-minute period each is fetched once more.
func TestSecretsOncePerCachePeriod(t *testing.T) {
	c := newContainer(t, fixture.RegistryJSON)
	key := apitest.Headers{"partner-api-key": fixture.KeyAcme}
	r := c.api.Do(http.MethodPost, "/api/partner/v2/users", key, `{"externalUserId":"sm-1","type":"INDIVIDUAL"}`)
	userID := r.JSON()["data"].(map[string]any)["userId"].(string)
	for i := 0; i < 200; i++ {
		if i%50 == 0 {
			c.clock.Add(time.Minute)
		}
		path := "/api/partner/v2/users/" + userID
		if i%2 == 1 {
			path += "/token" // uses the service keys
			if r := c.api.Do(http.MethodPost, path, key, ""); r.Status != 201 {
				t.Fatalf("token: %d", r.Status)
			}
			continue
		}
		if r := c.api.Do(http.MethodGet, path, key, ""); r.Status != 200 {
			t.Fatalf("get: %d", r.Status)
		}
	}
	c.assertSecretFetches(t, 1)  // the signing keys (the partners are in the table)
	c.clock.Add(2 * time.Minute) // past the period
	c.api.Do(http.MethodPost, "/api/partner/v2/users/"+userID+"/token", key, "")
	c.api.Do(http.MethodPost, "/api/partner/v2/users/"+userID+"/token", key, "")
	c.assertSecretFetches(t, 2)
}

func (c *container) assertSecretFetches(t *testing.T, want int) {
	t.Helper()
	if got := c.secretFetches + c.calls.Get("GetSecretValue"); got != want {
		t.Fatalf("GetSecretValue called %d times, want %d", got, want)
	}
}
