package systemtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/adapters/sqsqueue"
	"github.com/partner-identity/api/shared/adapters/sumsub"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/outbox"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/http/surface"
	"github.com/partner-identity/api/shared/lambda/cleanup"
	"github.com/partner-identity/api/shared/lambda/dispatch"
	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
	"github.com/partner-identity/api/shared/testkit/moto"
	"github.com/partner-identity/api/shared/testkit/sam"
	"github.com/partner-identity/api/shared/webhooks/queue"
)

// platformGrants are what Lambda does with every function's role, not its
// code: the function's logs, to its own log group (Lambda creates the
// streams), and its X-Ray segments (active tracing), whose actions name no
// resource (X-Ray has no resource-level permissions).
func platformGrants(id string) []string {
	group := "loggroup:" + strings.TrimSuffix(id, "Function") + "LogGroup"
	return []string{"logs:CreateLogStream " + group, "logs:PutLogEvents " + group,
		`xray:PutTraceSegments "*"`, `xray:PutTelemetryRecords "*"`}
}

// eventSourceGrants are what Lambda's event source mappings do with a
// function's role, not its code: reading the table's stream (AWS documents
// these four actions for a DynamoDB stream trigger) and sending a batch
// that failed every retry to the on-failure destination; polling the retry
// queue and the slow lane (AWS documents ReceiveMessage, DeleteMessage and
// GetQueueAttributes for an SQS trigger).
var eventSourceGrants = map[string][]string{
	"webhook-dispatcher": {"dynamodb:DescribeStream stream", "dynamodb:GetRecords stream", "dynamodb:GetShardIterator stream",
		"dynamodb:ListStreams stream", "sqs:SendMessage queue:WebhookDeadLetterQueue"},
	"webhook-retry": {"sqs:ReceiveMessage queue:WebhookRetryQueue", "sqs:DeleteMessage queue:WebhookRetryQueue", "sqs:GetQueueAttributes queue:WebhookRetryQueue",
		"sqs:ReceiveMessage queue:WebhookSlowQueue", "sqs:DeleteMessage queue:WebhookSlowQueue", "sqs:GetQueueAttributes queue:WebhookSlowQueue"},
}

