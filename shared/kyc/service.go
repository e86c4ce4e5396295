package kyc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/partner-identity/api/shared/kycproviders"
	"github.com/partner-identity/api/shared/logsafe"
	"github.com/partner-identity/api/shared/metrics"
	"github.com/partner-identity/api/shared/outbox"
	"github.com/partner-identity/api/shared/partners"
	"github.com/partner-identity/api/shared/store"
	"github.com/partner-identity/api/shared/sumsub"
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
	// ErrAlreadyApproved: the user's kycStatus is APPROVED; a new session
	// would put it back to PENDING, so none is opened.
	ErrAlreadyApproved = errors.New("kyc: user already approved")
)

// Service opens KYC sessions and applies the providers' results.
type Service struct {
	store      Store
	now        func() time.Time
	sessionTTL time.Duration
	retention  time.Duration
	// providers are the providers' credentials; httpc calls them.
	providers func(context.Context) (*kycproviders.Config, error)
	httpc     sumsub.Doer
}

// UseProviders gives s the providers' credentials, and the client that
// calls them (an *http.Client; http.DefaultClient when nil).
func (s *Service) UseProviders(providers func(context.Context) (*kycproviders.Config, error), c sumsub.Doer) *Service {
	s.providers, s.httpc = providers, c
	return s
}

// New is the service over the sessions of s, with now as its clock: a link
// is valid for sessionTTL (defaultSessionTTL when 0) and an expired session
// is kept for retention (defaultRetention when 0).
func New(s Store, now func() time.Time, sessionTTL, retention time.Duration) *Service {
	if sessionTTL <= 0 {
		sessionTTL = defaultSessionTTL
	}
	if retention <= 0 {
		retention = defaultRetention
	}
	return &Service{store: s, now: now, sessionTTL: sessionTTL, retention: retention}
}

// Store is what the service keeps its sessions in.
type Store interface {
	store.KYCSessions
	GetUser(ctx context.Context, id string) (store.User, error)
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
		TemplateID: tpl.TemplateID, RedirectURI: in.RedirectURI, Provider: tpl.ProviderName(), Status: store.KYCPending,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: expires, RetainUntil: expires.Add(s.retention),
	}
	var link string
	if sess.Provider == store.ProviderSumsub {
		// The request is authorised before the provider is called: a
		// provider never hears of another partner's user, of a user that
		// cannot do KYC or of an approved one. Then the provider: a failed
		// call leaves nothing written. The store checks the same rules
		// again in its transaction (the user may change in between); a link
		// made for a request it then refuses is never shown.
		if err := s.authorise(ctx, p, userID); err != nil {
			return Link{}, err
		}
		var err error
		if link, err = s.sumsubLink(ctx, tpl.TemplateID, userID, s.sessionTTL, in.RedirectURI); err != nil {
			return Link{}, err
		}
	} else {
		link = buildLink(tpl.LinkURL, sess.ID, in.RedirectURI)
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
	case rejected != nil:
		if err := refusal(p, *rejected); err != nil {
			return Link{}, err
		}
		return Link{}, ErrWrongUserType
	}
	metrics.Count(ctx, metrics.KYCLinks, 1)
	return Link{
		KYCLink:   link,
		SessionID: sess.ID,
		ExpiresAt: wire.Time(expires),
	}, nil
}

// authorise reads partner p's user userID and tells whether a session may
// be opened for it (the rules OpenKYCSession holds in its transaction).
func (s *Service) authorise(ctx context.Context, p *partners.Partner, userID string) error {
	u, err := s.store.GetUser(ctx, userID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return ErrUserNotFound
	case err != nil:
		return err
	}
	return refusal(p, u)
}

// refusal is why no session may be opened for u by p, or nil: another
// partner's user, an approved one, one whose type cannot do KYC.
func refusal(p *partners.Partner, u store.User) error {
	switch {
	case u.PartnerID != p.ID:
		return ErrNotOwned
	case u.KYCStatus == store.KYCApproved:
		return ErrAlreadyApproved
	case u.Type != "INDIVIDUAL":
		return ErrWrongUserType
	}
	return nil
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

// providerTimeout bounds a call to a provider; it never takes more than
// half of the request's time left, so that the answer still comes in time.
const providerTimeout = 5 * time.Second

// sumsubLink asks Sumsub for a WebSDK link to level for userID, valid for
// ttl, sending the applicant to redirect afterwards.
func (s *Service) sumsubLink(ctx context.Context, level, userID string, ttl time.Duration, redirect string) (string, error) {
	if s.providers == nil {
		return "", logsafe.Wrap("kyc:providers_not_configured", errors.New("no KYC providers secret"))
	}
	cfg, err := s.providers(ctx)
	if err != nil {
		return "", err
	}
	if cfg.Sumsub == nil {
		return "", logsafe.Wrap("kyc:sumsub_not_configured", errors.New("the KYC providers secret has no sumsub account"))
	}
	timeout := providerTimeout
	if end, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(end)/2)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := &sumsub.Client{BaseURL: cfg.Sumsub.BaseURL, AppToken: cfg.Sumsub.AppToken, SecretKey: cfg.Sumsub.SecretKey, HTTP: s.httpc, Now: s.now}
	link, err := c.WebSDKLink(ctx, sumsub.LinkRequest{LevelName: level, UserID: userID, TTL: ttl, Redirect: redirect})
	if err != nil {
		return "", logsafe.Wrap("kyc:sumsub_link_failed", err)
	}
	return link, nil
}
