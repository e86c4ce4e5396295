package kyc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/outbox"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/kit/logsafe"
	"github.com/partner-identity/api/shared/kit/metrics"
	"github.com/partner-identity/api/shared/kit/wire"
)

// Defaults of a Service.
const (
	defaultSessionTTL = 24 * time.Hour
	// defaultRetention is how long a session is kept after its expiry
	// before DynamoDB TTL may delete it.
	defaultRetention = 30 * 24 * time.Hour
)

// Service opens KYC sessions and applies the providers' results.
type Service struct {
	store      Store
	now        func() time.Time
	sessionTTL time.Duration
	retention  time.Duration
	sumsub     Links
	sandbox    string
	callbacks  SandboxCallbacks
}

// Links is a provider that makes a session's verification link itself
// (Sumsub's WebSDK link, adapters/sumsub): the domain calls no provider
// directly.
type Links interface {
	Link(ctx context.Context, r LinkRequest) (string, error)
}

// LinkRequest is what a provider's link is made for: the provider's level
// (the partner's template), the user, how long it is valid, and where the
// user goes afterwards ("" for nowhere).
type LinkRequest struct {
	Level    string
	UserID   string
	TTL      time.Duration
	Redirect string
}

// Deps are what a Service works with.
type Deps struct {
	Store Store
	Now   func() time.Time
	// SessionTTL is how long a link is valid (24 hours when 0); Retention
	// how long a session is kept after its expiry (30 days when 0).
	SessionTTL time.Duration
	Retention  time.Duration
	// Sumsub makes the links of Sumsub's templates (nil: such a link fails).
	Sumsub Links
	// SandboxLinkURL is the link template of every test-mode session (the
	// sandbox's page, with SessionIDPlaceholder): "" refuses test-mode
	// sessions (test mode is off).
	SandboxLinkURL string
	// SandboxCallbacks sends the sandbox's results as a provider's
	// callbacks (nil: the sandbox decides nothing).
	SandboxCallbacks SandboxCallbacks
}

// New is the service over d.
func New(d Deps) *Service {
	if d.SessionTTL <= 0 {
		d.SessionTTL = defaultSessionTTL
	}
	if d.Retention <= 0 {
		d.Retention = defaultRetention
	}
	return &Service{store: d.Store, now: d.Now, sessionTTL: d.SessionTTL, retention: d.Retention, sumsub: d.Sumsub, sandbox: d.SandboxLinkURL, callbacks: d.SandboxCallbacks}
}

// Store is what the service keeps its sessions in.
type Store interface {
	domain.KYCSessions
	GetUser(ctx context.Context, id string) (domain.User, error)
}

// Opened is a session Open opened: its link, id and expiry.
type Opened struct {
	Link      string
	SessionID string
	ExpiresAt time.Time
}

// Open opens a new session for partner p's user userID: one store call
// (and, for a Sumsub template, a read of the user and Sumsub's link).
// Invalid (ReasonTemplateNotConfigured, ReasonUserType), NotFound,
// NotOwned, Conflict (ReasonAlreadyApproved; ReasonSessionLimit: the user
// holds MaxOpenKYCSessions open sessions, each pending and not past its
// expiry).
func (s *Service) Open(ctx context.Context, p *partners.Partner, userID string, in LinkInput) (Opened, error) {
	tpl, ok := p.KYCTemplates[in.Country]
	if !ok {
		return Opened{}, &domain.Error{Kind: domain.Invalid, Reason: domain.ReasonTemplateNotConfigured, What: in.Country}
	}
	now := s.now().UTC()
	// Whole seconds, so that the index's epoch seconds and the record agree.
	expires := now.Add(s.sessionTTL).Truncate(time.Second)
	sess := domain.KYCSession{
		ID: NewSessionID(domain.Livemode(p.ID)), UserID: userID, PartnerID: p.ID, Country: in.Country,
		TemplateID: tpl.TemplateID, RedirectURI: in.RedirectURI, Provider: tpl.ProviderName(), Status: domain.KYCPending,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: expires, RetainUntil: expires.Add(s.retention),
	}
	var link string
	if !domain.Livemode(p.ID) {
		// Test mode: the sandbox decides, whatever the template names.
		page := s.sandbox
		if page == "" && in.SandboxBase != "" {
			page = strings.TrimRight(in.SandboxBase, "/") + SandboxPagePath
		}
		if page == "" {
			return Opened{}, domain.E(domain.Forbidden, domain.ReasonTestModeOnly)
		}
		sess.Provider = domain.ProviderSandbox
		sess.RetainUntil = testRetention(now, sess.RetainUntil)
		link = buildLink(page, sess.ID, in.RedirectURI)
	} else if sess.Provider == domain.ProviderSumsub {
		// The request is authorised before the provider is called: a
		// provider never hears of another partner's user, of a user that
		// cannot do KYC or of an approved one. Then the provider: a failed
		// call leaves nothing written. The store checks the same rules
		// again in its transaction (the user may change in between); a link
		// made for a request it then refuses is never shown.
		if err := s.authorise(ctx, p, userID); err != nil {
			return Opened{}, err
		}
		var err error
		if link, err = s.sumsubLink(ctx, LinkRequest{Level: tpl.TemplateID, UserID: userID, TTL: s.sessionTTL, Redirect: in.RedirectURI}); err != nil {
			return Opened{}, err
		}
	} else {
		link = buildLink(tpl.LinkURL, sess.ID, in.RedirectURI)
	}
	ev := outbox.MustPersonal(outbox.KYCSessionCreated, p.ID, userID, map[string]string{
		"userId": userID, "sessionId": sess.ID, "country": sess.Country, "expiresAt": wire.Time(expires),
	}, now)
	rejected, err := s.store.OpenKYCSession(ctx, sess, now, ev)
	for try := 0; err == nil && rejected != nil; try++ {
		if err := refusal(p, *rejected); err != nil {
			return Opened{}, err
		}
		switch {
		case len(rejected.OpenKYC) < domain.MaxOpenKYCSessions:
			return Opened{}, domain.E(domain.Invalid, domain.ReasonUserType)
		case try > 0:
			return Opened{}, domain.E(domain.Conflict, domain.ReasonSessionLimit)
		}
		// At the cap: the sessions closed meanwhile leave the open set,
		// and the session is opened once more.
		if err := s.makeRoom(ctx, *rejected); err != nil {
			return Opened{}, err
		}
		rejected, err = s.store.OpenKYCSession(ctx, sess, now, ev)
	}
	if err != nil {
		return Opened{}, err
	}
	metrics.Count(ctx, metrics.KYCLinks, 1)
	return Opened{Link: link, SessionID: sess.ID, ExpiresAt: expires}, nil
}

