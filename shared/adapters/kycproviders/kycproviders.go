// Package kycproviders holds the KYC providers' credentials, a secret of
// their own (Secrets Manager in AWS, a file locally): which only the
// verification link and the providers' callbacks read.
//
//	{"sumsub": {"baseUrl": "https://api.sumsub.com", "appToken": "...", "secretKey": "...", "webhookSecret": "..."},
//	 "hosted": {"webhookSecret": "..."}}
package kycproviders

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/partner-identity/api/shared/domain/kyc"
	"github.com/partner-identity/api/shared/kit/logsafe"

	"github.com/partner-identity/api/shared/adapters/sumsub"
	"github.com/partner-identity/api/shared/domain/jsonmember"
	"github.com/partner-identity/api/shared/webhooks/signature"
)

// Sumsub is the Sumsub account: its API (baseUrl, the app token and its
// secret key, which signs each request) and the secret its webhooks are
// signed with.
type Sumsub struct {
	BaseURL       string `json:"baseUrl"`
	AppToken      string `json:"appToken"`
	SecretKey     string `json:"secretKey"`
	WebhookSecret string `json:"webhookSecret"`
	// WebhookDigestAlg is the digest algorithm the account's webhooks are
	// signed with (HMAC_SHA256_HEX when absent; HMAC_SHA1_HEX or
	// HMAC_SHA512_HEX as set in Sumsub's dashboard): a webhook naming
	// another is refused.
	WebhookDigestAlg string `json:"webhookDigestAlg,omitempty"`
}

// Hosted is the hosted provider: the secret its callbacks are signed with
// (this API's own webhook signature, Standard Webhooks: a "whsec_" secret),
// and its key.
type Hosted struct {
	WebhookSecret string        `json:"webhookSecret"`
	Key           signature.Key `json:"-"`
}

// Config is the parsed secret; a provider absent from it is not
// configured (its templates' links fail, its callbacks are refused).
type Config struct {
	Sumsub *Sumsub `json:"sumsub"`
	Hosted *Hosted `json:"hosted"`
}

// minSecret is the shortest webhook secret accepted (16 bytes).
const minSecret = 16

// Parse reads and validates the secret.
func Parse(data []byte) (*Config, error) {
	var c Config
	if err := jsonmember.DecodeStrict(data, &c); err != nil {
		return nil, fmt.Errorf("kyc providers: %w", err)
	}
	if s := c.Sumsub; s != nil {
		u, err := url.Parse(s.BaseURL)
		loopback := err == nil && (u.Hostname() == "127.0.0.1" || u.Hostname() == "localhost")
		switch {
		case err != nil || u.Host == "" || !(u.Scheme == "https" || u.Scheme == "http" && loopback) || u.RawQuery != "" || u.Fragment != "":
			return nil, errors.New("kyc providers: sumsub.baseUrl must be an https URL without query (http on loopback for tests)")
		case s.AppToken == "" || s.SecretKey == "":
			return nil, errors.New("kyc providers: sumsub.appToken and sumsub.secretKey are required")
		case len(s.WebhookSecret) < minSecret:
			return nil, errors.New("kyc providers: sumsub.webhookSecret must be at least 16 characters")
		case s.WebhookDigestAlg == "":
			s.WebhookDigestAlg = sumsub.DefaultDigestAlg
		case !sumsub.ValidDigestAlg(s.WebhookDigestAlg):
			return nil, errors.New("kyc providers: sumsub.webhookDigestAlg must be HMAC_SHA1_HEX, HMAC_SHA256_HEX or HMAC_SHA512_HEX")
		}
	}
	if h := c.Hosted; h != nil {
		k, err := signature.ParseSecret(h.WebhookSecret)
		if err != nil {
			return nil, errors.New(`kyc providers: hosted.webhookSecret must be "whsec_" and the base64 of 24 to 64 random bytes`)
		}
		h.Key = k
	}
	return &c, nil
}

// SumsubLinks makes the links of Sumsub's templates (kyc.Links) with the
// Sumsub account of the providers secret, read when a link is asked for.
type SumsubLinks struct {
	Providers func(context.Context) (*Config, error)
	// HTTP calls Sumsub (http.DefaultClient when nil); Now signs the calls.
	HTTP *http.Client
	Now  func() time.Time
}

var _ kyc.Links = SumsubLinks{}

// Link asks Sumsub for r's WebSDK link.
func (l SumsubLinks) Link(ctx context.Context, r kyc.LinkRequest) (string, error) {
	cfg, err := l.Providers(ctx)
	if err != nil {
		return "", err
	}
	if cfg == nil || cfg.Sumsub == nil {
		return "", logsafe.Wrap("kyc:sumsub_not_configured", errors.New("the KYC providers secret has no sumsub account"))
	}
	c := &sumsub.Client{BaseURL: cfg.Sumsub.BaseURL, AppToken: cfg.Sumsub.AppToken, SecretKey: cfg.Sumsub.SecretKey, Now: l.Now}
	if l.HTTP != nil {
		c.HTTP = l.HTTP
	}
	return c.WebSDKLink(ctx, sumsub.LinkRequest{LevelName: r.Level, UserID: r.UserID, TTL: r.TTL, Redirect: r.Redirect})
}
