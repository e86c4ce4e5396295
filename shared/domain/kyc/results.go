package kyc

import (
	"context"
	"errors"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/outbox"
	"github.com/partner-identity/api/shared/kit/metrics"
)

// Result is a provider's verdict on a session, as its callback says it.
type Result struct {
	// Provider is domain.ProviderHosted or domain.ProviderSumsub.
	Provider string
	// SessionID names the session (the hosted provider's callbacks);
	// UserID names the user, whose latest session it is about (Sumsub's
	// externalUserId).
	SessionID string
	UserID    string
	// Status is one of the result statuses (IN_REVIEW, ACTION_REQUIRED,
	// APPROVED, REJECTED); At the provider's time of it.
	Status       string
	At           time.Time
	RejectLabels []string
	// LevelName and ApplicantID bind a Sumsub result to its session: the
	// level must be the session's template, and the applicant the one the
	// session's first result named ("" when the provider gives none).
	LevelName   string
	ApplicantID string
}

// MaxClockSkew is how far in the future a result's time may be (the
// provider's clock ahead of ours): a result dated later is refused
// (Invalid, ReasonFutureResult), or it would hold its session against
// every later verdict.
const MaxClockSkew = time.Minute

// Outcome is what Apply did with a result. Every outcome is accepted (the
// provider gets a 200 and does not send it again); only Applied changed
// anything.
type Outcome string

const (
	Applied Outcome = "applied"
	// Recorded: a newer result with the session's status as it is: its
	// time is recorded (so an older one arriving later stays out), nothing
	// else changes and no event is written.
	Recorded Outcome = "recorded"
	// UnknownSession: no such session or user (erased, or never ours), or
	// the session is another provider's.
	UnknownSession Outcome = "unknown_session"
	// Stale: the result is not newer than the last result applied to any
	// of the user's sessions (the same callback again, or an older one
	// arriving late), or older than the session it would apply to (a
	// result from before the session was opened is about another one).
	Stale Outcome = "stale"
)

// maxApplyTries bounds the reads again after a concurrent change.
const maxApplyTries = 3

// statusChanged is the data of a kyc.status_changed event. Providers'
// comments are never carried: they may hold personal data.
type statusChanged struct {
	UserID         string   `json:"userId"`
	ExternalUserID string   `json:"externalUserId"`
	SessionID      string   `json:"sessionId"`
	Status         string   `json:"status"`
	PreviousStatus string   `json:"previousStatus"`
	RejectLabels   []string `json:"rejectLabels,omitempty"`
}

// Apply applies a provider's result: reads (the session and its user),
// then one transaction that moves the session, the user when the session
// is its latest, and writes a kyc.status_changed event; only if nothing
// changed since the reads (otherwise it reads again). A status only moves
// by a result newer than every result applied to the user, and never by
// one older than the session; a result dated in the future is refused
// (Invalid, ReasonFutureResult) before anything is read.
func (s *Service) Apply(ctx context.Context, r Result) (Outcome, error) {
	return s.apply(ctx, r, nil)
}

// Begun is an Apply whose first reads are under way (Begin).
type Begun struct {
	s    *Service
	r    Result
	done chan reads
}

// Begin starts the reads Apply of r makes first (the session and its
// user), so that a callback whose signature's secret is still on its way
// reads beside that fetch rather than after it. Nothing is written before
// Apply: a callback that turns out unsigned Drops them. A result dated in
// the future reads nothing (Apply refuses it).
func (s *Service) Begin(ctx context.Context, r Result) *Begun {
	b := &Begun{s: s, r: r, done: make(chan reads, 1)}
	if s.future(r) {
		b.done <- reads{}
		return b
	}
	go func() { b.done <- s.read(ctx, r) }()
	return b
}

// Apply is Service.Apply of the result begun, once its callback is
// proven, with the begun reads as its first.
func (b *Begun) Apply(ctx context.Context) (Outcome, error) {
	rd := <-b.done
	return b.s.apply(ctx, b.r, &rd)
}

// Drop waits for the begun reads and drops them.
func (b *Begun) Drop() { <-b.done }

func (s *Service) future(r Result) bool { return r.At.After(s.now().Add(MaxClockSkew)) }

