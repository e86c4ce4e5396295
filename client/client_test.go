package client_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/partner-identity/api/client"
)

// The client module's own tests: they run with nothing of the server's
// module (make test runs them in client/).

const rawSecret = "0123456789abcdef0123456789abcdef"

var secret = "whsec_" + base64.StdEncoding.EncodeToString([]byte(rawSecret))

// sign is the Standard Webhooks signature of id.ts.body, made here with the
// standard library alone (not the library VerifyWebhook uses).
func sign(id string, ts int64, body string) string {
	m := hmac.New(sha256.New, []byte(rawSecret))
	m.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "." + body))
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestVerifyWebhook(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	const id = "evt_019b0e1a2b3c0123456789abcdef0123ab"
	body := `{"id":"` + id + `","type":"user.created","createdAt":"2026-12-06T12:00:00.000Z","data":{"userId":"u1","externalUserId":"e1"}}`
	headers := func(id, typ string, ts int64, sig string) http.Header {
		h := http.Header{}
		h.Set("Webhook-Id", id)
		h.Set("Webhook-Event", typ)
		h.Set("Webhook-Timestamp", strconv.FormatInt(ts, 10))
		h.Set("Webhook-Signature", sig)
		return h
	}
	ts := now.Unix()
	ev, err := client.VerifyWebhook(secret, headers(id, "user.created", ts, "v1,bm90IGl0 "+sign(id, ts, body)), []byte(body), now)
	if err != nil || ev.Id != id || ev.Type != "user.created" {
		t.Fatalf("a good delivery (second of two signatures): %v %+v", err, ev)
	}
	cases := []struct {
		name string
		h    http.Header
		body string
		want error
	}{
		{"body changed", headers(id, "user.created", ts, sign(id, ts, body)), body + " ", client.ErrWebhookSignature},
		{"other secret", headers(id, "user.created", ts, "v1,"+base64.StdEncoding.EncodeToString(make([]byte, 32))), body, client.ErrWebhookSignature},
		{"too old", headers(id, "user.created", ts-6*60, sign(id, ts-6*60, body)), body, client.ErrWebhookTimestamp},
		{"too far ahead", headers(id, "user.created", ts+6*60, sign(id, ts+6*60, body)), body, client.ErrWebhookTimestamp},
		{"another event's id", headers("evt_other", "user.created", ts, sign("evt_other", ts, body)), body, client.ErrWebhookBody},
		{"another type", headers(id, "user.deleted", ts, sign(id, ts, body)), body, client.ErrWebhookBody},
	}
	for _, c := range cases {
		if _, err := client.VerifyWebhook(secret, c.h, []byte(c.body), now); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

// TestCreateUserSendsTheKeyAndDecodes: the generated client with
// PartnerAPIKey sends the key header and the body, and decodes a 201.
func TestCreateUserSendsTheKeyAndDecodes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/api/partner/v2/users" || r.Header.Get("partner-api-key") != "pk_test" ||
			string(b) != `{"externalUserId":"partner-user-1","type":"INDIVIDUAL"}` {
			http.Error(w, r.Method+" "+r.URL.Path+" "+string(b), http.StatusTeapot)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"success":true,"data":{"userId":"2f1c6b52-8d8e-4a55-9d53-3c8d2b0f4a11","externalUserId":"partner-user-1","type":"INDIVIDUAL","kycStatus":"NOT_STARTED","createdAt":"2026-12-06T12:00:00.000Z"}}`)
	}))
	defer srv.Close()
	c, err := client.NewClientWithResponses(srv.URL, client.WithRequestEditorFn(client.PartnerAPIKey("pk_test")))
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.CreateUserWithResponse(context.Background(), client.CreateUserJSONRequestBody{ExternalUserId: "partner-user-1", Type: client.CreateUserRequestTypeINDIVIDUAL})
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode() != http.StatusCreated || res.JSON201 == nil || res.JSON201.Data.UserId.String() != "2f1c6b52-8d8e-4a55-9d53-3c8d2b0f4a11" {
		t.Fatalf("%d %s", res.StatusCode(), res.Body)
	}
}
