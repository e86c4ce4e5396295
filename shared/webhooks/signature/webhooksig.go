// Package webhooksig is this API's webhook signature, the Standard Webhooks
// specification (https://www.standardwebhooks.com, as Svix, Resend and
// Clerk sign): the one partners verify on the events they receive, and the
// one the hosted KYC provider signs its callbacks with.
//
// A secret is "whsec_" and the standard base64 of 24 to 64 random bytes;
// the key is those bytes. Webhook-Signature is "v1," and the base64
// HMAC-SHA256, keyed by the key, of Webhook-Id, ".", Webhook-Timestamp
// (Unix seconds), ".", and the raw body: the id is signed, so a captured
// delivery cannot be replayed under another id. Several signatures may be
// given, separated by spaces (a secret being rotated: the current and the
// previous one).
package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/partner-identity/api/shared/domain/partners"
)

// Headers of a signed request.
const (
	HeaderID        = "Webhook-Id"        // the event id, the same on every attempt
	HeaderEvent     = "Webhook-Event"     // the event type (not signed: the body holds it too)
	HeaderTimestamp = "Webhook-Timestamp" // Unix seconds of this attempt
	HeaderSignature = "Webhook-Signature" // "v1," + base64 HMAC-SHA256(key, id + "." + timestamp + "." + body), space-separated
)

// Tolerance is how far a timestamp may be from the receiver's clock.
const Tolerance = 5 * time.Minute

// SecretPrefix starts every secret.
const SecretPrefix = "whsec_"

// Key lengths a secret may decode to.
const (
	MinKeyBytes = 24
	MaxKeyBytes = 64
)

// Key is a decoded secret.
type Key []byte

// Errors of ParseSecret and Verify.
var (
	ErrSecretFormat = errors.New(`webhooksig: a secret is "whsec_" and the standard base64 of 24 to 64 random bytes`)
	ErrMissing      = errors.New("webhooksig: Webhook-Id, Webhook-Timestamp or Webhook-Signature missing")
	ErrTimestamp    = errors.New("webhooksig: timestamp outside the tolerance")
	ErrSignature    = errors.New("webhooksig: no valid signature")
)

// ParseSecret decodes a "whsec_" secret (partners.DecodeWebhookSecret).
func ParseSecret(secret string) (Key, error) {
	key, err := partners.DecodeWebhookSecret(secret)
	if err != nil {
		return nil, ErrSecretFormat
	}
	return key, nil
}

// MustSecret is ParseSecret for a secret known to be good (tests, constants).
func MustSecret(secret string) Key {
	k, err := ParseSecret(secret)
	if err != nil {
		panic(err)
	}
	return k
}

// Sign is one signature ("v1,<base64>") of body sent as id at timestamp.
func Sign(key Key, id, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte("."))
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// SetHeaders signs body as id at now with each of keys (current first) into h.
func SetHeaders(h http.Header, keys []Key, id string, body []byte, now time.Time) {
	ts := strconv.FormatInt(now.Unix(), 10)
	sigs := make([]string, len(keys))
	for i, k := range keys {
		sigs[i] = Sign(k, id, ts, body)
	}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, strings.Join(sigs, " "))
}

// Verify checks the timestamp of h against now and that one of its
// signatures is key's over its id and body, comparing in constant time.
func Verify(key Key, h http.Header, body []byte, now time.Time) error {
	// A header's values are joined with commas: API Gateway's payload 2.0
	// adapter splits a value at its commas, and "v1,<base64>" has one.
	id, ts, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), strings.Join(h.Values(HeaderSignature), ",")
	if id == "" || ts == "" || sigs == "" {
		return ErrMissing
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Sub(time.Unix(sec, 0)).Abs() > Tolerance {
		return ErrTimestamp
	}
	want := []byte(Sign(key, id, ts, body))
	ok := 0
	for _, got := range strings.Fields(sigs) {
		ok |= subtle.ConstantTimeCompare([]byte(got), want) // no early exit
	}
	if ok == 0 {
		return ErrSignature
	}
	return nil
}
