package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/partner-identity/api/shared/store"
	"github.com/partner-identity/api/shared/webhooksig"
)

// DefaultTimeout bounds one delivery attempt.
const DefaultTimeout = 5 * time.Second

// Sender POSTs events.
type Sender struct {
	Client *http.Client
	// AllowHTTP permits plain http:// URLs (local runs and tests); in
	// production only https:// is used.
	AllowHTTP bool
}

// NewSender returns a sender with a per-attempt timeout that follows no
// redirects (a 3xx is a failed attempt).
func NewSender(timeout time.Duration, allowHTTP bool) *Sender {
	return &Sender{AllowHTTP: allowHTTP, Client: &http.Client{
		Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           (&net.Dialer{Timeout: timeout}).DialContext,
			TLSHandshakeTimeout:   timeout,
			ResponseHeaderTimeout: timeout,
			MaxIdleConnsPerHost:   4,
		},
	}}
}

// ErrInsecureURL: a plain http:// URL where only https:// is allowed.
var ErrInsecureURL = errors.New("webhooks: the webhook URL must use https")

// StatusError is a non-2xx answer.
type StatusError struct{ Status int }

func (e *StatusError) Error() string   { return fmt.Sprintf("webhooks: partner answered %d", e.Status) }
func (e *StatusError) LogCode() string { return "webhook_status_" + strconv.Itoa(e.Status) }

// Send makes one attempt: a 2xx is success, anything else an error.
func (s *Sender) Send(ctx context.Context, rawURL, secret string, ev store.OutboxEvent, now time.Time) error {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(s.AllowHTTP && u.Scheme == "http")) {
		return ErrInsecureURL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(ev.Payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "partner-identity-webhooks/1")
	req.Header.Set(HeaderID, ev.ID)
	req.Header.Set(HeaderEvent, ev.Type)
	webhooksig.SetHeaders(req.Header, secret, ev.Payload, now)
	resp, err := s.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &StatusError{Status: resp.StatusCode}
	}
	return nil
}
