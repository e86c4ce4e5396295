package kyccallbacks_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
	"github.com/partner-identity/api/shared/testkit/moto"
	"github.com/partner-identity/api/shared/testkit/sumsubtest"
	"github.com/partner-identity/api/shared/webhooks/signature"
)

func TestMain(m *testing.M) { fixture.Main(m) }

const (
	sumsubPath = "/kyc/providers/sumsub/webhook"
	hostedPath = "/kyc/providers/hosted/webhook"
)

// world is the API over one store, with what the tests read of it.
type world struct {
	c        *apitest.Client
	clk      *testkit.Clock
	contents func(t *testing.T) string
	// changes are the kyc.status_changed events' payloads, in no set order.
	changes func(t *testing.T) []map[string]any
}

// worlds runs f on the memory store and on DynamoDB (moto), each API
// built with the fixture's options as opts change them.
func worlds(t *testing.T, f func(t *testing.T, w *world), opts ...func(o *fixture.Options, sumsubURL string)) {
	t.Run("memory", func(t *testing.T) {
		mem := memstore.New()
		w := newWorld(t, mem, opts...)
		w.contents = func(*testing.T) string { return mem.Dump() }
		w.changes = func(t *testing.T) []map[string]any {
			var out []map[string]any
			for _, ev := range mem.Outbox() {
				if ev.Type == "kyc.status_changed" {
					out = append(out, payload(t, ev.Payload))
				}
			}
			return out
		}
		f(t, w)
	})
	t.Run("dynamodb", func(t *testing.T) {
		db, table := moto.Require(t).NewTable(t, nil, nil)
		w := newWorld(t, dynamostore.New(db, table), opts...)
		w.contents = func(t *testing.T) string { return moto.Contents(t, db, table) }
		w.changes = func(t *testing.T) []map[string]any {
			var out []map[string]any
			moto.ScanAll(t, db, table, func(it map[string]types.AttributeValue) {
				if et, ok := it["eventType"].(*types.AttributeValueMemberS); ok && et.Value == "kyc.status_changed" {
					out = append(out, payload(t, it["payload"].(*types.AttributeValueMemberB).Value))
				}
			})
			return out
		}
		f(t, w)
	})
}

func newWorld(t *testing.T, s domain.Store, opts ...func(o *fixture.Options, sumsubURL string)) *world {
	stand := sumsubtest.New(t)
	clk := testkit.NewClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	stand.Now = clk.Now
	o := fixture.Options{Now: clk.Now, KYCProviders: fixture.KYCProviders(t, stand.URL)}
	for _, opt := range opts {
		opt(&o, stand.URL)
	}
	return &world{clk: clk, c: fixture.Client(t, s, o)}
}

func payload(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var p struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	return p.Data
}

var key = apitest.Headers{"partner-api-key": fixture.KeyAcme}

