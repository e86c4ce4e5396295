package delivery

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"github.com/partner-identity/api/shared/kit/logsafe"
	"github.com/partner-identity/api/shared/kit/tracing"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/webhooks/signature"
)

// DefaultTimeout bounds one delivery attempt: connection, TLS, request and
// the partner's answer.
const DefaultTimeout = 5 * time.Second

// What a delivery reads of the partner's answer, at most: its headers
// (Go's default is 10 MB) and its body. An answer over either is a failed
// attempt (ErrResponseTooLarge), so that no endpoint can make a
// dispatcher hold more than a few kilobytes per delivery.
const (
	MaxResponseHeaderBytes = 16 << 10
	MaxResponseBodyBytes   = 64 << 10
)

// ErrResponseTooLarge: the partner's answer had more headers or body
// than a delivery reads.
var ErrResponseTooLarge = &tooLarge{}

type tooLarge struct{}

func (*tooLarge) Error() string   { return "webhooks: the partner's answer is too large" }
func (*tooLarge) LogCode() string { return "webhook_response_too_large" }

// Sender POSTs events.
type Sender struct {
	Client *http.Client
	// Local permits plain http:// URLs and loopback addresses (make run,
	// tests); in Lambda only https:// to public addresses is used.
	Local bool
}

// SenderOptions configure NewSenderWith.
type SenderOptions struct {
	Timeout time.Duration // per attempt (DefaultTimeout when 0)
	// Local: http:// URLs and loopback addresses allowed (never in Lambda).
	Local bool
	// Resolver resolves host names (net.DefaultResolver when nil); the
	// policy is checked on every address it answers, and again on the
	// address dialled.
	Resolver *net.Resolver
	// TLS is the client's TLS configuration (system roots when nil).
	TLS *tls.Config
}

// NewSender returns a sender with a per-attempt timeout.
func NewSender(timeout time.Duration, local bool) *Sender {
	return NewSenderWith(SenderOptions{Timeout: timeout, Local: local})
}

// NewSenderWith returns a sender that follows no redirects (a 3xx is a
// failed attempt), uses no proxy, and connects only to addresses the
// dialling policy allows (Policy): checked on the addresses the name
// resolves to, then on the address dialled (a name that resolves again to
// another address between the two gains nothing).
func NewSenderWith(o SenderOptions) *Sender {
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	policy := Policy{AllowLoopback: o.Local}
	dialer := &net.Dialer{Timeout: o.Timeout, Control: policy.Control}
	return &Sender{Local: o.Local, Client: &http.Client{
		Timeout: o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Transport: tracing.Transport{Base: &http.Transport{
			Proxy:                  nil,
			DialContext:            policy.DialContext(dialer, o.Resolver),
			TLSClientConfig:        o.TLS,
			TLSHandshakeTimeout:    o.Timeout,
			ResponseHeaderTimeout:  o.Timeout,
			MaxResponseHeaderBytes: MaxResponseHeaderBytes,
			MaxIdleConnsPerHost:    4,
			IdleConnTimeout:        90 * time.Second,
		}},
	}}
}

// ErrInsecureURL: a URL that is not https:// (or http:// where allowed).
var ErrInsecureURL = errors.New("webhooks: the webhook URL must use https")

// StatusError is a non-2xx answer.
type StatusError struct{ Status int }

func (e *StatusError) Error() string   { return fmt.Sprintf("webhooks: partner answered %d", e.Status) }
func (e *StatusError) LogCode() string { return "webhook_status_" + strconv.Itoa(e.Status) }

// Send makes one attempt, signed with each of keys (the current first): a
// 2xx is success, anything else an error. status is the partner's answer
// (0 when there was none).
func (s *Sender) Send(ctx context.Context, rawURL string, keys []signature.Key, ev domain.OutboxEvent, now time.Time) (status int, err error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(s.Local && u.Scheme == "http")) {
		return 0, ErrInsecureURL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(ev.Payload))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "partner-identity-webhooks/1")
	req.Header.Set(HeaderEvent, ev.Type)
	signature.SetHeaders(req.Header, keys, ev.ID, ev.Payload, now)
	resp, err := s.Client.Do(req)
	if err != nil {
		var forbidden *ForbiddenAddressError
		if errors.As(err, &forbidden) {
			return 0, forbidden
		}
		if strings.Contains(err.Error(), "server response headers exceeded") {
			return 0, ErrResponseTooLarge
		}
		return 0, logsafe.Wrap(failureCode(err), err)
	}
	defer resp.Body.Close()
	if n, _ := io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponseBodyBytes+1)); n > MaxResponseBodyBytes {
		return resp.StatusCode, ErrResponseTooLarge
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, &StatusError{Status: resp.StatusCode}
	}
	return resp.StatusCode, nil
}

// failureCode names why an attempt got no answer, for the log line and
// the operator: a timeout, the name not resolving, the TLS handshake (an
// untrusted or expired certificate, a name it does not cover), the
// connection refused, reset or closed, else the network. (A refusal by the
// dialling policy is errForbidden's own code.)
func failureCode(err error) string {
	var dns *net.DNSError
	var cert *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var header tls.RecordHeaderError
	var alert tls.AlertError
	var netErr net.Error
	switch {
	case errors.As(err, &netErr) && netErr.Timeout():
		return "webhook_timeout"
	case errors.As(err, &dns):
		return "webhook_dns"
	case errors.As(err, &cert), errors.As(err, &unknown), errors.As(err, &host), errors.As(err, &invalid),
		errors.As(err, &header), errors.As(err, &alert):
		return "webhook_tls"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "webhook_connection_refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "webhook_connection_reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "webhook_connection_closed"
	}
	return "webhook_network"
}
