// Package webhooksig is this API's webhook signature: the one partners
// verify on the events they receive, and the one the hosted KYC provider
// signs its callbacks with. Webhook-Signature is "v1=" and the hex
// HMAC-SHA256 of Webhook-Timestamp (Unix seconds), ".", and the raw body;
// several signatures may be given, separated by spaces.
package webhooksig

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of a signed request.
const (
	HeaderID        = "Webhook-Id"        // the event id, the same on every attempt
	HeaderEvent     = "Webhook-Event"     // the event type
	HeaderTimestamp = "Webhook-Timestamp" // Unix seconds of this attempt
	HeaderSignature = "Webhook-Signature" // "v1=" + hex HMAC-SHA256(secret, timestamp + "." + body)
)

// Tolerance is how far a timestamp may be from the receiver's clock.
const Tolerance = 5 * time.Minute

// Errors of Verify.
var (
	ErrTimestamp = errors.New("webhooksig: timestamp missing or outside the tolerance")
	ErrSignature = errors.New("webhooksig: no valid signature")
)

// Sign is the signature header value for a body sent at timestamp.
func Sign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// SetHeaders signs body at now with secret into h.
func SetHeaders(h http.Header, secret string, body []byte, now time.Time) {
	ts := strconv.FormatInt(now.Unix(), 10)
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, Sign(secret, ts, body))
}

// Verify checks the timestamp of h against now and that one of its
// signatures is secret's over body, comparing in constant time.
func Verify(secret string, h http.Header, body []byte, now time.Time) error {
	ts := h.Get(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Sub(time.Unix(sec, 0)).Abs() > Tolerance {
		return ErrTimestamp
	}
	want := []byte(Sign(secret, ts, body))
	ok := 0
	for _, got := range strings.Fields(h.Get(HeaderSignature)) {
		ok |= subtle.ConstantTimeCompare([]byte(got), want) // no early exit
	}
	if ok == 0 {
		return ErrSignature
	}
	return nil
}
