package kyc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/partner-identity/api/shared/metrics"
	"github.com/partner-identity/api/shared/outbox"
	"github.com/partner-identity/api/shared/partners"
	"github.com/partner-identity/api/shared/store"
	"github.com/partner-identity/api/shared/wire"
)

// Defaults of a Service.
const (
	defaultSessionTTL = 24 * time.Hour
	// defaultRetention is how long a session is kept after its expiry
	// before DynamoDB TTL may delete it.
	defaultRetention = 30 * 24 * time.Hour
)

// Outcomes of Open besides success and store faults.
var (
	ErrTemplateNotConfigured = errors.New("kyc: no template for the country")
	ErrUserNotFound          = errors.New("kyc: user not found")
	ErrNotOwned              = errors.New("kyc: user belongs to another partner")
	ErrWrongUserType         = errors.New("kyc: user type cannot do KYC")
)

// Service opens KYC sessions.
type Service struct {
	store      store.KYCSessions
	now        func() time.Time
	sessionTTL time.Duration
	retention  time.Duration
}

// New is the service over the sessions of s, with now as its clock: a link
// is valid for sessionTTL (defaultSessionTTL when 0) and an expired session
// is kept for retention (defaultRetention when 0).
func New(s store.KYCSessions, now func() time.Time, sessionTTL, retention time.Duration) *Service {
	if sessionTTL <= 0 {
		sessionTTL = defaultSessionTTL
	}
	if retention <= 0 {
		retention = defaultRetention
	}
	return &Service{store: s, now: now, sessionTTL: sessionTTL, retention: retention}
}

// Link is the answer of a successful Open.
type Link struct {
	KYCLink   string `json:"kycLink"`
	SessionID string `json:"sessionId"`
	ExpiresAt string `json:"expiresAt"`
}

// Open opens a new session for partner p's user userID: one store call.
func (s *Service) Open(ctx context.Context, p *partners.Partner, userID string, in LinkInput) (Link, error) {
	tpl, ok := p.KYCTemplates[in.Country]
	if !ok {
		return Link{}, ErrTemplateNotConfigured
	}
	now := s.now().UTC()
	// Whole seconds, so that the index's epoch seconds and the record agree.
	expires := now.Add(s.sessionTTL).Truncate(time.Second)
	sess := store.KYCSession{
		ID: NewSessionID(), UserID: userID, PartnerID: p.ID, Country: in.Country,
		TemplateID: tpl.TemplateID, RedirectURI: in.RedirectURI, Status: store.KYCPending,
		CreatedAt: now, ExpiresAt: expires, RetainUntil: expires.Add(s.retention),
	}
	ev := outbox.MustPersonal(outbox.KYCSessionCreated, p.ID, userID, map[string]string{
		"userId": userID, "sessionId": sess.ID, "country": sess.Country, "expiresAt": wire.Time(expires),
	}, now)
	rejected, err := s.store.OpenKYCSession(ctx, sess, now, ev)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Link{}, ErrUserNotFound
	case err != nil:
		return Link{}, err
	case rejected != nil && rejected.PartnerID != p.ID:
		return Link{}, ErrNotOwned
	case rejected != nil:
		return Link{}, ErrWrongUserType
	}
	metrics.Count(ctx, metrics.KYCLinks, 1)
	return Link{
		KYCLink:   buildLink(tpl.LinkURL, sess.ID, in.RedirectURI),
		SessionID: sess.ID,
		ExpiresAt: wire.Time(expires),
	}, nil
}

// buildLink puts the session id into the template's link and carries the
// partner's redirect to the provider as the redirect_uri query parameter.
func buildLink(linkURL, sessionID, redirect string) string {
	link := strings.ReplaceAll(linkURL, partners.SessionIDPlaceholder, sessionID)
	if redirect == "" {
		return link
	}
	u, err := url.Parse(link)
	if err != nil {
		return link
	}
	q := u.Query()
	q.Set("redirect_uri", redirect)
	u.RawQuery = q.Encode()
	return u.String()
}

// NewSessionID is 128 random bits in hex.
func NewSessionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