// user registers a user of acme and opens a session for it in country
// (MX: the hosted provider, DE: Sumsub): its user id and session id.
func (w *world) user(t *testing.T, ext, country string) (userID, sessionID string) {
	t.Helper()
	r := w.c.Do(http.MethodPost, "/api/partner/v2/users", key, `{"externalUserId":"`+ext+`","type":"INDIVIDUAL"}`)
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	userID = r.JSON()["data"].(map[string]any)["userId"].(string)
	r = w.c.Do(http.MethodPost, "/api/partner/v2/users/"+userID+"/kyc/verification-link", key, `{"country":"`+country+`"}`)
	if r.Status != 201 {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	return userID, r.JSON()["data"].(map[string]any)["sessionId"].(string)
}

// kyc is the user's GET .../kyc data.
func (w *world) kyc(t *testing.T, userID string) map[string]any {
	t.Helper()
	r := w.c.Do(http.MethodGet, "/api/partner/v2/users/"+userID+"/kyc", key, "")
	if r.Status != 200 {
		t.Fatalf("kyc: %d %s", r.Status, r.Body)
	}
	return r.JSON()["data"].(map[string]any)
}

// statuses are the user's kycStatus and its latest session's status.
func (w *world) statuses(t *testing.T, userID string) (user, session string) {
	t.Helper()
	d := w.kyc(t, userID)
	return d["kycStatus"].(string), d["sessions"].([]any)[0].(map[string]any)["status"].(string)
}

func digest(h func() hash.Hash, secret string, body []byte) string {
	m := hmac.New(h, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// sumsubBody is a Sumsub webhook for externalUserId at createdAtMs.
func sumsubBody(typ, userID, at, answer, rejectType string) string {
	review := ""
	switch {
	case answer == "GREEN":
		review = `,"reviewResult":{"reviewAnswer":"GREEN"}`
	case answer != "":
		review = `,"reviewResult":{"reviewAnswer":"` + answer + `","rejectLabels":["DOCUMENT_PAGE_MISSING","John Q. Public"],` +
			`"reviewRejectType":"` + rejectType + `","moderationComment":"Dear John, your passport is expired","clientComment":"born 1990-01-01"}`
	}
	return `{"applicantId":"65bd1c3b2f0e1a","inspectionId":"65bd1c3b2f0e1b","correlationId":"req-1","levelName":"basic-kyc-level",` +
		`"externalUserId":"` + userID + `","type":"` + typ + `","sandboxMode":true,"reviewStatus":"completed","createdAtMs":"` + at + `",` +
		`"clientId":"acme-kyc-account"` + review + `}`
}

// sumsub posts body signed with HMAC_SHA256_HEX and the test secret.
func (w *world) sumsub(t *testing.T, body string) *apitest.Response {
	t.Helper()
	return w.c.Do(http.MethodPost, sumsubPath, apitest.Headers{
		"X-Payload-Digest":     digest(sha256.New, fixture.SumsubWebhookSecret, []byte(body)),
		"X-Payload-Digest-Alg": "HMAC_SHA256_HEX",
	}, body)
}

// hosted posts a hosted callback signed now.
func (w *world) hosted(t *testing.T, body string) *apitest.Response {
	t.Helper()
	return w.c.Do(http.MethodPost, hostedPath, fixture.HostedHeaders(body, w.clk.Now()), body)
}

func outcome(t *testing.T, r *apitest.Response) string {
	t.Helper()
	if r.Status != 200 {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	return r.JSON()["data"].(map[string]any)["outcome"].(string)
}

func errorOf(t *testing.T, r *apitest.Response) (int, string, string) {
	t.Helper()
	e, _ := r.JSON()["error"].(map[string]any)
	code, _ := e["code"].(string)
	msg, _ := e["message"].(string)
	return r.Status, code, msg
}

// TestSumsubMapping: each Sumsub webhook moves the session and the user as
// documented, with one kyc.status_changed event carrying ids, the status,
// the previous one and reject labels (Sumsub's codes only), and no comment.
func TestSumsubMapping(t *testing.T) {
	worlds(t, func(t *testing.T, w *world) {
		cases := []struct {
			typ, answer, rejectType, want string
			labels                        []any
		}{
			{"applicantPending", "", "", "IN_REVIEW", nil},
			{"applicantOnHold", "", "", "IN_REVIEW", nil},
			{"applicantReviewed", "GREEN", "", "APPROVED", nil},
			{"applicantReviewed", "RED", "RETRY", "ACTION_REQUIRED", []any{"DOCUMENT_PAGE_MISSING"}},
			{"applicantReviewed", "RED", "FINAL", "REJECTED", []any{"DOCUMENT_PAGE_MISSING"}},
		}
		for i, c := range cases {
			ext := fmt.Sprintf("sumsub-map-%d", i)
			uid, sid := w.user(t, ext, "DE")
			if got := outcome(t, w.sumsub(t, sumsubBody(c.typ, uid, "2026-11-24 09:00:01.250", c.answer, c.rejectType))); got != "applied" {
				t.Fatalf("%s %s: outcome %s", c.typ, c.answer, got)
			}
			if u, s := w.statuses(t, uid); u != c.want || s != c.want {
				t.Fatalf("%s %s: user %s session %s, want %s", c.typ, c.answer, u, s, c.want)
			}
			var ev map[string]any
			for _, e := range w.changes(t) {
				if e["userId"] == uid {
					if ev != nil {
						t.Fatal("two events for one change")
					}
					ev = e
				}
			}
			want := map[string]any{"userId": uid, "externalUserId": ext, "sessionId": sid, "status": c.want, "previousStatus": "PENDING"}
			if c.labels != nil {
				want["rejectLabels"] = c.labels
			}
			if !reflect.DeepEqual(ev, want) {
				t.Fatalf("%s %s: event %v\nwant %v", c.typ, c.answer, ev, want)
			}
		}
		if s := w.contents(t); strings.Contains(s, "Dear John") || strings.Contains(s, "born 1990") || strings.Contains(s, "John Q. Public") {
			t.Fatal("a provider's comment or free-text label was stored")
		}
	})
}

// TestSumsubSignature: the digest is checked with the account's algorithm
// (HMAC_SHA256_HEX unless the secret names another); the header may name
// it in any case, or be absent. A header naming another algorithm (even
// with that algorithm's right digest: SHA-1 for a SHA-256 account), a
// wrong or missing digest is 401 and changes nothing.
func TestSumsubSignature(t *testing.T) {
	for _, account := range []struct {
		alg  string
		hash func() hash.Hash
	}{{"", sha256.New}, {"HMAC_SHA512_HEX", sha512.New}, {"HMAC_SHA1_HEX", sha1.New}} {
		t.Run("account "+account.alg, func(t *testing.T) {
			var opts []func(*fixture.Options, string)
			if account.alg != "" {
				opts = append(opts, func(o *fixture.Options, sumsubURL string) {
					doc := strings.Replace(fixture.KYCProvidersJSON(sumsubURL), `"webhookSecret":`, `"webhookDigestAlg":"`+account.alg+`","webhookSecret":`, 1)
					o.KYCProviders = fixture.KYCProvidersFrom(t, doc)
				})
			}
			accountAlg := account.alg
			if accountAlg == "" {
				accountAlg = "HMAC_SHA256_HEX"
			}
			worlds(t, func(t *testing.T, w *world) {
				uid, _ := w.user(t, "sumsub-sig", "DE")
				at := 0
				body := func() []byte {
					at++
					return []byte(sumsubBody("applicantPending", uid, fmt.Sprintf("2026-11-24 09:00:%02d.000", at), "", ""))
				}
				for _, header := range []string{accountAlg, strings.ToLower(accountAlg), ""} {
					b := body()
					r := w.c.Do(http.MethodPost, sumsubPath, apitest.Headers{"X-Payload-Digest": digest(account.hash, fixture.SumsubWebhookSecret, b), "X-Payload-Digest-Alg": header}, string(b))
					if got := outcome(t, r); got != "applied" && got != "recorded" {
						t.Fatalf("%q: %s", header, got)
					}
				}
				snapshot := w.contents(t)
				b := body()
				good := digest(account.hash, fixture.SumsubWebhookSecret, b)
				flipped := good[:len(good)-1] + "0"
				if good[len(good)-1] == '0' {
					flipped = good[:len(good)-1] + "1"
				}
				refused := []apitest.Headers{
					{"X-Payload-Digest": good, "X-Payload-Digest-Alg": "HMAC_MD5_HEX"},
					{"X-Payload-Digest": digest(account.hash, "another-secret-0123456789", b)},
					{"X-Payload-Digest": flipped},
					{"X-Payload-Digest": ""},
					{},
				}
				for alg, h := range map[string]func() hash.Hash{"HMAC_SHA1_HEX": sha1.New, "HMAC_SHA256_HEX": sha256.New, "HMAC_SHA512_HEX": sha512.New} {
					if alg != accountAlg {
						// Another algorithm, named, with its own right digest; and its digest unnamed.
						refused = append(refused, apitest.Headers{"X-Payload-Digest": digest(h, fixture.SumsubWebhookSecret, b), "X-Payload-Digest-Alg": alg},
							apitest.Headers{"X-Payload-Digest": digest(h, fixture.SumsubWebhookSecret, b)},
							apitest.Headers{"X-Payload-Digest": good, "X-Payload-Digest-Alg": alg})
					}
				}
				for i, h := range refused {
					status, code, msg := errorOf(t, w.c.Do(http.MethodPost, sumsubPath, h, string(b)))
					if status != 401 || code != "UNAUTHORIZED" || msg != "Invalid callback signature" {
						t.Fatalf("refusal %d (%v): %d %s %s", i, h, status, code, msg)
					}
				}
				// The good digest over an edited body.
				edited := strings.Replace(string(b), "applicantPending", "applicantOnHold", 1)
				if status, _, _ := errorOf(t, w.c.Do(http.MethodPost, sumsubPath, apitest.Headers{"X-Payload-Digest": good}, edited)); status != 401 {
					t.Fatalf("edited body: %d", status)
				}
				if w.contents(t) != snapshot {
					t.Fatal("a refused callback changed the store")
				}
			}, opts...)
		})
	}
}

// TestOrderingAndReplays: a status only moves by a newer event; the same
// event twice, or an older one arriving late, changes nothing and emits
// nothing; a newer one with the same status records its time only.
func TestOrderingAndReplays(t *testing.T) {
	worlds(t, func(t *testing.T, w *world) {
		uid, _ := w.user(t, "order", "DE")
		w.clk.Add(time.Hour) // the results below are of the hour after the session opened
		approved := sumsubBody("applicantReviewed", uid, "2026-11-24 09:10:00.000", "GREEN", "")
		pendingEarlier := sumsubBody("applicantPending", uid, "2026-11-24 09:05:00.000", "", "")
		if got := outcome(t, w.sumsub(t, approved)); got != "applied" {
			t.Fatal(got)
		}
		snapshot := w.contents(t)
		if got := outcome(t, w.sumsub(t, approved)); got != "stale" {
			t.Fatalf("the same event again: %s", got)
		}
		if got := outcome(t, w.sumsub(t, pendingEarlier)); got != "stale" {
			t.Fatalf("an older event: %s", got)
		}
		if w.contents(t) != snapshot {
			t.Fatal("a replayed or older event changed the store")
		}
		if u, s := w.statuses(t, uid); u != "APPROVED" || s != "APPROVED" {
			t.Fatalf("after replays: %s %s", u, s)
		}
		if n := len(w.changes(t)); n != 1 {
			t.Fatalf("%d events, want 1", n)
		}
		// A newer GREEN: its time recorded, no event; then an event between
		// the two is older than the status and ignored.
		if got := outcome(t, w.sumsub(t, sumsubBody("applicantReviewed", uid, "2026-11-24 09:20:00.000", "GREEN", ""))); got != "recorded" {
			t.Fatalf("newer same status: %s", got)
		}
		if got := outcome(t, w.sumsub(t, sumsubBody("applicantReviewed", uid, "2026-11-24 09:15:00.000", "RED", "FINAL"))); got != "stale" {
			t.Fatalf("between: %s", got)
		}
		// A newer RED moves it, reporting the previous status.
		if got := outcome(t, w.sumsub(t, sumsubBody("applicantReviewed", uid, "2026-11-24 09:30:00.000", "RED", "FINAL"))); got != "applied" {
			t.Fatal(got)
		}
		if u, _ := w.statuses(t, uid); u != "REJECTED" {
			t.Fatalf("after a newer rejection: %s", u)
		}
		ev := w.changes(t)
		if len(ev) != 2 {
			t.Fatalf("%d events, want 2", len(ev))
		}
		for _, e := range ev {
			if e["status"] == "REJECTED" && e["previousStatus"] != "APPROVED" {
				t.Fatalf("event %v", e)
			}
		}
	})
}

// TestIgnoredButAccepted: what a provider sends that this API does not act
// on is 200 (so it is not retried forever) and changes nothing: an unknown
// user, one that is no user id of ours, a type not mapped, an erased user,
// a hosted callback for a Sumsub session and the reverse.
func TestIgnoredButAccepted(t *testing.T) {
	worlds(t, func(t *testing.T, w *world) {
		sumsubUser, sumsubSession := w.user(t, "ignored-sumsub", "DE")
		hostedUser, _ := w.user(t, "ignored-hosted", "MX")
		erased, erasedSession := w.user(t, "ignored-erased", "MX")
		if r := w.c.Do(http.MethodDelete, "/api/partner/v2/users/"+erased, key, ""); r.Status != 204 {
			t.Fatalf("erase: %d", r.Status)
		}
		snapshot := w.contents(t)
		cases := []struct {
			name string
			r    func() *apitest.Response
			want string
		}{
			{"unknown user", func() *apitest.Response {
				return w.sumsub(t, sumsubBody("applicantPending", "5b1f0c6e-3d2a-4c8b-9e7f-1a2b3c4d5e6f", "2026-11-24 09:00:00.000", "", ""))
			}, "unknown_session"},
			{"not our user id", func() *apitest.Response {
				return w.sumsub(t, sumsubBody("applicantPending", "customer-42", "2026-11-24 09:00:00.000", "", ""))
			}, "unknown_session"},
			{"type not mapped", func() *apitest.Response {
				return w.sumsub(t, `{"type":"applicantPersonalInfoChanged","externalUserId":"`+sumsubUser+`","createdAtMs":"2026-11-24 09:00:00.000"}`)
			}, "ignored_type"},
			{"erased user, Sumsub", func() *apitest.Response {
				return w.sumsub(t, sumsubBody("applicantReviewed", erased, "2026-11-24 09:00:00.000", "GREEN", ""))
			}, "unknown_session"},
			{"erased user, hosted", func() *apitest.Response {
				return w.hosted(t, `{"sessionId":"`+erasedSession+`","status":"APPROVED","occurredAt":"2026-11-24T09:00:00Z"}`)
			}, "unknown_session"},
			{"Sumsub session by the hosted callback", func() *apitest.Response {
				return w.hosted(t, `{"sessionId":"`+sumsubSession+`","status":"APPROVED","occurredAt":"2026-11-24T09:00:00Z"}`)
			}, "unknown_session"},
			{"hosted session by Sumsub", func() *apitest.Response {
				return w.sumsub(t, sumsubBody("applicantReviewed", hostedUser, "2026-11-24 09:00:00.000", "GREEN", ""))
			}, "unknown_session"},
			{"unknown hosted session", func() *apitest.Response {
				return w.hosted(t, `{"sessionId":"00000000000000000000000000000000","status":"APPROVED","occurredAt":"2026-11-24T09:00:00Z"}`)
			}, "unknown_session"},
		}
		for _, c := range cases {
			if got := outcome(t, c.r()); got != c.want {
				t.Fatalf("%s: %s, want %s", c.name, got, c.want)
			}
		}
		if w.contents(t) != snapshot {
			t.Fatal("an ignored callback changed the store")
		}
	})
}

// TestHostedCallback: signed with this API's webhook signature (the
// hosted provider's secret, a 5-minute tolerance); its body checked field
// by field; applied like Sumsub's.
func TestHostedCallback(t *testing.T) {
	worlds(t, func(t *testing.T, w *world) {
		uid, sid := w.user(t, "hosted-cb", "MX")
		body := `{"sessionId":"` + sid + `","status":"ACTION_REQUIRED","occurredAt":"2026-11-24T09:00:00.5Z"}`
		snapshot := w.contents(t)
		now := w.clk.Now()
		ts := strconv.FormatInt(now.Unix(), 10)
		old := strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10)
		refused := []apitest.Headers{
			{},
			{"Webhook-Id": "cb_1", "Webhook-Timestamp": ts, "Webhook-Signature": signature.Sign(signature.MustSecret(otherHostedSecret), "cb_1", ts, []byte(body))},
			{"Webhook-Id": "cb_1", "Webhook-Timestamp": old, "Webhook-Signature": signature.Sign(fixture.HostedKey, "cb_1", old, []byte(body))},
			{"Webhook-Id": "cb_1", "Webhook-Timestamp": ts, "Webhook-Signature": signature.Sign(fixture.HostedKey, "cb_1", ts, []byte(body+" "))},
			// Signed as another id: the id is signed.
			{"Webhook-Id": "cb_2", "Webhook-Timestamp": ts, "Webhook-Signature": signature.Sign(fixture.HostedKey, "cb_1", ts, []byte(body))},
			// Without the id it was signed with.
			{"Webhook-Timestamp": ts, "Webhook-Signature": signature.Sign(fixture.HostedKey, "cb_1", ts, []byte(body))},
			// The former scheme: "v1=" and the hex HMAC of timestamp and body.
			{"Webhook-Id": "cb_1", "Webhook-Timestamp": ts, "Webhook-Signature": "v1=" + strings.Repeat("ab", 32)},
			{"Webhook-Timestamp": ts},
			// Sumsub's scheme on the hosted route.
			{"X-Payload-Digest": digest(sha256.New, fixture.HostedWebhookSecret, []byte(body))},
		}
		for i, h := range refused {
			if status, code, _ := errorOf(t, w.c.Do(http.MethodPost, hostedPath, h, body)); status != 401 || code != "UNAUTHORIZED" {
				t.Fatalf("refusal %d: %d %s", i, status, code)
			}
		}
		bad := map[string]string{
			`[]`: "body", `{}`: "sessionId",
			`{"sessionId":"` + sid + `","status":"APPROVED"}`:                                                         "occurredAt",
			`{"sessionId":"` + sid + `","status":"DONE","occurredAt":"2026-11-24T09:00:00Z"}`:                         "status",
			`{"sessionId":"` + sid + `","status":"PENDING","occurredAt":"2026-11-24T09:00:00Z"}`:                      "status",
			`{"sessionId":"` + sid + `","status":"APPROVED","occurredAt":"yesterday"}`:                                "occurredAt",
			`{"sessionId":"x","status":"APPROVED","occurredAt":"2026-11-24T09:00:00Z"}`:                               "sessionId",
			`{"sessionId":"` + sid + `","status":"APPROVED","occurredAt":"2026-11-24T09:00:00Z","note":"hello"}`:      "note",
			`{"sessionId":"` + sid + `","status":"APPROVED","occurredAt":"2026-11-24T09:00:00Z","status":"REJECTED"}`: "status",
		}
		for b, field := range bad {
			r := w.hosted(t, b)
			e, _ := r.JSON()["error"].(map[string]any)
			details, _ := e["details"].([]any)
			if r.Status != 400 || len(details) == 0 || details[0].(map[string]any)["field"] != field {
				t.Fatalf("%s: %d %s, want 400 on %s", b, r.Status, r.Body, field)
			}
		}
		if w.contents(t) != snapshot {
			t.Fatal("a refused callback changed the store")
		}
		if got := outcome(t, w.hosted(t, body)); got != "applied" {
			t.Fatal(got)
		}
		if u, s := w.statuses(t, uid); u != "ACTION_REQUIRED" || s != "ACTION_REQUIRED" {
			t.Fatalf("%s %s", u, s)
		}
		if got := outcome(t, w.hosted(t, body)); got != "stale" {
			t.Fatalf("again: %s", got)
		}
	})
}

// TestStoreOutage: a callback meeting a DynamoDB outage is the dialect's
// 500 with no internal text (the provider retries it later).
func TestStoreOutage(t *testing.T) {
	clk := testkit.NewClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	w := &world{clk: clk, c: fixture.Client(t, &fixture.FailingStore{}, fixture.Options{Now: clk.Now})}
	for name, r := range map[string]*apitest.Response{
		"sumsub": w.sumsub(t, sumsubBody("applicantPending", "5b1f0c6e-3d2a-4c8b-9e7f-1a2b3c4d5e6f", "2026-11-24 09:00:00.000", "", "")),
		"hosted": w.hosted(t, `{"sessionId":"0d5e6f7a8b9c4d1e2f3a4b5c6d7e8f90","status":"APPROVED","occurredAt":"2026-11-24T09:00:00Z"}`),
	} {
		status, code, msg := errorOf(t, r)
		if status != 500 || code != "INTERNAL_SERVER_ERROR" || msg != "Internal server error" || strings.Contains(string(r.Body), "secret-value") {
			t.Fatalf("%s: %d %s", name, status, r.Body)
		}
	}
}

// otherHostedSecret is a well-formed secret that is not the hosted provider's.
const otherHostedSecret = "whsec_mboznUghVlyyrN2CBKAKfq0MLCzsbdGB/mwT/2cP7KY="

// sumsubBodyFor is sumsubBody with another level and applicant.
func sumsubBodyFor(level, applicant, typ, userID, at, answer, rejectType string) string {
	b := sumsubBody(typ, userID, at, answer, rejectType)
	b = strings.Replace(b, `"levelName":"basic-kyc-level"`, `"levelName":"`+level+`"`, 1)
	return strings.Replace(b, `"applicantId":"65bd1c3b2f0e1a"`, `"applicantId":"`+applicant+`"`, 1)
}

// openAt opens a new session for uid in country at the world's clock.
func (w *world) openAt(t *testing.T, uid, country string) string {
	t.Helper()
	r := w.c.Do(http.MethodPost, "/api/partner/v2/users/"+uid+"/kyc/verification-link", key, `{"country":"`+country+`"}`)
	if r.Status != 201 {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	return r.JSON()["data"].(map[string]any)["sessionId"].(string)
}

// changesOf counts the kyc.status_changed events of uid.
func (w *world) changesOf(t *testing.T, uid string) int {
	t.Helper()
	n := 0
	for _, e := range w.changes(t) {
		if e["userId"] == uid {
			n++
		}
	}
	return n
}

// TestVerdictsOnlyMoveForward: the security review's sequence (an approval,
// a final rejection, a new session, the first approval's exact bytes
// again) and each rule behind it, on both stores: a result never applies
// to a session opened after its time; never when it is not newer than the
// last result applied for the user, across the user's sessions and
// providers; a result dated beyond a minute ahead is refused (400) before
// it can hold a session; a Sumsub result for another level, or for another
// applicant than the one the session's first result named, is not the
// session's. Every refusal changes nothing and emits nothing.
func TestVerdictsOnlyMoveForward(t *testing.T) {
	t.Run("reject, new session, old approval arrives", func(t *testing.T) {
		worlds(t, func(t *testing.T, w *world) {
			uid, _ := w.user(t, "forward-review", "DE") // session at 09:00
			w.clk.Add(30 * time.Minute)
			green := sumsubBody("applicantReviewed", uid, "2026-11-24 09:10:00.000", "GREEN", "")
			if got := outcome(t, w.sumsub(t, green)); got != "applied" {
				t.Fatal(got)
			}
			if got := outcome(t, w.sumsub(t, sumsubBody("applicantReviewed", uid, "2026-11-24 09:20:00.000", "RED", "FINAL"))); got != "applied" {
				t.Fatal(got)
			}
			w.openAt(t, uid, "DE") // 09:30, the user PENDING again
			snapshot, events := w.contents(t), w.changesOf(t, uid)
			if got := outcome(t, w.sumsub(t, green)); got != "stale" {
				t.Fatalf("the old approval on the new session: %s", got)
			}
			if u, s := w.statuses(t, uid); u != "PENDING" || s != "PENDING" {
				t.Fatalf("user %s, session %s after the old approval", u, s)
			}
			if w.contents(t) != snapshot || w.changesOf(t, uid) != events {
				t.Fatal("the old approval changed the store or emitted an event")
			}
			// The new session's own result applies.
			w.clk.Add(10 * time.Minute)
			if got := outcome(t, w.sumsub(t, sumsubBody("applicantReviewed", uid, "2026-11-24 09:35:00.000", "GREEN", ""))); got != "applied" {
				t.Fatal(got)
			}
			if u, _ := w.statuses(t, uid); u != "APPROVED" {
				t.Fatal(u)
			}
		})
	})
	t.Run("a result older than its session", func(t *testing.T) {
		worlds(t, func(t *testing.T, w *world) {
			w.clk.Add(time.Hour)
			uid, hostedSession := w.user(t, "forward-older-hosted", "MX") // 10:00
			sumsubUser, _ := w.user(t, "forward-older-sumsub", "DE")
			snapshot := w.contents(t)
			// Neither user has any result yet: only the session's age refuses them.
			if got := outcome(t, w.hosted(t, `{"sessionId":"`+hostedSession+`","status":"APPROVED","occurredAt":"2026-11-24T09:59:59Z"}`)); got != "stale" {
				t.Fatalf("hosted: %s", got)
			}
			if got := outcome(t, w.sumsub(t, sumsubBody("applicantReviewed", sumsubUser, "2026-11-24 09:59:59.999", "GREEN", ""))); got != "stale" {
				t.Fatalf("sumsub: %s", got)
			}
			if w.contents(t) != snapshot || w.changesOf(t, uid)+w.changesOf(t, sumsubUser) != 0 {
				t.Fatal("a result older than its session changed something")
			}
		})
	})
	t.Run("not newer than the user's last result, across sessions and providers", func(t *testing.T) {
		worlds(t, func(t *testing.T, w *world) {
			uid, hostedSession := w.user(t, "forward-across", "MX") // hosted session at 09:00
			w.clk.Add(time.Minute)
			w.openAt(t, uid, "DE") // the Sumsub session, 09:01, the latest
			w.clk.Add(time.Hour)
			// A result for the older, hosted session at 09:30: applied to that
			// session (the user's status follows its latest session).
			if got := outcome(t, w.hosted(t, `{"sessionId":"`+hostedSession+`","status":"REJECTED","occurredAt":"2026-11-24T09:30:00Z"}`)); got != "applied" {
				t.Fatal(got)
			}
			snapshot, events := w.contents(t), w.changesOf(t, uid)
			// Sumsub's result for the latest session, older than 09:30.
			if got := outcome(t, w.sumsub(t, sumsubBody("applicantReviewed", uid, "2026-11-24 09:29:59.999", "GREEN", ""))); got != "stale" {
				t.Fatalf("an older Sumsub result after a newer hosted one: %s", got)
			}
			// Exactly as old.
			if got := outcome(t, w.sumsub(t, sumsubBody("applicantReviewed", uid, "2026-11-24 09:30:00.000", "GREEN", ""))); got != "stale" {
				t.Fatalf("a Sumsub result as old as the hosted one: %s", got)
			}
			if w.contents(t) != snapshot || w.changesOf(t, uid) != events {
				t.Fatal("a result not newer than the user's last changed something")
			}
			if got := outcome(t, w.sumsub(t, sumsubBody("applicantReviewed", uid, "2026-11-24 09:30:00.001", "GREEN", ""))); got != "applied" {
				t.Fatalf("a newer one: %s", got)
			}
			// And back: the hosted session's newer-than-itself but older-than-the-user result.
			if got := outcome(t, w.hosted(t, `{"sessionId":"`+hostedSession+`","status":"APPROVED","occurredAt":"2026-11-24T09:30:00Z"}`)); got != "stale" {
				t.Fatalf("hosted, older than the user's last: %s", got)
			}
		})
	})
	t.Run("an exact replay", func(t *testing.T) {
		worlds(t, func(t *testing.T, w *world) {
			uid, sid := w.user(t, "forward-replay", "MX")
			w.clk.Add(time.Minute)
			body := `{"sessionId":"` + sid + `","status":"IN_REVIEW","occurredAt":"2026-11-24T09:00:30Z"}`
			if got := outcome(t, w.hosted(t, body)); got != "applied" {
				t.Fatal(got)
			}
			snapshot, events := w.contents(t), w.changesOf(t, uid)
			for range 3 {
				if got := outcome(t, w.hosted(t, body)); got != "stale" {
					t.Fatal(got)
				}
			}
			if w.contents(t) != snapshot || w.changesOf(t, uid) != events || events != 1 {
				t.Fatalf("replays changed something (%d events)", w.changesOf(t, uid))
			}
		})
	})
	t.Run("dated in the future", func(t *testing.T) {
		worlds(t, func(t *testing.T, w *world) {
			uid, sid := w.user(t, "forward-future", "MX") // 09:00
			sumsubUser, _ := w.user(t, "forward-future-sumsub", "DE")
			snapshot := w.contents(t)
			for _, r := range []*apitest.Response{
				w.hosted(t, `{"sessionId":"`+sid+`","status":"APPROVED","occurredAt":"9999-12-31T23:59:59Z"}`),
				w.hosted(t, `{"sessionId":"`+sid+`","status":"APPROVED","occurredAt":"2026-11-24T09:01:01Z"}`),
				w.sumsub(t, sumsubBody("applicantReviewed", sumsubUser, "9999-12-31 23:59:59.000", "GREEN", "")),
				w.sumsub(t, sumsubBody("applicantReviewed", sumsubUser, "2026-11-24 09:01:01.000", "GREEN", "")),
			} {
				e, _ := r.JSON()["error"].(map[string]any)
				details, _ := e["details"].([]any)
				if r.Status != 400 || len(details) != 1 || details[0].(map[string]any)["issue"] != "is in the future" {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
			}
			if w.contents(t) != snapshot {
				t.Fatal("a result from the future changed something")
			}
			// Within the minute of skew: applied, and a later verdict still moves it.
			if got := outcome(t, w.hosted(t, `{"sessionId":"`+sid+`","status":"IN_REVIEW","occurredAt":"2026-11-24T09:00:59Z"}`)); got != "applied" {
				t.Fatal(got)
			}
			w.clk.Add(5 * time.Minute)
			if got := outcome(t, w.hosted(t, `{"sessionId":"`+sid+`","status":"APPROVED","occurredAt":"2026-11-24T09:04:00Z"}`)); got != "applied" {
				t.Fatal(got)
			}
			if u, _ := w.statuses(t, uid); u != "APPROVED" {
				t.Fatal(u)
			}
		})
	})
	t.Run("bound to the session by level and applicant", func(t *testing.T) {
		worlds(t, func(t *testing.T, w *world) {
			uid, _ := w.user(t, "forward-bound", "DE")
			w.clk.Add(time.Hour)
			snapshot := w.contents(t)
			if got := outcome(t, w.sumsub(t, sumsubBodyFor("another-level", "65bd1c3b2f0e1a", "applicantReviewed", uid, "2026-11-24 09:10:00.000", "GREEN", ""))); got != "unknown_session" {
				t.Fatalf("another level: %s", got)
			}
			if w.contents(t) != snapshot {
				t.Fatal("another level's result changed something")
			}
			if got := outcome(t, w.sumsub(t, sumsubBodyFor("basic-kyc-level", "applicant-one", "applicantPending", uid, "2026-11-24 09:11:00.000", "", ""))); got != "applied" {
				t.Fatal(got)
			}
			snapshot = w.contents(t)
			if got := outcome(t, w.sumsub(t, sumsubBodyFor("basic-kyc-level", "applicant-two", "applicantReviewed", uid, "2026-11-24 09:12:00.000", "GREEN", ""))); got != "unknown_session" {
				t.Fatalf("another applicant: %s", got)
			}
			if w.contents(t) != snapshot {
				t.Fatal("another applicant's result changed something")
			}
			if got := outcome(t, w.sumsub(t, sumsubBodyFor("basic-kyc-level", "applicant-one", "applicantReviewed", uid, "2026-11-24 09:13:00.000", "GREEN", ""))); got != "applied" {
				t.Fatal(got)
			}
		})
	})
}