// testRetention is a test-mode session's retention: at most
// domain.TestSessionRetention from now.
func testRetention(now, retain time.Time) time.Time {
	if limit := now.Add(domain.TestSessionRetention); retain.After(limit) {
		return limit
	}
	return retain
}

// authorise reads partner p's user userID and tells whether a session may
// be opened for it (the rules OpenKYCSession holds in its transaction).
func (s *Service) authorise(ctx context.Context, p *partners.Partner, userID string) error {
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return err
	}
	if err := refusal(p, u); err != nil {
		return err
	}
	return s.makeRoom(ctx, u)
}

// makeRoom makes room for one more session of u when it holds as many
// open ones as it may: those of its open sessions that are closed after
// all (past their expiry, which the cleanup may not have reached yet, or
// gone) leave its open set. Conflict (ReasonSessionLimit) when all are
// still open. At most MaxOpenKYCSessions reads, only at the cap.
func (s *Service) makeRoom(ctx context.Context, u domain.User) error {
	if len(u.OpenKYC) < domain.MaxOpenKYCSessions {
		return nil
	}
	now := s.now()
	var closed []string
	for _, id := range u.OpenKYC {
		sess, err := s.store.GetKYCSession(ctx, id)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			closed = append(closed, id)
		case err != nil:
			return err
		case sess.EffectiveStatus(now) != domain.KYCPending:
			closed = append(closed, id)
		}
	}
	if len(closed) == 0 {
		return domain.E(domain.Conflict, domain.ReasonSessionLimit)
	}
	return s.store.CloseOpenKYC(ctx, u.ID, closed)
}

// refusal is why no session may be opened for u by p, or nil: another
// partner's user, an approved one, one whose type cannot do KYC.
func refusal(p *partners.Partner, u domain.User) error {
	switch {
	case u.PartnerID != p.ID:
		return domain.ErrNotOwned
	case u.KYCStatus == domain.KYCApproved:
		return domain.E(domain.Conflict, domain.ReasonAlreadyApproved)
	case u.Type != "INDIVIDUAL":
		return domain.E(domain.Invalid, domain.ReasonUserType)
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
func NewSessionID(live bool) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	domain.MarkRandom(b[:], live)
	return hex.EncodeToString(b[:])
}

// providerTimeout bounds a call to a provider; it never takes more than
// half of the request's time left, so that the answer still comes in time.
const providerTimeout = 5 * time.Second

// sumsubLink asks Sumsub for r's WebSDK link.
func (s *Service) sumsubLink(ctx context.Context, r LinkRequest) (string, error) {
	if s.sumsub == nil {
		return "", logsafe.Wrap("kyc:sumsub_not_configured", errors.New("no Sumsub account"))
	}
	timeout := providerTimeout
	if end, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(end)/2)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	link, err := s.sumsub.Link(ctx, r)
	if err != nil {
		return "", logsafe.Wrap("kyc:sumsub_link_failed", err)
	}
	return link, nil
}