// apply is Apply, its first try on first when it is not nil.
func (s *Service) apply(ctx context.Context, r Result, first *reads) (Outcome, error) {
	if s.future(r) {
		return "", domain.E(domain.Invalid, domain.ReasonFutureResult)
	}
	for try := 1; ; try++ {
		var rd reads
		if try == 1 && first != nil {
			rd = *first
		} else {
			rd = s.read(ctx, r)
		}
		out, err := s.applyOnce(ctx, r, rd)
		if errors.Is(err, domain.ErrStale) && try < maxApplyTries {
			continue
		}
		switch {
		case err != nil:
			return "", err
		case out == Applied:
			metrics.Count(ctx, metrics.KYCStatusChanges, 1)
		default:
			metrics.Count(ctx, metrics.KYCCallbacksIgnored, 1)
		}
		return out, nil
	}
}

// reads are what one try of Apply reads: the session and its user, or
// the outcome that ends the try there (out), or the store's fault.
type reads struct {
	sess domain.KYCSession
	u    domain.User
	out  Outcome
	err  error
}

// read is r's session and its user: by the session's id (the hosted
// provider), then its user; or by the user's id (Sumsub), then its latest
// session.
func (s *Service) read(ctx context.Context, r Result) reads {
	var rd reads
	if r.Provider == domain.ProviderSumsub {
		if rd.u, rd.err = s.store.GetUser(ctx, r.UserID); rd.err == nil {
			if rd.u.KYCSessionID == "" {
				return reads{out: UnknownSession}
			}
			rd.sess, rd.err = s.store.GetKYCSession(ctx, rd.u.KYCSessionID)
		}
	} else if rd.sess, rd.err = s.store.GetKYCSession(ctx, r.SessionID); rd.err == nil {
		rd.u, rd.err = s.store.GetUser(ctx, rd.sess.UserID)
	}
	if errors.Is(rd.err, domain.ErrNotFound) {
		return reads{out: UnknownSession}
	}
	return rd
}

func (s *Service) applyOnce(ctx context.Context, r Result, rd reads) (Outcome, error) {
	sess, u := rd.sess, rd.u
	switch {
	case rd.err != nil:
		return "", rd.err
	case rd.out != "":
		return rd.out, nil
	case sess.Provider != r.Provider || sess.UserID != u.ID || !bound(sess, r):
		return UnknownSession, nil
	case r.At.Before(sess.CreatedAt),
		!u.KYCResultAt.IsZero() && !r.At.After(u.KYCResultAt),
		!sess.StatusAt.IsZero() && !r.At.After(sess.StatusAt):
		return Stale, nil
	}
	now := s.now().UTC()
	c := domain.KYCStatusChange{SessionID: sess.ID, UserID: u.ID, From: sess.Status, FromAt: sess.StatusAt,
		To: r.Status, At: r.At, Latest: u.KYCSessionID == sess.ID, Now: now}
	if sess.ApplicantID == "" {
		c.ApplicantID = r.ApplicantID
	}
	outcome := Applied
	var ev *domain.OutboxEvent
	if sess.Status == r.Status {
		outcome, c.Latest = Recorded, false
	} else {
		e := outbox.MustPersonal(outbox.KYCStatusChanged, sess.PartnerID, u.ID, statusChanged{
			UserID: u.ID, ExternalUserID: u.ExternalUserID, SessionID: sess.ID, Status: r.Status,
			PreviousStatus: sess.EffectiveStatus(now), RejectLabels: r.RejectLabels,
		}, now)
		ev = &e
	}
	err := s.store.ChangeKYCStatus(ctx, c, ev)
	if errors.Is(err, domain.ErrNotFound) {
		return UnknownSession, nil
	}
	return outcome, err
}

// bound tells whether r may be about sess by what the provider named: its
// level is the session's template, and its applicant the one recorded on
// the session from its first result (any, before one was recorded).
func bound(sess domain.KYCSession, r Result) bool {
	if r.LevelName != "" && r.LevelName != sess.TemplateID {
		return false
	}
	return sess.ApplicantID == "" || r.ApplicantID == sess.ApplicantID
}
