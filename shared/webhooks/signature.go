// Package webhooks delivers outbox events to partners: signed POSTs with a
// stable event id, retried with backoff, and a dead-letter queue for the
// events that cannot be delivered.
package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
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

// Errors of Verify.
var (
	errNoSignature = errors.New("webhooks: signature or timestamp missing")
	ErrStale       = errors.New("webhooks: timestamp outside the tolerance")
	ErrMismatch    = errors.New("webhooks: signature does not match")
)

// Verify is what a partner runs on a delivery: the timestamp must be within
// tolerance of now (against replays) and the signature must match the body.
// The README shows it as the snippet partners copy.
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	ts, sig := h.Get(headerTimestamp), h.Get(headerSignature)
	if ts == "" || sig == "" {
		return errNoSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errNoSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	want := sign(secret, ts, body)
	for _, got := range strings.Split(sig, " ") { // several during a secret rotation
		if hmac.Equal([]byte(got), []byte(want)) {
			return nil
		}
	}
	return ErrMismatch
}
