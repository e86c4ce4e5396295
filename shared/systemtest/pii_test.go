package systemtest_test

import (
	"context"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/partner-identity/api/shared/lambda/cleanup"
	"github.com/partner-identity/api/shared/lambda/dispatch"
	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
	"github.com/partner-identity/api/shared/testkit/moto"
)

// TestPersonalDataMarkers runs every route, the dispatcher and the cleanup
// with marker values, in a container built as in Lambda (DynamoDB on moto),
// then searches all log output and the whole table:
//   - logs: no marker at all (email, phone, externalUserId, identifier,
//     alias, user token, API key), nor any email address or phone number;
//   - the webhook queues: the partner's endpoint refuses some events
//     (user.created, user.identifier_linked: the ones with the most personal
//     data), which go through the retry queue (SQS on moto) to the
//     dead-letter queue: no marker in any message of either;
//   - at rest, once every event is delivered or failed: the API key and the
//     token nowhere; the linked identifier nowhere (the webhook carried it;
//     delivered or failed events lose it), elsewhere only its HMAC; the
//     email, phone, externalUserId and alias only in the user and its guard
//     (the stored first response, for replays), in no event.
func TestPersonalDataMarkers(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if t := r.Header.Get("Webhook-Event"); t == "user.created" || t == "user.identifier_linked" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer hook.Close()
	w := newWorld(t, strings.Replace(fixture.RegistryJSON, "https://hooks.acme.example/identity", hook.URL, 1))
	sq := sqs.NewFromConfig(w.srv.Config(nil, nil))
	retryURL, dlqURL := moto.NewQueue(t, sq, "pii-retries"), moto.NewQueue(t, sq, "pii-dlq")
	c := w.containerAt(t, nil, time.Now().UTC(), dlqURL, retryURL)

	prev := slog.Default()
	logs := apitest.CaptureLogs()
	defer slog.SetDefault(prev)

	const (
		email      = "marker.person@pii-example.org"
		phone      = "+52 440 123 4567"
		phoneE164  = "+524401234567"
		ext        = "ext-marker-7f3a9c"
		alias      = "Alias Marker Zq"
		identifier = "identmarker9f8e7d6c5b4a39281706f5e4d3c2b1a0"
	)
	key := apitest.Headers{"partner-api-key": fixture.KeyAcme}
	r := c.api.Do(http.MethodPost, usersPath, key, `{"externalUserId":"`+ext+`","type":"INDIVIDUAL","method":"PHONE_NUMBER","identifier":"`+phone+`","alias":"`+alias+`"}`)
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	userID := r.JSON()["data"].(map[string]any)["userId"].(string)
	r = c.api.Do(http.MethodPost, usersPath, key, `{"externalUserId":"`+ext+`-2","type":"INDIVIDUAL","method":"EMAIL","identifier":"`+email+`"}`)
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	tok := c.api.Do(http.MethodPost, usersPath+"/"+userID+"/token", key, "").JSON()["data"].(map[string]any)["token"].(string)
	user := apitest.Headers{"User-Authorization": "Bearer " + tok}
	fed := apitest.Headers{"Authorization": "Bearer " + tok}
	for _, step := range []struct {
		method, path string
		h            apitest.Headers
		body         string
	}{
		{http.MethodGet, usersPath + "/" + userID, key, ""},
		{http.MethodGet, usersPath + "?externalUserId=" + ext, key, ""},
		{http.MethodPost, usersPath + "/" + userID + "/kyc/verification-link", key, `{"country":"MX","partnerRedirectUri":"https://acme.example/done"}`},
		{http.MethodPost, "/api/v2/user/link-identifier", user, `{"identifier":"` + identifier + `"}`},
		{http.MethodGet, "/api/v2/user/info", user, ""},
		{http.MethodGet, "/api/v2/user/info", apitest.Headers{"partner-api-key": fixture.KeyAcme, "User-Identifier": identifier}, ""},
		{http.MethodPut, "/federated-identities/acme", fed, ""},
		{http.MethodGet, "/federated-identities", fed, ""},
		{http.MethodDelete, "/federated-identities/acme", fed, ""},
		// refusals log too
		{http.MethodGet, usersPath + "?externalUserId=" + ext + "-unknown", key, ""},
		{http.MethodPost, "/api/v2/user/link-identifier", user, `{"identifier":"` + identifier + `!"}`},
		{http.MethodGet, usersPath + "/" + userID, apitest.Headers{"partner-api-key": fixture.KeyUnknown}, ""},
		{http.MethodPost, usersPath, key, `{"externalUserId":"` + ext + `","type":"BUSINESS","identifier":"` + email + `"}`},
	} {
		if r := c.api.Do(step.method, step.path, step.h, step.body); r.Status >= 500 {
			t.Fatalf("%s %s: %d", step.method, step.path, r.Status)
		}
	}
	evs, err := moto.OutboxEvents(context.Background(), w.db, w.table)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) < 6 {
		t.Fatalf("%d events", len(evs))
	}
	dd := dispatch.Over(c.deps)
	dd.Schedule = []time.Duration{0, 0}
	d := dispatch.With(dd)
	for _, ev := range evs {
		if err := d.Deliver(context.Background(), ev.Key()); err != nil {
			t.Fatal(err)
		}
	}
	var queued []string
	for range 10 {
		bodies, ids := moto.ReceiveAll(t, sq, retryURL)
		if len(bodies) == 0 {
			break
		}
		queued = append(queued, bodies...)
		var e events.SQSEvent
		for i, b := range bodies {
			e.Records = append(e.Records, events.SQSMessage{MessageId: ids[i], Body: b})
		}
		if resp, err := dispatch.Retries(d)(context.Background(), e); err != nil || len(resp.BatchItemFailures) > 0 {
			t.Fatalf("retries: %+v %v", resp, err)
		}
	}
	dead, _ := moto.ReceiveAll(t, sq, dlqURL)
	if len(queued) < 4 || len(dead) < 2 {
		t.Fatalf("%d retry messages, %d dead letters: the queues were not exercised", len(queued), len(dead))
	}
	if _, err := cleanup.New(c.deps).Run(context.Background()); err != nil {
		t.Fatal(err)
	}

	// Logs.
	text := logs.String()
	if strings.Count(text, "\n") < 20 {
		t.Fatalf("only %d log lines captured", strings.Count(text, "\n"))
	}
	markers := []string{email, phone, phoneE164, ext, alias, identifier, tok, fixture.KeyAcme, fixture.KeyUnknown}
	for _, m := range markers {
		if strings.Contains(text, m) {
			t.Errorf("log carries %q", m)
		}
		for _, b := range append(append([]string(nil), queued...), dead...) {
			if strings.Contains(b, m) || strings.Contains(b, hex.EncodeToString([]byte(m))) {
				t.Errorf("a queue message carries %q: %s", m, b)
			}
		}
	}
	if _, _, found := logs.Scan(); len(found) > 0 {
		t.Errorf("log carries %v", found)
	}

	// At rest.
	snap := moto.Snapshot(t, w.db, w.table)
	where := func(m string) (kinds []string) {
		for k, item := range snap {
			if strings.Contains(item, m) || strings.Contains(item, hex.EncodeToString([]byte(m))) {
				kinds = append(kinds, strings.SplitN(strings.Trim(k, `"`), "#", 2)[0]+" "+itemType(item))
			}
		}
		return kinds
	}
	if len(where(ext)) == 0 || len(where(phoneE164)) == 0 {
		t.Fatal("the search finds not even the stored user: it is blind")
	}
	for _, m := range []string{tok, fixture.KeyAcme, fixture.KeyUnknown} {
		if ks := where(m); len(ks) > 0 {
			t.Errorf("a credential is stored: in %v", ks)
		}
	}
	if ks := where(identifier); len(ks) > 0 {
		t.Errorf("the raw identifier is stored in %v, after its event was delivered or failed", ks)
	}
	for _, m := range []string{phoneE164, email, ext, alias} {
		for _, k := range where(m) {
			if !strings.HasPrefix(k, "USER ") && !strings.HasPrefix(k, "PARTNER ") {
				t.Errorf("%q is stored in %s", m, k)
			}
		}
	}
	for k, item := range snap {
		if strings.HasPrefix(strings.Trim(k, `"`), "OUTBOX#") && !strings.Contains(item, "ttl:") {
			t.Errorf("outbox event %s without a TTL", k)
		}
	}
}

func itemType(item string) string {
	i := strings.Index(item, `type:"`)
	if i < 0 {
		return "?"
	}
	rest := item[i+6:]
	return rest[:strings.IndexByte(rest, '"')]
}