// TestIAMPoliciesAllowExactlyTheCalls: each function's role, as SAM
// generates it from template.yaml, allows every action the function's code
// performs (each item of a DynamoDB transaction needing its own action),
// on the resource it touches, and nothing the code never performs. The
// calls are real SDK calls on moto, one container per function as in
// Lambda, through every path of the function that writes or reads
// something different.
func TestIAMPoliciesAllowExactlyTheCalls(t *testing.T) {
	ids := sam.FunctionIDs(t)
	performed := performedActions(t)
	t.Run("secrets under AWS's key", func(t *testing.T) { checkPolicies(t, sam.Transform(t), ids, performed, false) })
	// With a customer-managed key, Secrets Manager decrypts each secret a
	// function reads with the function's own kms:Decrypt (kms:ViaService).
	t.Run("secrets under a customer-managed key", func(t *testing.T) {
		tpl := sam.Transform(t, "SecretsKmsKeyArn=arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
		withKMS := map[string]map[string]bool{}
		for fn, did := range performed {
			withKMS[fn] = map[string]bool{}
			for a := range did {
				withKMS[fn][a] = true
				if strings.HasPrefix(a, "secretsmanager:GetSecretValue ") {
					withKMS[fn]["kms:Decrypt key:SecretsKmsKeyArn via secretsmanager"] = true
				}
			}
		}
		checkPolicies(t, tpl, ids, withKMS, true)
	})
}

func checkPolicies(t *testing.T, tpl *sam.Template, ids map[string]string, performed map[string]map[string]bool, kms bool) {
	for _, fn := range sam.Sorted(ids) {
		id := ids[fn]
		statements, managed, err := tpl.RoleStatements(id, map[string]bool{"HasSecretsKmsKey": kms})
		if err != nil {
			t.Errorf("%s: %v", fn, err)
			continue
		}
		// No managed policy: SAM's (AWSLambdaBasicExecutionRole,
		// AWSLambdaDynamoDBExecutionRole, AWSLambdaSQSQueueExecutionRole)
		// grant on every log group, stream and queue of the account.
		if len(managed) != 0 {
			t.Errorf("%s: managed policies %v, want none", fn, managed)
		}
		allowed := map[string]bool{}
		for _, st := range statements {
			for _, g := range st.Grants() {
				allowed[g] = true
				// "*" only where the service has no resource-level permission.
				if strings.HasSuffix(g, ` "*"`) && !strings.HasPrefix(g, "xray:") {
					t.Errorf("%s: %q: a resource that can be named is granted on *", fn, g)
				}
			}
		}
		expected := append(platformGrants(id), eventSourceGrants[fn]...)
		did, ok := performed[fn]
		if !ok {
			t.Errorf("%s: no scenario exercised it", fn)
			continue
		}
		for _, a := range sam.Sorted(did) {
			if !allowed[a] {
				t.Errorf("%s (%s) performs %q, which its policy does not allow", fn, id, a)
			}
		}
		for _, g := range expected {
			if !allowed[g] {
				t.Errorf("%s (%s) is not allowed %q, which Lambda does with its role", fn, id, g)
			}
		}
		for _, g := range sam.Sorted(allowed) {
			if !did[g] && !slices.Contains(expected, g) {
				t.Errorf("%s (%s) is allowed %q, which it never performs", fn, id, g)
			}
		}
	}
	if n := len(performed); n != len(ids) {
		t.Errorf("%d functions exercised, %d in the Makefile", n, len(ids))
	}
}

// performedActions runs each function's scenarios in a container of its
// own and returns, per function, the IAM actions its calls needed, with the
// template's names for the resources.
func performedActions(t *testing.T) map[string]map[string]bool {
	var failHooks, slowHooks atomic.Bool
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slowHooks.Load() {
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
			return
		}
		if failHooks.Load() {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(hook.Close)
	w := newWorld(t, strings.Replace(fixture.RegistryJSON, "https://hooks.acme.example/identity", hook.URL, 1))
	q := sqs.NewFromConfig(w.srv.Config(nil, nil))
	dlq, retries, slow := moto.NewQueue(t, q, "iam-dlq"), moto.NewQueue(t, q, "iam-retries"), moto.NewQueue(t, q, "iam-slow")
	symbols := map[string]string{
		"secretsmanager:GetSecretValue secret:" + w.keysID:    "secretsmanager:GetSecretValue secret:ServiceKeysSecretArn",
		"secretsmanager:GetSecretValue secret:" + w.signingID: "secretsmanager:GetSecretValue secret:TokenSigningSecretArn",
		"kms:Decrypt key:" + w.hooksKey:                       "kms:Decrypt key:WebhookSigningKey",
		"kms:Encrypt key:" + w.hooksKey:                       "kms:Encrypt key:WebhookSigningKey",
		"secretsmanager:GetSecretValue secret:" + w.kycID:     "secretsmanager:GetSecretValue secret:KycProvidersSecretArn",
		"sqs:SendMessage queue:" + dlq:                        "sqs:SendMessage queue:WebhookDeadLetterQueue",
		"sqs:SendMessage queue:" + retries:                    "sqs:SendMessage queue:WebhookRetryQueue",
		"sqs:SendMessage queue:" + slow:                       "sqs:SendMessage queue:WebhookSlowQueue",
		"sqs:ChangeMessageVisibility queue:" + retries:        "sqs:ChangeMessageVisibility queue:WebhookRetryQueue",
		"sqs:ChangeMessageVisibility queue:" + slow:           "sqs:ChangeMessageVisibility queue:WebhookSlowQueue",
		"sqs:GetQueueAttributes queue:" + retries:             "sqs:GetQueueAttributes queue:WebhookRetryQueue",
		"sqs:GetQueueAttributes queue:" + slow:                "sqs:GetQueueAttributes queue:WebhookSlowQueue",
	}

	key := apitest.Headers{"partner-api-key": fixture.KeyAcme}
	// A key partnerctl makes names its partner: a container that does not
	// hold it yet writes on the condition that it holds (ConditionCheck).
	_, claimed, err := partners.NewAdmin(dynamostore.New(w.db, w.table), nil, false).IssueKey(context.Background(), "systemtest", "p_acme", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	claimedKey := apitest.Headers{"partner-api-key": claimed}
	users := "/api/partner/v2/users"
	const identA, identB = "iamidentifier000000000000000000000000000000a", "iamidentifier000000000000000000000000000000b"
	w.countLimiter = true // every call a function makes, the limiter's too
	setup := w.container(t, nil)
	w.sumsub.Now = setup.clock.Now // the container signs Sumsub calls with its clock
	expect := func(r *apitest.Response, status int, what string) *apitest.Response {
		t.Helper()
		if r.Status != status {
			t.Fatalf("%s: %d %s", what, r.Status, r.Body)
		}
		return r
	}
	newUser := func(ext string) (id, token string) {
		r := expect(setup.api.Do(http.MethodPost, users, key, `{"externalUserId":"`+ext+`","type":"INDIVIDUAL"}`), 201, "setup user")
		id = r.JSON()["data"].(map[string]any)["userId"].(string)
		r = expect(setup.api.Do(http.MethodPost, users+"/"+id+"/token", key, ""), 201, "setup token")
		return id, r.JSON()["data"].(map[string]any)["token"].(string)
	}
	userID, token := newUser("iam-main")
	linker, linkerToken := newUser("iam-linker")
	hostedSession := expect(setup.api.Do(http.MethodPost, users+"/"+userID+"/kyc/verification-link", key, `{"country":"MX"}`), 201, "setup session").
		JSON()["data"].(map[string]any)["sessionId"].(string)
	sumsubUser, _ := newUser("iam-sumsub")
	expect(setup.api.Do(http.MethodPost, users+"/"+sumsubUser+"/kyc/verification-link", key, `{"country":"DE"}`), 201, "setup Sumsub session")
	expect(setup.api.Do(http.MethodPost, "/api/v2/user/link-identifier", apitest.Headers{"User-Authorization": "Bearer " + token}, `{"identifier":"`+identA+`"}`), 200, "setup link")
	// A user of many transactions' items (sessions, their references and
	// events), for an erasure that marks itself unfinished until its
	// last delete; another left unfinished (its call short of time), which
	// the cleanup finishes.
	bigUser := func(ext string, sessions int) string {
		id, _ := newUser(ext)
		now := setup.clock.Now()
		for i := range sessions {
			sess := domain.KYCSession{ID: fmt.Sprintf("%s-%03d", ext, i), UserID: id, PartnerID: "p_acme", Country: "MX", TemplateID: "t",
				Status: domain.KYCPending, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour), RetainUntil: now.Add(48 * time.Hour)}
			ev := domain.OutboxEvent{ID: outbox.NewID(now), Type: "kyc.session_created", PartnerID: "p_acme", UserID: id, Payload: []byte(`{}`), CreatedAt: now}
			if rej, err := setup.deps.Store.OpenKYCSession(context.Background(), sess, now, ev); rej != nil || err != nil {
				t.Fatalf("setup big user: %v %v", rej, err)
			}
			if err := setup.deps.Store.CloseOpenKYC(context.Background(), id, []string{sess.ID}); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	big := bigUser("iam-big", 40)
	unfinished := bigUser("iam-unfinished", 120) // sessions left after the first transaction too

	short, cancel := context.WithTimeout(context.Background(), 2*time.Second) // the erasure's reserve: its first write, then it answers
	if err := setup.deps.Store.EraseUser(short, "p_acme", unfinished, domain.OutboxEvent{ID: outbox.NewID(setup.clock.Now()), Type: "user.deleted",
		PartnerID: "p_acme", Payload: []byte(`{}`), CreatedAt: setup.clock.Now()}, setup.clock.Now()); err != nil {
		t.Fatal(err)
	}
	cancel()
	if left, err := setup.deps.Store.UnfinishedErasures(context.Background(), 10); err != nil || len(left) != 1 {
		t.Fatalf("setup unfinished erasure: %v %v", left, err)
	}
	// A user with every kind of item, for the erasure: guard, session, link, federated identity, events.
	erased, erasedToken := newUser("iam-erased")
	expect(setup.api.Do(http.MethodPost, users+"/"+erased+"/kyc/verification-link", key, `{"country":"MX"}`), 201, "setup erased session")
	expect(setup.api.Do(http.MethodPost, "/api/v2/user/link-identifier", apitest.Headers{"User-Authorization": "Bearer " + erasedToken}, `{"identifier":"iamidentifier00000000000000000000000000erased"}`), 200, "setup erased link")
	expect(setup.api.Do(http.MethodPut, "/federated-identities/acme", apitest.Headers{"Authorization": "Bearer " + erasedToken}, ""), 204, "setup erased identity")

	// Test mode: acme's test user with sessions to decide (one approved
	// later, one expired, one moved out of order), a test endpoint.
	testKey := apitest.Headers{"partner-api-key": fixture.KeyAcmeTest}
	testUser := expect(setup.api.Do(http.MethodPost, users, testKey, `{"externalUserId":"iam-test","type":"INDIVIDUAL"}`), 201, "setup test user").
		JSON()["data"].(map[string]any)["userId"].(string)
	testSession := func() string {
		return expect(setup.api.Do(http.MethodPost, users+"/"+testUser+"/kyc/verification-link", testKey, `{"country":"MX"}`), 201, "setup test session").
			JSON()["data"].(map[string]any)["sessionId"].(string)
	}
	testUserToken := expect(setup.api.Do(http.MethodPost, users+"/"+testUser+"/token", testKey, ""), 201, "setup test token").
		JSON()["data"].(map[string]any)["token"].(string)
	expect(setup.api.Do(http.MethodPost, "/api/v2/user/link-identifier", apitest.Headers{"User-Authorization": "Bearer " + testUserToken},
		`{"identifier":"iamidentifier0000000000000000000000000000test"}`), 200, "setup test link") // the wipe deletes it
	approvedLater, expiring, outOfOrder := testSession(), testSession(), testSession()
	onPage, onPageLater, delayed := testSession(), testSession(), testSession()
	expect(setup.api.Do(http.MethodPost, "/api/partner/v2/webhooks/endpoints", testKey, `{"url":"`+hook.URL+`/test-mode"}`), 201, "setup test endpoint")
	sandbox := "/api/partner/v2/sandbox"

	performed := map[string]map[string]bool{}
	ran := map[string]*container{}
	run := func(fn string, c *container, scenario func(c *container)) {
		t.Helper()
		scenario(c)
		ran[fn] = c
	}
	// What each container did, once every key's last use (recorded a
	// second after its first use, in the background) is in.
	collect := func() {
		for fn, c := range ran {
			set := map[string]bool{}
			for a := range c.calls.Actions() {
				if s, ok := symbols[a]; ok {
					a = s
				}
				set[a] = true
			}
			performed[fn] = set
		}
	}
	// A partner access token, accepted by every Partner v2 function in
	// place of the key: each such function also serves one request of its
	// own route with it (its verification keys, the token's partner).
	accessToken := expect(setup.api.Do(http.MethodPost, "/oauth2/token", apitest.Headers{"Content-Type": "application/x-www-form-urlencoded"},
		"grant_type=client_credentials&client_id=p_acme&client_secret="+fixture.KeyAcme), 200, "setup access token").JSON()["access_token"].(string)
	withToken := apitest.Headers{"Authorization": "Bearer " + accessToken}
	testToken := apitest.Headers{"Authorization": "Bearer " + expect(setup.api.Do(http.MethodPost, "/oauth2/token", apitest.Headers{"Content-Type": "application/x-www-form-urlencoded"},
		"grant_type=client_credentials&client_id=p_acme&client_secret="+fixture.KeyAcmeTest), 200, "setup test access token").JSON()["access_token"].(string)}
	byToken := map[string]func(c *container){
		"create-user": func(c *container) {
			expect(c.api.Do("POST", users, withToken, `{"externalUserId":"iam-by-token","type":"INDIVIDUAL"}`), 201, "create by token")
		},
		"get-user": func(c *container) { expect(c.api.Do("GET", users+"/"+userID, withToken, ""), 200, "get by token") },
		"find-user": func(c *container) {
			expect(c.api.Do("GET", users+"?externalUserId=iam-main", withToken, ""), 200, "find by token")
		},
		"delete-user": func(c *container) {
			expect(c.api.Do("DELETE", users+"/"+erased, withToken, ""), 204, "erase again by token")
		},
		"create-verification-link": func(c *container) {
			expect(c.api.Do("POST", users+"/"+userID+"/kyc/verification-link", withToken, `{"country":"MX"}`), 201, "open by token")
		},
		"get-user-kyc": func(c *container) {
			expect(c.api.Do("GET", users+"/"+userID+"/kyc", withToken, ""), 200, "KYC by token")
		},
		"list-webhook-events": func(c *container) {
			expect(c.api.Do("GET", "/api/partner/v2/webhooks/events", withToken, ""), 200, "events by token")
		},
		"send-test-webhook": func(c *container) {
			expect(c.api.Do("POST", "/api/partner/v2/webhooks/test", withToken, ""), 202, "test event by token")
		},
		"create-user-token": func(c *container) {
			expect(c.api.Do("POST", users+"/"+userID+"/token", withToken, ""), 201, "user token by token")
		},
		"list-api-keys": func(c *container) {
			expect(c.api.Do("GET", "/api/partner/v2/api-keys", withToken, ""), 200, "keys by token")
		},
		"create-api-key": func(c *container) {
			expect(c.api.Do("POST", "/api/partner/v2/api-keys", withToken, ""), 409, "a sixth live key by token")
		},
		"roll-api-key": func(c *container) {
			expect(c.api.Do("POST", "/api/partner/v2/api-keys/key_000000000000/roll", withToken, ""), 404, "roll by token")
		},
		"revoke-api-key": func(c *container) {
			expect(c.api.Do("DELETE", "/api/partner/v2/api-keys/key_000000000000", withToken, ""), 404, "revoke by token")
		},
		"list-webhook-endpoints": func(c *container) {
			expect(c.api.Do("GET", "/api/partner/v2/webhooks/endpoints", withToken, ""), 200, "endpoints by token")
		},
		"sandbox-kyc-outcome": func(c *container) {
			expect(c.api.Do("POST", sandbox+"/kyc-sessions/"+"7e57"+strings.Repeat("0", 28)+"/outcome", testToken, `{"outcome":"approve"}`), 404, "an outcome by token")
		},
		"sandbox-wipe-data": func(c *container) {
			expect(c.api.Do("DELETE", sandbox+"/data", testToken, ""), 202, "a wipe by token")
		},
		"sandbox-simulation": func(c *container) {
			expect(c.api.Do("POST", sandbox+"/simulations", testToken, `{"scenario":"late_rejection","sessionId":"`+"7e57"+strings.Repeat("0", 28)+`"}`), 404, "a simulation by token")
		},
		"get-limits": func(c *container) {
			expect(c.api.Do("GET", "/api/partner/v2/limits", withToken, ""), 200, "limits by token")
		},
		"get-webhook-endpoint": func(c *container) {
			expect(c.api.Do("GET", "/api/partner/v2/webhooks/endpoints/we_default", withToken, ""), 200, "an endpoint by token")
		},
		"create-webhook-endpoint": func(c *container) {
			expect(c.api.Do("POST", "/api/partner/v2/webhooks/endpoints", withToken, `{"url":"https://hooks.acme.example/by-token"}`), 201, "an endpoint made by token")
		},
		"update-webhook-endpoint": func(c *container) {
			expect(c.api.Do("PATCH", "/api/partner/v2/webhooks/endpoints/we_default", withToken, `{"description":"by token"}`), 200, "an endpoint changed by token")
		},
		"delete-webhook-endpoint": func(c *container) {
			expect(c.api.Do("DELETE", "/api/partner/v2/webhooks/endpoints/we_ffffffffffffffff", withToken, ""), 404, "no such endpoint, by token")
		},
		"rotate-webhook-endpoint-secret": func(c *container) {
			expect(c.api.Do("POST", "/api/partner/v2/webhooks/endpoints/we_default/rotate-secret", withToken, ""), 201, "a secret rotated by token")
		},
	}
	viaHTTP := func(fn string, scenario func(c *container)) {
		c := w.container(t, nil)
		w.sumsub.Now = c.clock.Now // the container signs Sumsub calls with its clock
		run(fn, c, func(c *container) {
			scenario(c)
			if call, ok := byToken[fn]; ok {
				call(c)
			}
		})
	}
	bearer := func(h string, tok string) apitest.Headers { return apitest.Headers{h: "Bearer " + tok} }

	viaHTTP("create-user", func(c *container) {
		body := `{"externalUserId":"iam-create","type":"INDIVIDUAL"}`
		expect(c.api.Do("POST", users, claimedKey, body), 201, "create, the key read beside it")
		expect(c.api.Do("POST", users, key, body), 200, "replay")
		expect(c.api.Do("POST", users, key, `{"externalUserId":"iam-create","type":"BUSINESS"}`), 409, "conflict")
	})
	viaHTTP("get-user", func(c *container) { expect(c.api.Do("GET", users+"/"+userID, key, ""), 200, "get") })
	viaHTTP("delete-user", func(c *container) {
		expect(c.api.Do("DELETE", users+"/"+erased, key, ""), 204, "erase")
		expect(c.api.Do("DELETE", users+"/"+erased, key, ""), 204, "erase again")
		expect(c.api.Do("DELETE", users+"/"+big, key, ""), 204, "erase a user of many transactions")
	})
	viaHTTP("find-user", func(c *container) { expect(c.api.Do("GET", users+"?externalUserId=iam-main", key, ""), 200, "find") })
	viaHTTP("create-verification-link", func(c *container) {
		expect(c.api.Do("POST", users+"/"+userID+"/kyc/verification-link", key, `{"country":"MX"}`), 201, "open")
		expect(c.api.Do("POST", users+"/"+linker+"/kyc/verification-link", key, `{"country":"DE"}`), 201, "open with Sumsub")
	})
	viaHTTP("get-user-kyc", func(c *container) { expect(c.api.Do("GET", users+"/"+userID+"/kyc", key, ""), 200, "read KYC") })
	viaHTTP("kyc-sumsub-webhook", func(c *container) {
		body := `{"type":"applicantPending","externalUserId":"` + sumsubUser + `","createdAtMs":"` + c.clock.Now().Format("2006-01-02 15:04:05.000") + `"}`
		expect(c.api.Do("POST", "/kyc/providers/sumsub/webhook", apitest.Headers{"X-Payload-Digest": sumsub.Digest(fixture.SumsubWebhookSecret, []byte(body))}, body), 200, "Sumsub result")
	})
	viaHTTP("kyc-hosted-webhook", func(c *container) {
		body := `{"sessionId":"` + hostedSession + `","status":"APPROVED","occurredAt":"` + c.clock.Now().Format(time.RFC3339Nano) + `"}`
		expect(c.api.Do("POST", "/kyc/providers/hosted/webhook", fixture.HostedHeaders(body, c.clock.Now()), body), 200, "hosted result")
	})
	viaHTTP("create-user-token", func(c *container) { expect(c.api.Do("POST", users+"/"+userID+"/token", key, ""), 201, "token") })
	viaHTTP("link-identifier", func(c *container) {
		link := func(h apitest.Headers, ident string) {
			expect(c.api.Do("POST", "/api/v2/user/link-identifier", h, `{"identifier":"`+ident+`"}`), 200, "link "+ident)
		}
		link(bearer("User-Authorization", linkerToken), identB)                                                // a first link
		link(bearer("User-Authorization", linkerToken), identB+"2")                                            // a replacement
		link(apitest.Headers{"partner-api-key": fixture.KeyAcme, "User-Identifier": identB + "2"}, identB+"2") // by key, nothing to write
	})
	viaHTTP("user-info", func(c *container) {
		expect(c.api.Do("GET", "/api/v2/user/info", bearer("User-Authorization", token), ""), 200, "info by token")
		expect(c.api.Do("GET", "/api/v2/user/info", apitest.Headers{"partner-api-key": fixture.KeyAcme, "User-Identifier": identA}, ""), 200, "info by key")
	})
	viaHTTP("set-federated-identity", func(c *container) {
		expect(c.api.Do("PUT", "/federated-identities/acme", bearer("Authorization", token), ""), 204, "set")
	})
	viaHTTP("list-federated-identities", func(c *container) {
		expect(c.api.Do("GET", "/federated-identities", bearer("Authorization", token), ""), 200, "list")
	})
	viaHTTP("delete-federated-identity", func(c *container) {
		expect(c.api.Do("DELETE", "/federated-identities/acme", bearer("Authorization", token), ""), 204, "delete")
	})
	events := "/api/partner/v2/webhooks/events"
	// An attempt recorded (by the setup's container: the dispatcher's
	// work) on one of acme's events, so that a listing and a redelivery
	// read its deliveries, which the events index does not hold.
	attempted := func(alone bool) domain.OutboxEvent {
		t.Helper()
		evs, err := moto.OutboxEvents(context.Background(), setup.db, setup.table)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(evs, func(ev domain.OutboxEvent) bool { return ev.PartnerID == "p_acme" && (ev.UserID == "") == alone })
		if i < 0 {
			t.Fatalf("no event of acme's among %d", len(evs))
		}
		if err := fixture.RecordDelivery(context.Background(), setup.deps.Store, evs[i].Key(), domain.Delivery{EndpointID: partners.DefaultEndpointID,
			Status: domain.OutboxDelivered, Attempts: 1, Scheduled: 1, LastAttemptAt: setup.clock.Now(), LastResponseStatus: 204}, false); err != nil {
			t.Fatal(err)
		}
		return evs[i]
	}
	attempted(false)
	viaHTTP("list-webhook-events", func(c *container) {
		first := expect(c.api.Do("GET", events+"?limit=1", key, ""), 200, "list events").JSON()["data"].(map[string]any)
		cursor, _ := first["nextCursor"].(string)
		expect(c.api.Do("GET", events+"?limit=1&cursor="+cursor, key, ""), 200, "next page")
		expect(c.api.Do("GET", events+"?status=pending&type=user.created", key, ""), 200, "filtered by state")
		expect(c.api.Do("GET", events+"?type=user.created", key, ""), 200, "filtered by type")
	})
	viaHTTP("send-test-webhook", func(c *container) {
		expect(c.api.Do("POST", "/api/partner/v2/webhooks/test", claimedKey, ""), 202, "test event, the key read beside it")
	})
	// The partner's own keys: each function through every path that
	// writes or reads something different (a roll that drops a key expired
	// by an earlier one, a creation that does, a revocation).
	keys := "/api/partner/v2/api-keys"
	made := expect(setup.api.Do("POST", keys, key, ""), 201, "setup key").JSON()["data"].(map[string]any)
	rolledOut := expect(setup.api.Do("POST", keys+"/"+made["id"].(string)+"/roll", key, `{"expiresAt":"now"}`), 201, "setup roll").JSON()["data"].(map[string]any)
	viaHTTP("list-api-keys", func(c *container) { expect(c.api.Do("GET", keys, key, ""), 200, "list keys") })
	viaHTTP("create-api-key", func(c *container) {
		expect(c.api.Do("POST", keys, key, ""), 201, "create a key, dropping an expired one")
	})
	var revocable string
	viaHTTP("roll-api-key", func(c *container) {
		r := expect(c.api.Do("POST", keys+"/"+rolledOut["id"].(string)+"/roll", key, `{"expiresAt":"now"}`), 201, "roll now").JSON()["data"].(map[string]any)
		r = expect(c.api.Do("POST", keys+"/"+r["id"].(string)+"/roll", key, `{"expiresAt":"now"}`), 201, "roll, dropping the key rolled now").JSON()["data"].(map[string]any)
		revocable = r["id"].(string)
	})
	viaHTTP("revoke-api-key", func(c *container) { expect(c.api.Do("DELETE", keys+"/"+revocable, key, ""), 200, "revoke") })
	// The partner's own webhook endpoints: a creation (a secret sealed,
	// the endpoint added), a change, a rotation, a removal (its secrets
	// with it).
	hooks := "/api/partner/v2/webhooks/endpoints"
	madeHook := expect(setup.api.Do("POST", hooks, key, `{"url":"https://hooks.acme.example/iam","enabledEvents":["kyc.status_changed"]}`), 201, "setup endpoint").
		JSON()["data"].(map[string]any)["id"].(string)
	viaHTTP("list-webhook-endpoints", func(c *container) { expect(c.api.Do("GET", hooks, key, ""), 200, "list endpoints") })
	viaHTTP("get-limits", func(c *container) { expect(c.api.Do("GET", "/api/partner/v2/limits", key, ""), 200, "limits") })
	viaHTTP("get-webhook-endpoint", func(c *container) { expect(c.api.Do("GET", hooks+"/"+madeHook, key, ""), 200, "get an endpoint") })
	viaHTTP("create-webhook-endpoint", func(c *container) {
		expect(c.api.Do("POST", hooks, key, `{"url":"https://hooks.acme.example/iam2"}`), 201, "create an endpoint")
	})
	viaHTTP("update-webhook-endpoint", func(c *container) {
		expect(c.api.Do("PATCH", hooks+"/"+madeHook, key, `{"enabledEvents":["*"]}`), 200, "change an endpoint")
	})
	viaHTTP("rotate-webhook-endpoint-secret", func(c *container) {
		expect(c.api.Do("POST", hooks+"/"+madeHook+"/rotate-secret", key, ""), 201, "rotate an endpoint's secret")
	})
	viaHTTP("delete-webhook-endpoint", func(c *container) {
		expect(c.api.Do("DELETE", hooks+"/"+madeHook, key, ""), 200, "remove an endpoint")
	})
	viaHTTP("oauth2-token", func(c *container) {
		expect(c.api.Do("POST", "/oauth2/token", apitest.Headers{"Content-Type": "application/x-www-form-urlencoded"},
			"grant_type=client_credentials&client_id=p_acme&client_secret="+fixture.KeyAcme), 200, "an access token")
	})
	viaHTTP("jwks", func(c *container) {
		expect(c.api.Do("GET", "/.well-known/jwks.json", apitest.Headers{}, ""), 200, "the JWK Set")
	})
	viaHTTP("sandbox-kyc-outcome", func(c *container) {
		expect(c.api.Do("POST", sandbox+"/kyc-sessions/"+approvedLater+"/outcome", testKey, `{"outcome":"approve"}`), 200, "approve a test session")
		expect(c.api.Do("POST", sandbox+"/kyc-sessions/"+expiring+"/outcome", testKey, `{"outcome":"expire"}`), 200, "expire a test session")
		expect(c.api.Do("POST", sandbox+"/kyc-sessions/"+delayed+"/outcome", testKey, `{"outcome":"review","delaySeconds":60}`), 202, "a delayed outcome (the cleanup decides it)")
	})
	run("sandbox-simulation", w.containerAt(t, nil, time.Now().UTC(), "", retries), func(c *container) {
		expect(c.api.Do("POST", sandbox+"/simulations", testKey, `{"scenario":"late_rejection","sessionId":"`+approvedLater+`"}`), 202, "a late rejection")
		ids := expect(c.api.Do("POST", sandbox+"/simulations", testKey, `{"scenario":"out_of_order","sessionId":"`+outOfOrder+`"}`), 202, "out of order").
			JSON()["data"].(map[string]any)["eventIds"].([]any)
		expect(c.api.Do("POST", sandbox+"/simulations", testKey, `{"scenario":"duplicate_delivery","eventId":"`+ids[0].(string)+`"}`), 202, "a duplicate")
		byToken["sandbox-simulation"](c)
	})
	viaHTTP("sandbox-kyc-page", func(c *container) {
		expect(c.api.Do("GET", "/sandbox/kyc/"+onPage, apitest.Headers{"Accept": "text/html"}, ""), 200, "the sandbox's page")
	})
	run("sandbox-kyc-decision", w.containerAt(t, nil, time.Now().UTC(), "", retries), func(c *container) {
		form := func(session, field, value string) {
			token := fixture.SandboxFormToken(session)
			r := c.api.Do("POST", "/sandbox/kyc/"+session, apitest.Headers{"Content-Type": "application/x-www-form-urlencoded"},
				"token="+token+"&"+field+"="+value)
			expect(r, 303, "the page's "+field+" "+value)
		}
		form(onPage, "outcome", "approve")
		form(onPage, "scenario", "late_rejection")
		form(onPageLater, "scenario", "out_of_order")
		form(onPageLater, "outcome", "expire") // refused (no longer pending): back to the page
		form(onPageLater, "scenario", "duplicate_delivery")
	})
	run("redeliver-webhook-event", w.containerAt(t, nil, time.Now().UTC(), "", retries), func(c *container) {
		evs, err := moto.OutboxEvents(context.Background(), c.db, c.table)
		if err != nil || len(evs) < 2 {
			t.Fatalf("%d events, %v", len(evs), err)
		}
		// One event kept with its user, one not: the same calls.
		withUser := slices.IndexFunc(evs, func(ev domain.OutboxEvent) bool { return ev.UserID != "" })
		alone := slices.IndexFunc(evs, func(ev domain.OutboxEvent) bool { return ev.UserID == "" })
		if withUser < 0 || alone < 0 {
			t.Fatalf("events %+v", evs)
		}
		for _, i := range []int{withUser, alone} {
			expect(c.api.Do("POST", events+"/"+evs[i].ID+"/redeliver", key, ""), 202, "redeliver")
		}
		// One that had an attempt (its deliveries read), to one endpoint.
		tried := attempted(true)
		expect(c.api.Do("POST", events+"/"+tried.ID+"/redeliver", key, `{"endpointId":"we_default"}`), 202, "redeliver an attempted event to one endpoint")
		expect(c.api.Do("POST", events+"/"+evs[alone].ID+"/redeliver", withToken, ""), 202, "redeliver by token")
	})
	// The test side's wipe, asked here and carried out by the cleanup below.
	viaHTTP("sandbox-wipe-data", func(c *container) {
		expect(c.api.Do("DELETE", sandbox+"/data", testKey, ""), 202, "a wipe of the test data")
	})
	run("cleanup-kyc-sessions", w.containerAt(t, nil, time.Now().UTC().Add(48*time.Hour), "", ""), func(c *container) {
		res, err := cleanup.New(c.deps).Run(context.Background())
		if err != nil || res.Expired == 0 || res.Erased != 1 || res.Decided != 1 {
			t.Fatalf("cleanup: %+v %v", res, err)
		}
	})
	w.slowURL = slow // the webhook functions' containers have the slow lane
	run("webhook-dispatcher", w.containerAt(t, nil, time.Now().UTC(), dlq, retries), func(c *container) {
		evs, err := moto.OutboxEvents(context.Background(), c.db, c.table)
		if err != nil || len(evs) < 3 {
			t.Fatalf("%d events, %v", len(evs), err)
		}
		d := dispatch.New(c.deps)
		failHooks.Store(false)
		if err := d.Deliver(context.Background(), evs[0].Key()); err != nil {
			t.Fatalf("deliver: %v", err)
		}
		failHooks.Store(true)
		if err := d.Deliver(context.Background(), evs[1].Key()); err != nil { // to the retry queue
			t.Fatalf("retry later: %v", err)
		}
		// An endpoint over the budget: to the slow lane.
		tight := dispatch.Over(c.deps)
		tight.Budget = 100 * time.Millisecond
		slowHooks.Store(true)
		defer slowHooks.Store(false)
		if err := dispatch.With(tight).Deliver(context.Background(), evs[2].Key()); err != nil {
			t.Fatalf("to the slow lane: %v", err)
		}
	})
	run("webhook-retry", w.containerAt(t, nil, time.Now().UTC(), dlq, retries), func(c *container) {
		evs, err := moto.OutboxEvents(context.Background(), c.db, c.table)
		if err != nil || len(evs) < 4 {
			t.Fatalf("%d events, %v", len(evs), err)
		}
		d := dispatch.New(c.deps)
		failHooks.Store(true)
		ev := evs[2]
		// Not due yet: back to the queue; then the last attempt, failed: the dead-letter queue.
		later := queue.Retry{EventID: ev.ID, UserID: ev.UserID, PartnerID: ev.PartnerID, Attempt: 2, NotBefore: c.clock.Now().Add(time.Hour)}
		last := queue.Retry{EventID: ev.ID, UserID: ev.UserID, PartnerID: ev.PartnerID, Attempt: d.Attempts(), NotBefore: c.clock.Now()}
		if failed := d.HandleRetries(context.Background(), []queue.Retry{later, last}); len(failed) != 0 {
			t.Fatalf("retries failed: %v", failed)
		}
		if st, err := c.deps.Store.OutboxStatus(context.Background(), ev.Key()); err != nil || !st.DeadLettered {
			t.Fatalf("dead letter: %+v %v", st, err)
		}
		// A failed attempt in the slow lane: its next one queued there.
		ev = evs[3]
		inSlowLane := queue.Retry{EventID: ev.ID, UserID: ev.UserID, PartnerID: ev.PartnerID, Attempt: 2, NotBefore: c.clock.Now(), Slow: true}
		if failed := d.HandleRetries(context.Background(), []queue.Retry{inSlowLane}); len(failed) != 0 {
			t.Fatalf("slow lane: %v", failed)
		}
		// Received an hour before it is due, from either queue: parked where it is.
		park := sqsqueue.NewParking(c.deps.AWS, c.deps.WebhookRetryQueueURL, c.deps.WebhookSlowQueueURL)
		for _, url := range []string{retries, slow} {
			body, _ := json.Marshal(queue.Retry{EventID: ev.ID, UserID: ev.UserID, PartnerID: ev.PartnerID, Attempt: 3, NotBefore: time.Now().Add(time.Hour)})
			sent, err := q.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(string(body))})
			if err != nil {
				t.Fatal(err)
			}
			got, err := q.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
			if err != nil {
				t.Fatalf("receive: %v", err)
			}
			i := slices.IndexFunc(got.Messages, func(m sqstypes.Message) bool { return *m.MessageId == *sent.MessageId })
			if i < 0 {
				t.Fatal("the message sent was not received")
			}
			m := got.Messages[i]
			resp, err := dispatch.Parked(d, park, time.Now)(context.Background(), lambdaevents.SQSEvent{Records: []lambdaevents.SQSMessage{{
				MessageId: *m.MessageId, ReceiptHandle: *m.ReceiptHandle, Body: *m.Body, EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:" + path.Base(url)}}})
			if err != nil || len(resp.BatchItemFailures) != 1 {
				t.Fatalf("parked: %+v %v", resp, err)
			}
		}
	})
	// unmatched-route is built without dependencies: it can call nothing.
	rec := httptest.NewRecorder()
	httpx.Unmatched(surface.All()...).ServeHTTP(rec, httptest.NewRequest("GET", "/api/partner/v2/nothing", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("unmatched: %d", rec.Code)
	}
	collect()
	performed["unmatched-route"] = map[string]bool{}
	return performed
}

// TestNoRoleGrantsWhatCanBeNamedOnStar: every role of the stack as SAM
// transforms it (the functions', the scheduler's, CodeDeploy's, AWS
// Backup's) has no
// managed policy and no statement on "*" but X-Ray's; the scheduler's role is trusted
// only by this account's schedules (aws:SourceAccount) and may only invoke
// the cleanup function.
func TestNoRoleGrantsWhatCanBeNamedOnStar(t *testing.T) {
	tpl := sam.Transform(t)
	roles := 0
	for id, r := range tpl.Resources {
		if r.Type != "AWS::IAM::Role" {
			continue
		}
		roles++
		if m := r.Properties["ManagedPolicyArns"]; m != nil {
			t.Errorf("%s: managed policies %v", id, m)
		}
		raw, _ := json.Marshal(r.Properties["Policies"])
		var policies []struct {
			PolicyDocument struct {
				Statement []map[string]any
			}
		}
		if err := json.Unmarshal(raw, &policies); err != nil {
			t.Fatal(err)
		}
		for _, p := range policies {
			for _, st := range p.PolicyDocument.Statement {
				if cond, ok := st["Fn::If"].([]any); ok {
					st, _ = cond[1].(map[string]any)
				}
				res, _ := json.Marshal(st["Resource"])
				act, _ := json.Marshal(st["Action"])
				if strings.Contains(string(res), `"*"`) && !strings.Contains(string(act), "xray:") {
					t.Errorf("%s: %s on *", id, act)
				}
				if strings.Contains(string(act), "xray:") && strings.Count(string(act), "xray:") != strings.Count(string(act), ":") {
					t.Errorf("%s: X-Ray's statement grants more than X-Ray: %s", id, act)
				}
			}
		}
	}
	if roles != len(sam.FunctionIDs(t))+3 { // each function's, the scheduler's, CodeDeploy's and AWS Backup's
		t.Errorf("%d roles", roles)
	}
	var schedule struct {
		Properties struct {
			Target struct{ RoleArn map[string][]string }
		}
	}
	raw, _ := json.Marshal(tpl.Resources["CleanupKycSessionsFunctionSchedule"])
	if err := json.Unmarshal(raw, &schedule); err != nil || schedule.Properties.Target.RoleArn["Fn::GetAtt"][0] != "CleanupScheduleRole" {
		t.Fatalf("the schedule's role: %s", raw)
	}
	role := tpl.Resources["CleanupScheduleRole"]
	trust, _ := json.Marshal(role.Properties["AssumeRolePolicyDocument"])
	if !strings.Contains(string(trust), `"aws:SourceAccount":{"Ref":"AWS::AccountId"}`) || !strings.Contains(string(trust), "scheduler.amazonaws.com") {
		t.Fatalf("the scheduler's trust: %s", trust)
	}
	grants, _ := json.Marshal(role.Properties["Policies"])
	// It invokes the alias the schedule targets (the version CodeDeploy
	// shifted to), and nothing else.
	var target struct {
		Properties struct {
			Target struct{ Arn map[string]string }
		}
	}
	_ = json.Unmarshal(raw, &target)
	if alias := target.Properties.Target.Arn["Ref"]; alias != "CleanupKycSessionsFunctionAliaslive" || !strings.Contains(string(grants), `"Action":"lambda:InvokeFunction"`) ||
		!strings.Contains(string(grants), `"Resource":{"Ref":"`+alias+`"}`) || strings.Count(string(grants), `"Action"`) != 1 {
		t.Fatalf("the scheduler's target %q and grants: %s", alias, grants)
	}
	if _, ok := tpl.Resources["CleanupKycSessionsFunctionScheduleRole"]; ok {
		t.Fatal("SAM's own schedule role, which any account's schedules may assume, is still generated")
	}
}

// TestOnlyTheWebhookFunctionsOpenSigningSecrets: the partners' webhook
// signing secrets are sealed under WebhookSigningKey in WHSEC# items; of
// every role of the stack as SAM transforms it, the two that sign
// (webhook-dispatcher, webhook-retry) and only they may decrypt with the
// key, reading the items and writing none; the two that make a secret
// for a partner's endpoint (create-webhook-endpoint,
// rotate-webhook-endpoint-secret) and only they may encrypt with it, and
// with the one that removes an endpoint's secrets
// (delete-webhook-endpoint) read and write the items whole, never
// decrypting; no other role touches either. The key is kept with the
// table and rotated yearly by KMS.
func TestOnlyTheWebhookFunctionsOpenSigningSecrets(t *testing.T) {
	tpl := sam.Transform(t)
	ids := sam.FunctionIDs(t)
	signers := map[string]bool{"webhook-dispatcher": true, "webhook-retry": true}
	sealers := map[string]bool{"create-webhook-endpoint": true, "rotate-webhook-endpoint-secret": true}
	keepers := map[string]bool{"create-webhook-endpoint": true, "rotate-webhook-endpoint-secret": true, "delete-webhook-endpoint": true}
	for _, fn := range sam.Sorted(ids) {
		statements, _, err := tpl.RoleStatements(ids[fn], map[string]bool{"HasSecretsKmsKey": true})
		if err != nil {
			t.Fatal(err)
		}
		var decrypts, encrypts, reads, writes bool
		for _, st := range statements {
			for _, g := range st.Grants() {
				switch {
				case g == "kms:Decrypt key:WebhookSigningKey":
					decrypts = true
				case g == "kms:Encrypt key:WebhookSigningKey":
					encrypts = true
				case strings.HasPrefix(g, "kms:") && strings.Contains(g, "WebhookSigningKey"):
					t.Errorf("%s may %s", fn, g)
				case g == "dynamodb:GetItem table WHSEC#":
					reads = true
				case g == "dynamodb:PutItem table WHSEC#":
					writes = true
				case strings.HasPrefix(g, "dynamodb:") && strings.HasSuffix(g, " WHSEC#"):
					t.Errorf("%s may %s", fn, g)
				}
			}
		}
		if decrypts != signers[fn] || encrypts != sealers[fn] || reads != (signers[fn] || keepers[fn]) || writes != keepers[fn] {
			t.Errorf("%s: decrypts %v, encrypts %v, reads the sealed secrets %v, writes them %v", fn, decrypts, encrypts, reads, writes)
		}
	}
	key := tpl.Resources["WebhookSigningKey"]
	if key.Type != "AWS::KMS::Key" || key.Properties["EnableKeyRotation"] != true || key.DeletionPolicy != "Retain" {
		t.Fatalf("WebhookSigningKey: %+v", key)
	}
}
