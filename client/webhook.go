package client

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// WebhookTolerance is how far a delivery's Webhook-Timestamp may be from
// the receiver's clock, either way, before VerifyWebhook refuses it as a
// possible replay.
const WebhookTolerance = 5 * time.Minute

// Errors of VerifyWebhook.
var (
	ErrWebhookSignature = errors.New("client: webhook signature does not verify")
	ErrWebhookTimestamp = errors.New("client: webhook timestamp missing or outside the tolerance")
	ErrWebhookBody      = errors.New("client: webhook body is not the event its headers name")
)

// VerifyWebhook checks a delivery to the partner's webhook URL, given its
// headers and raw body as received, and decodes the event: the
// Webhook-Signature (one of its space-separated values, several during a
// secret rotation) must be "v1=" + hex HMAC-SHA256 of
// "<Webhook-Timestamp>.<body>" with secret, the timestamp within
// WebhookTolerance of now, and the body's id and type those of the
// Webhook-Id and Webhook-Event headers. Deduplicate on the event's Id:
// a delivery may come more than once.
func VerifyWebhook(secret string, h http.Header, body []byte, now time.Time) (*WebhookEvent, error) {
	ts := h.Get("Webhook-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Sub(time.Unix(sec, 0)).Abs() > WebhookTolerance {
		return nil, ErrWebhookTimestamp
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	want := []byte("v1=" + hex.EncodeToString(m.Sum(nil)))
	ok := false
	for _, got := range strings.Split(h.Get("Webhook-Signature"), " ") {
		if hmac.Equal([]byte(got), want) {
			ok = true
		}
	}
	if !ok {
		return nil, ErrWebhookSignature
	}
	var ev WebhookEvent
	if err := json.Unmarshal(body, &ev); err != nil || ev.Id != h.Get("Webhook-Id") || string(ev.Type) != h.Get("Webhook-Event") {
		return nil, ErrWebhookBody
	}
	return &ev, nil
}
