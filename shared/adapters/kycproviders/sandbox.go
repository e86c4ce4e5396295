package kycproviders

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/partner-identity/api/shared/domain/kyc"
	"github.com/partner-identity/api/shared/kit/logsafe"
	"github.com/partner-identity/api/shared/kit/wire"
	"github.com/partner-identity/api/shared/webhooks/signature"
)

// SandboxCallbacks sends the sandbox's results (kyc.SandboxCallbacks) as
// the hosted provider's signed callbacks, to Handler: the API's callback
// handler (kyccallbacks' Sandbox), in process. The body is the hosted
// provider's ({"sessionId", "status", "occurredAt"}, and "rejectLabels"),
// signed with the providers secret's hosted.webhookSecret: the handler
// verifies it as any provider's callback, then applies it.
type SandboxCallbacks struct {
	Providers func(context.Context) (*Config, error)
	Handler   http.Handler
	Now       func() time.Time
}

// SandboxCallbackPath is the path the sandbox's callbacks are handed to
// the handler with (no route serves it from outside).
const SandboxCallbackPath = "/kyc/providers/sandbox/webhook"

// Deliver sends r and returns the handler's outcome.
func (c SandboxCallbacks) Deliver(ctx context.Context, r kyc.Result) (kyc.Outcome, error) {
	cfg, err := c.Providers(ctx)
	if err != nil {
		return "", err
	}
	if cfg == nil || cfg.Hosted == nil {
		return "", logsafe.Config("the KYC providers secret", errors.New("has no hosted provider, whose secret signs the sandbox's callbacks"))
	}
	body, err := json.Marshal(struct {
		SessionID    string   `json:"sessionId"`
		Status       string   `json:"status"`
		OccurredAt   string   `json:"occurredAt"`
		RejectLabels []string `json:"rejectLabels,omitempty"`
	}{r.SessionID, r.Status, wire.Time(r.At), r.RejectLabels})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, SandboxCallbackPath, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	var id [12]byte
	_, _ = rand.Read(id[:])
	signature.SetHeaders(req.Header, []signature.Key{cfg.Hosted.Key}, "cb_"+hex.EncodeToString(id[:]), body, c.Now())
	w := &recorder{header: http.Header{}, status: http.StatusOK}
	c.Handler.ServeHTTP(w, req)
	var answer struct {
		Data struct {
			Outcome kyc.Outcome `json:"outcome"`
		} `json:"data"`
	}
	if w.status != http.StatusOK || json.Unmarshal(w.body.Bytes(), &answer) != nil || answer.Data.Outcome == "" {
		return "", logsafe.Wrap("kyc:sandbox_callback_refused", errors.New("the callback handler answered "+http.StatusText(w.status)))
	}
	return answer.Data.Outcome, nil
}

// FormToken is the sandbox page's form token for session id: an HMAC of
// the id under the hosted provider's secret (every container of the
// sandbox's function makes the same, and no other site can).
func FormToken(cfg *Config, sessionID string) string {
	if cfg == nil || cfg.Hosted == nil {
		return ""
	}
	m := hmac.New(sha256.New, []byte("sandbox-form:"+cfg.Hosted.WebhookSecret))
	m.Write([]byte(sessionID))
	return hex.EncodeToString(m.Sum(nil))
}

// recorder is the handler's answer, kept in memory.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}
