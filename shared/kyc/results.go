package kyc

import (
	"context"
	"errors"
	"time"

	"github.com/partner-identity/api/shared/metrics"
	"github.com/partner-identity/api/shared/outbox"
	"github.com/partner-identity/api/shared/store"
)

// Result is a provider's verdict on a session, as its callback says it.
type Result struct {
	// Provider is store.ProviderHosted or store.ProviderSumsub.
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
}

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
	// Stale: the result is not newer than the session's status (the same
	// callback again, or an older one arriving late).
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
// by a newer result.
func (s *Service) Apply(ctx context.Context, r Result) (Outcome, error) {
	for try := 1; ; try++ {
		out, err := s.applyOnce(ctx, r)
		if errors.Is(err, store.ErrStaleSession) && try < maxApplyTries {
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

func (s *Service) applyOnce(ctx context.Context, r Result) (Outcome, error) {
	var sess store.KYCSession
	var u store.User
	var err error
	if r.Provider == store.ProviderSumsub {
		if u, err = s.store.GetUser(ctx, r.UserID); err == nil {
			if u.KYCSessionID == "" {
				return UnknownSession, nil
			}
			sess, err = s.store.GetKYCSession(ctx, u.KYCSessionID)
		}
	} else if sess, err = s.store.GetKYCSession(ctx, r.SessionID); err == nil {
		u, err = s.store.GetUser(ctx, sess.UserID)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return UnknownSession, nil
	case err != nil:
		return "", err
	case sess.Provider != r.Provider || sess.UserID != u.ID:
		return UnknownSession, nil
	case !sess.StatusAt.IsZero() && !r.At.After(sess.StatusAt):
		return Stale, nil
	}
	now := s.now().UTC()
	c := store.KYCStatusChange{SessionID: sess.ID, UserID: u.ID, From: sess.Status, FromAt: sess.StatusAt,
		To: r.Status, At: r.At, Latest: u.KYCSessionID == sess.ID, Now: now}
	outcome := Applied
	var ev *store.OutboxEvent
	if sess.Status == r.Status {
		outcome, c.Latest = Recorded, false
	} else {
		e := outbox.MustPersonal(outbox.KYCStatusChanged, sess.PartnerID, u.ID, statusChanged{
			UserID: u.ID, ExternalUserID: u.ExternalUserID, SessionID: sess.ID, Status: r.Status,
			PreviousStatus: sess.EffectiveStatus(now), RejectLabels: r.RejectLabels,
		}, now)
		ev = &e
	}
	err = s.store.ChangeKYCStatus(ctx, c, ev)
	if errors.Is(err, store.ErrNotFound) {
		return UnknownSession, nil
	}
	return outcome, err
}
