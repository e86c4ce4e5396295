package sumsub_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"hash"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/adapters/sumsub"
	"github.com/partner-identity/api/shared/testkit/sumsubtest"
)

// The Sumsub stand-in (testkit/sumsubtest) checks every request as Sumsub
// documents it, computing the signature on its own, and answers 401 to one
// that fails.

func TestWebSDKLinkIsSignedAsSumsubDocuments(t *testing.T) {
	now := time.Date(2026, 11, 24, 9, 30, 15, 0, time.UTC)
	stand := sumsubtest.New(t)
	stand.Now = func() time.Time { return now }
	c := &sumsub.Client{BaseURL: stand.URL, AppToken: sumsubtest.AppToken, SecretKey: sumsubtest.SecretKey, Now: func() time.Time { return now }}

	url, err := c.WebSDKLink(context.Background(), sumsub.LinkRequest{LevelName: "basic-kyc-level",
		UserID: "0b6f2c1e-5d7a-4c3e-9f1a-2b3c4d5e6f70", TTL: 24 * time.Hour, Redirect: "https://partner.example/kyc/done"})
	if err != nil || url != sumsubtest.LinkURL {
		t.Fatalf("link %q %v", url, err)
	}
	want := map[string]any{"levelName": "basic-kyc-level", "userId": "0b6f2c1e-5d7a-4c3e-9f1a-2b3c4d5e6f70", "ttlInSecs": 86400.0,
		"redirect": map[string]any{"successUrl": "https://partner.example/kyc/done", "rejectUrl": "https://partner.example/kyc/done"}}
	if b := stand.Bodies(); len(b) != 1 || !reflect.DeepEqual(b[0], want) {
		t.Fatalf("bodies %v\nwant %v", b, want)
	}
	// Without a redirect, none is sent.
	if _, err := c.WebSDKLink(context.Background(), sumsub.LinkRequest{LevelName: "l", UserID: "u", TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if _, ok := stand.Bodies()[1]["redirect"]; ok {
		t.Fatalf("body %v", stand.Bodies()[1])
	}
	// Another secret key's signature, or another time, is refused by the
	// stand-in: it checks.
	bad := *c
	bad.SecretKey = "another"
	if _, err := bad.WebSDKLink(context.Background(), sumsub.LinkRequest{LevelName: "l", UserID: "u", TTL: time.Hour}); !errors.Is(err, sumsub.ErrBadAnswer) || stand.Refused() != 1 {
		t.Fatalf("a wrong signature went through: %v (refused %d)", err, stand.Refused())
	}
	late := *c
	late.Now = func() time.Time { return now.Add(time.Minute) }
	if _, err := late.WebSDKLink(context.Background(), sumsub.LinkRequest{LevelName: "l", UserID: "u", TTL: time.Hour}); !errors.Is(err, sumsub.ErrBadAnswer) || stand.Refused() != 2 {
		t.Fatalf("a wrong timestamp went through: %v (refused %d)", err, stand.Refused())
	}
}

func TestWebSDKLinkFailures(t *testing.T) {
	cases := map[string]func(w http.ResponseWriter){
		"error status":   func(w http.ResponseWriter) { http.Error(w, `{"description":"Level not found"}`, http.StatusNotFound) },
		"not JSON":       func(w http.ResponseWriter) { _, _ = w.Write([]byte("<html>")) },
		"no url":         func(w http.ResponseWriter) { _, _ = w.Write([]byte(`{}`)) },
		"not https":      func(w http.ResponseWriter) { _, _ = w.Write([]byte(`{"url":"http://in.sumsub.com/x"}`)) },
		"relative":       func(w http.ResponseWriter) { _, _ = w.Write([]byte(`{"url":"/websdk/p/x"}`)) },
		"server error":   func(w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) },
		"url not string": func(w http.ResponseWriter) { _, _ = w.Write([]byte(`{"url":7}`)) },
	}
	for name, answer := range cases {
		stand := sumsubtest.New(t)
		stand.Answer(answer)
		c := &sumsub.Client{BaseURL: stand.URL, AppToken: sumsubtest.AppToken, SecretKey: sumsubtest.SecretKey}
		if _, err := c.WebSDKLink(context.Background(), sumsub.LinkRequest{LevelName: "l", UserID: "u", TTL: time.Hour}); !errors.Is(err, sumsub.ErrBadAnswer) || stand.Refused() != 0 {
			t.Errorf("%s: %v (refused %d)", name, err, stand.Refused())
		}
	}
	// A provider that does not answer within the context's deadline.
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	defer srv.Close()
	defer close(hang)
	c := &sumsub.Client{BaseURL: srv.URL, AppToken: sumsubtest.AppToken, SecretKey: sumsubtest.SecretKey}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.WebSDKLink(ctx, sumsub.LinkRequest{LevelName: "l", UserID: "u", TTL: time.Hour}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hanging provider: %v", err)
	}
}

// TestVerifyDigestByTheAccountsAlgorithm: a digest is checked with the
// algorithm the account is configured for; the header may name it (in any
// case) or be absent, and naming another algorithm is refused even with a
// digest that the named algorithm would verify (a caller cannot choose
// SHA-1 for an account that signs with SHA-256).
func TestVerifyDigestByTheAccountsAlgorithm(t *testing.T) {
	body := []byte(`{"type":"applicantReviewed","externalUserId":"u"}`)
	const secret = "webhook-secret-of-the-account"
	hexHMAC := func(h func() hash.Hash) string {
		m := hmac.New(h, []byte(secret))
		m.Write(body)
		return hex.EncodeToString(m.Sum(nil))
	}
	algs := map[string]func() hash.Hash{sumsub.AlgSHA1: sha1.New, sumsub.AlgSHA256: sha256.New, sumsub.AlgSHA512: sha512.New}
	for alg, h := range algs {
		for _, header := range []string{"", alg, strings.ToLower(alg), "Hmac_" + alg[len("HMAC_"):]} {
			if err := sumsub.VerifyDigest(secret, alg, header, body, hexHMAC(h)); err != nil {
				t.Errorf("account %s, header %q: %v", alg, header, err)
			}
			if err := sumsub.VerifyDigest(secret, alg, header, body, strings.ToUpper(hexHMAC(h))); err != nil {
				t.Errorf("account %s, header %q, upper-case digest: %v", alg, header, err)
			}
		}
		if err := sumsub.VerifyDigest("another-secret", alg, alg, body, hexHMAC(h)); !errors.Is(err, sumsub.ErrDigest) {
			t.Errorf("%s with another secret: %v", alg, err)
		}
		if err := sumsub.VerifyDigest(secret, alg, alg, append(body, ' '), hexHMAC(h)); !errors.Is(err, sumsub.ErrDigest) {
			t.Errorf("%s over another body: %v", alg, err)
		}
		if err := sumsub.VerifyDigest(secret, alg, "", body, ""); !errors.Is(err, sumsub.ErrDigest) {
			t.Errorf("%s, missing digest: %v", alg, err)
		}
		for other, oh := range algs {
			if other == alg {
				continue
			}
			// The other algorithm's own digest, the header naming it.
			if err := sumsub.VerifyDigest(secret, alg, other, body, hexHMAC(oh)); !errors.Is(err, sumsub.ErrDigestAlg) {
				t.Errorf("account %s, header %s with its digest: %v", alg, other, err)
			}
			// The other algorithm's digest without a header.
			if err := sumsub.VerifyDigest(secret, alg, "", body, hexHMAC(oh)); !errors.Is(err, sumsub.ErrDigest) {
				t.Errorf("account %s, a %s digest without header: %v", alg, other, err)
			}
		}
		for _, header := range []string{"HMAC_MD5_HEX", "SHA256", "none", alg + " "} {
			if err := sumsub.VerifyDigest(secret, alg, header, body, hexHMAC(h)); !errors.Is(err, sumsub.ErrDigestAlg) {
				t.Errorf("account %s, header %q: %v", alg, header, err)
			}
		}
	}
	if err := sumsub.VerifyDigest(secret, "", "", body, hexHMAC(sha256.New)); !errors.Is(err, sumsub.ErrDigestAlg) {
		t.Errorf("no account algorithm: %v", err)
	}
}

func TestParseMapsEachWebhook(t *testing.T) {
	at := time.Date(2024, 2, 2, 17, 23, 16, 368e6, time.UTC)
	reviewed := func(answer, rejectType string) string {
		return `{"applicantId":"65bd1c3b","inspectionId":"65bd1c3b","correlationId":"c","levelName":"basic-kyc-level",
			"externalUserId":"u1","type":"applicantReviewed","sandboxMode":true,"reviewStatus":"completed","createdAtMs":"2024-02-02 17:23:16.368",
			"clientId":"acme","reviewResult":{"reviewAnswer":"` + answer + `","rejectLabels":["FORGERY","Jane Doe's passport"],
			"reviewRejectType":"` + rejectType + `","moderationComment":"Jane Doe, born 1990","clientComment":"x"}}`
	}
	cases := []struct {
		body   string
		status string
		labels []string
	}{
		{`{"type":"applicantPending","externalUserId":"u1","createdAtMs":"2024-02-02 17:23:16.368","reviewStatus":"pending"}`, "IN_REVIEW", nil},
		{`{"type":"applicantOnHold","externalUserId":"u1","createdAtMs":"2024-02-02 17:23:16.368","reviewStatus":"onHold"}`, "IN_REVIEW", nil},
		{reviewed("GREEN", ""), "APPROVED", nil},
		{reviewed("RED", "RETRY"), "ACTION_REQUIRED", []string{"FORGERY"}},
		{reviewed("RED", "FINAL"), "REJECTED", []string{"FORGERY"}},
	}
	for _, c := range cases {
		r, err := sumsub.Parse([]byte(c.body))
		if err != nil || !r.Mapped || r.Status != c.status || r.UserID != "u1" || !r.At.Equal(at) || !reflect.DeepEqual(r.RejectLabels, c.labels) {
			t.Errorf("%s\n-> %+v %v", c.body, r, err)
		}
		if reviewedBody := strings.Contains(c.body, "levelName"); reviewedBody && (r.LevelName != "basic-kyc-level" || r.ApplicantID != "65bd1c3b") {
			t.Errorf("%s: level %q applicant %q, which bind it to its session", c.body, r.LevelName, r.ApplicantID)
		}
	}
	for _, ignored := range []string{`{"type":"applicantCreated","externalUserId":"u1"}`, `{"type":"applicantPersonalInfoChanged"}`} {
		if r, err := sumsub.Parse([]byte(ignored)); err != nil || r.Mapped {
			t.Errorf("%s: %+v %v", ignored, r, err)
		}
	}
	for _, bad := range []string{``, `[]`, `{}`, `{"type":7}`, `not json`,
		`{"type":"applicantPending","createdAtMs":"2024-02-02 17:23:16.368"}`,
		`{"type":"applicantPending","externalUserId":"u1"}`,
		`{"type":"applicantPending","externalUserId":"u1","createdAtMs":"2024-02-02T17:23:16Z"}`,
		`{"type":"applicantReviewed","externalUserId":"u1","createdAtMs":"2024-02-02 17:23:16.368"}`,
		reviewed("YELLOW", ""), reviewed("RED", ""), reviewed("RED", "MAYBE")} {
		if _, err := sumsub.Parse([]byte(bad)); !errors.Is(err, sumsub.ErrMalformed) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}
