package sumsub

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"strings"
	"time"

	"github.com/partner-identity/api/shared/store"
)

// Headers of a webhook: the hex HMAC of the raw body keyed by the webhook
// secret, and its algorithm (HMAC_SHA256_HEX when absent).
const (
	HeaderDigest    = "X-Payload-Digest"
	HeaderDigestAlg = "X-Payload-Digest-Alg"
)

// Errors of VerifyDigest.
var (
	ErrDigestAlg = errors.New("sumsub: unknown digest algorithm")
	ErrDigest    = errors.New("sumsub: digest missing or wrong")
)

// VerifyDigest checks digest, the hex HMAC of body with secret by alg, in
// constant time.
func VerifyDigest(secret, alg string, body []byte, digest string) error {
	var h func() hash.Hash
	switch alg {
	case "HMAC_SHA1_HEX":
		h = sha1.New
	case "HMAC_SHA256_HEX", "":
		h = sha256.New
	case "HMAC_SHA512_HEX":
		h = sha512.New
	default:
		return ErrDigestAlg
	}
	m := hmac.New(h, []byte(secret))
	m.Write(body)
	want := hex.EncodeToString(m.Sum(nil))
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(digest)), []byte(want)) != 1 {
		return ErrDigest
	}
	return nil
}

// Digest is the hex HMAC-SHA256 of body with secret, as Sumsub signs (for
// tests and stand-ins).
func Digest(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Webhook types this API maps to a status.
const (
	TypePending  = "applicantPending"
	TypeOnHold   = "applicantOnHold"
	TypeReviewed = "applicantReviewed"
)

// Webhook is what this API reads of a Sumsub webhook. Comments
// (moderationComment, clientComment) are not read: they may carry personal
// data.
type Webhook struct {
	Type           string `json:"type"`
	ApplicantID    string `json:"applicantId"`
	LevelName      string `json:"levelName"`
	ExternalUserID string `json:"externalUserId"`
	ReviewStatus   string `json:"reviewStatus"`
	CreatedAtMs    string `json:"createdAtMs"`
	ReviewResult   *struct {
		ReviewAnswer     string   `json:"reviewAnswer"`
		RejectLabels     []string `json:"rejectLabels"`
		ReviewRejectType string   `json:"reviewRejectType"`
	} `json:"reviewResult"`
}

// createdAtLayout is how Sumsub writes createdAtMs: UTC, milliseconds.
const createdAtLayout = "2006-01-02 15:04:05.000"

// ErrMalformed is a body that is not a Sumsub webhook.
var ErrMalformed = errors.New("sumsub: not a webhook body")

// Result is a mapped webhook.
type Result struct {
	// Mapped is false for a type this API does not map (it is ignored).
	Mapped bool
	// UserID is the applicant's externalUserId: our userId.
	UserID       string
	Status       string
	RejectLabels []string
	At           time.Time
}

// Parse reads a webhook body and maps it: applicantPending and
// applicantOnHold are IN_REVIEW; applicantReviewed is APPROVED (GREEN),
// ACTION_REQUIRED (RED, RETRY) or REJECTED (RED, FINAL). A body that is not
// a JSON object with a type, or a mapped type without externalUserId,
// createdAtMs or (reviewed) a known answer, is ErrMalformed.
func Parse(body []byte) (Result, error) {
	var w Webhook
	if err := json.Unmarshal(body, &w); err != nil || w.Type == "" {
		return Result{}, ErrMalformed
	}
	var r Result
	switch w.Type {
	case TypePending, TypeOnHold:
		r.Status = store.KYCInReview
	case TypeReviewed:
		rr := w.ReviewResult
		switch {
		case rr == nil:
			return Result{}, ErrMalformed
		case rr.ReviewAnswer == "GREEN":
			r.Status = store.KYCApproved
		case rr.ReviewAnswer == "RED" && rr.ReviewRejectType == "RETRY":
			r.Status = store.KYCActionRequired
		case rr.ReviewAnswer == "RED" && rr.ReviewRejectType == "FINAL":
			r.Status = store.KYCRejected
		default:
			return Result{}, ErrMalformed
		}
		if rr.ReviewAnswer == "RED" {
			r.RejectLabels = labels(rr.RejectLabels)
		}
	default:
		return Result{}, nil // not mapped: accepted and ignored
	}
	at, err := time.Parse(createdAtLayout, w.CreatedAtMs)
	if err != nil || w.ExternalUserID == "" {
		return Result{}, ErrMalformed
	}
	r.Mapped, r.UserID, r.At = true, w.ExternalUserID, at.UTC()
	return r, nil
}

// labels keeps the reject labels that are Sumsub's codes (A-Z 0-9 _, up to
// 64 characters, at most 32 of them): anything else could be free text.
func labels(in []string) []string {
	var out []string
	for _, l := range in {
		if len(out) < 32 && isCode(l) {
			out = append(out, l)
		}
	}
	return out
}

func isCode(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
