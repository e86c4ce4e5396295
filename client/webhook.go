package client

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
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
// headers and raw body as received, and decodes the event. The signature is
// the Standard Webhooks one (https://www.standardwebhooks.com), checked by
// its official Go library: Webhook-Signature holds "v1," and the base64
// HMAC-SHA256, keyed by the decoded "whsec_" secret, of
// "<Webhook-Id>.<Webhook-Timestamp>.<body>" (several space-separated
// signatures during a secret rotation); the timestamp must be within
// WebhookTolerance of now, and the body's id and type those of the
// Webhook-Id and Webhook-Event headers. Deduplicate on the event's Id (it
// is signed): a delivery may come more than once.
func VerifyWebhook(secret string, h http.Header, body []byte, now time.Time) (*WebhookEvent, error) {
	ts := h.Get("Webhook-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Sub(time.Unix(sec, 0)).Abs() > WebhookTolerance {
		return nil, ErrWebhookTimestamp
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return nil, ErrWebhookSignature
	}
	// The timestamp is checked above against now (the library's own check
	// reads the system clock).
	if err := wh.VerifyIgnoringTimestamp(body, h); err != nil {
		return nil, ErrWebhookSignature
	}
	var ev WebhookEvent
	if err := json.Unmarshal(body, &ev); err != nil || ev.Id != h.Get("Webhook-Id") || string(ev.Type) != h.Get("Webhook-Event") {
		return nil, ErrWebhookBody
	}
	return &ev, nil
}
