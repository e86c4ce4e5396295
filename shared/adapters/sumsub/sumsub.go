// Package sumsub speaks to Sumsub (https://docs.sumsub.com) as its API
// reference documents: the signed "Generate external WebSDK link" call, and
// the verification and reading of its webhooks.
package sumsub

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Headers of a signed request: the app token, the request's Unix time in
// seconds, and its signature.
const (
	HeaderAppToken  = "X-App-Token"
	HeaderAccessTs  = "X-App-Access-Ts"
	HeaderAccessSig = "X-App-Access-Sig"
)

// WebSDKLinkPath is the "Generate external WebSDK link" method.
const WebSDKLinkPath = "/resources/sdkIntegrations/levels/-/websdkLink"

// Sign is X-App-Access-Sig: the hex HMAC-SHA256, keyed by the app token's
// secret key, of the timestamp, the method in upper case, the path with its
// query, and the body.
func Sign(secretKey string, ts int64, method, pathAndQuery string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secretKey))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte(method))
	m.Write([]byte(pathAndQuery))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Doer sends a request: an *http.Client.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Client calls Sumsub's API.
type Client struct {
	BaseURL   string
	AppToken  string
	SecretKey string
	// HTTP sends the requests (http.DefaultClient when nil).
	HTTP Doer
	Now  func() time.Time
}

// LinkRequest is what a WebSDK link is made for.
type LinkRequest struct {
	// LevelName is the Sumsub level (the partner's templateId).
	LevelName string
	// UserID becomes the applicant's externalUserId: our userId.
	UserID string
	// TTL is the link's lifetime (whole seconds).
	TTL time.Duration
	// Redirect is where the applicant goes after a success or a rejection
	// ("" for Sumsub's own page).
	Redirect string
}

type linkBody struct {
	LevelName string    `json:"levelName"`
	UserID    string    `json:"userId"`
	TTLInSecs int64     `json:"ttlInSecs"`
	Redirect  *redirect `json:"redirect,omitempty"`
}

type redirect struct {
	SuccessURL string `json:"successUrl"`
	RejectURL  string `json:"rejectUrl"`
}

// ErrBadAnswer is an answer that is not a link: a non-200 status (Sumsub's
// error body is not read into the error: it may name the applicant) or a
// body without an absolute https url.
var ErrBadAnswer = errors.New("sumsub: unexpected answer")

// maxAnswer bounds the answer read.
const maxAnswer = 64 << 10

// WebSDKLink generates an external WebSDK link: one signed POST.
func (c *Client) WebSDKLink(ctx context.Context, r LinkRequest) (string, error) {
	b := linkBody{LevelName: r.LevelName, UserID: r.UserID, TTLInSecs: int64(r.TTL / time.Second)}
	if r.Redirect != "" {
		b.Redirect = &redirect{SuccessURL: r.Redirect, RejectURL: r.Redirect}
	}
	body, err := json.Marshal(b)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+WebSDKLinkPath, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	ts := now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set(HeaderAppToken, c.AppToken)
	req.Header.Set(HeaderAccessTs, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderAccessSig, Sign(c.SecretKey, ts, http.MethodPost, req.URL.RequestURI(), body))
	var hc Doer = http.DefaultClient
	if c.HTTP != nil {
		hc = c.HTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%w: status %d", ErrBadAnswer, resp.StatusCode)
	}
	var answer struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(raw, &answer); err != nil {
		return "", fmt.Errorf("%w: not JSON", ErrBadAnswer)
	}
	u, err := url.Parse(answer.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("%w: no https url", ErrBadAnswer)
	}
	return answer.URL, nil
}
