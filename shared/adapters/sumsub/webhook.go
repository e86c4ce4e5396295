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

	"github.com/partner-identity/api/shared/domain"
)

// Headers of a webhook: the hex HMAC of the raw body keyed by the webhook
// secret, and its algorithm.
const (
	HeaderDigest    = "X-Payload-Digest"
	HeaderDigestAlg = "X-Payload-Digest-Alg"
)

// The digest algorithms Sumsub signs with; an account is configured for
// one of them (in Sumsub's dashboard, and in this API's KYC providers
// secret), HMAC_SHA256_HEX by default.
const (
	AlgSHA1   = "HMAC_SHA1_HEX"
	AlgSHA256 = "HMAC_SHA256_HEX"
	AlgSHA512 = "HMAC_SHA512_HEX"
	// DefaultDigestAlg is the algorithm of an account that names none.
	DefaultDigestAlg = AlgSHA256
)

// digests are the hash of each algorithm.
var digests = map[string]func() hash.Hash{AlgSHA1: sha1.New, AlgSHA256: sha256.New, AlgSHA512: sha512.New}

// ValidDigestAlg tells whether alg is one of Sumsub's algorithms.
func ValidDigestAlg(alg string) bool { _, ok := digests[alg]; return ok }

// Errors of VerifyDigest.
var (
	ErrDigestAlg = errors.New("sumsub: digest algorithm other than the account's")
	ErrDigest    = errors.New("sumsub: digest missing or wrong")
)

// VerifyDigest checks digest, the hex HMAC of body with secret by the
// account's algorithm alg, in constant time. headerAlg is the algorithm
// the request names (X-Payload-Digest-Alg, compared without regard to
// case): absent, or the account's; a request naming another is refused
// whatever its digest, so that a caller cannot choose a weaker hash.
func VerifyDigest(secret, alg, headerAlg string, body []byte, digest string) error {
	h, ok := digests[alg]
	if !ok || headerAlg != "" && !strings.EqualFold(headerAlg, alg) {
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
	// LevelName and ApplicantID are Sumsub's level and applicant, which
	// bind the result to a session.
	LevelName   string
	ApplicantID string
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
		r.Status = domain.KYCInReview
	case TypeReviewed:
		rr := w.ReviewResult
		switch {
		case rr == nil:
			return Result{}, ErrMalformed
		case rr.ReviewAnswer == "GREEN":
			r.Status = domain.KYCApproved
		case rr.ReviewAnswer == "RED" && rr.ReviewRejectType == "RETRY":
			r.Status = domain.KYCActionRequired
		case rr.ReviewAnswer == "RED" && rr.ReviewRejectType == "FINAL":
			r.Status = domain.KYCRejected
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
	r.LevelName, r.ApplicantID = w.LevelName, w.ApplicantID
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
