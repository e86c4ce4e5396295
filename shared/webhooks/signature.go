// Package webhooks delivers outbox events to partners: signed POSTs with a
// stable event id, retried with backoff, and a dead-letter queue for the
// events that cannot be delivered.
package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// Headers of a delivery.
const (
	HeaderID        = "Webhook-Id"        // the event id, the same on every attempt
	HeaderEvent     = "Webhook-Event"     // the event type
	headerTimestamp = "Webhook-Timestamp" // Unix seconds of this attempt
	headerSignature = "Webhook-Signature" // "v1=" + hex HMAC-SHA256(secret, timestamp + "." + body)
)

// sign is the signature header value for a body sent at timestamp.
func sign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}
