package kyc

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/jsonmember"
)

// The sandbox decides test-mode sessions (provider domain.ProviderSandbox):
// a person on the sandbox's page, or the partner by API, picks an outcome;
// each travels the real path (a signed provider callback, Apply, the
// outbox, a webhook to the partner's test endpoint), but an expiry, which
// the cleanup's own store call makes.

// SandboxPagePath is the sandbox page's path under the API's address.
const SandboxPagePath = "/sandbox/kyc/" + "{sessionId}"

// SandboxOutcome is what the sandbox may decide.
type SandboxOutcome string

// The sandbox's outcomes.
const (
	SandboxApprove     SandboxOutcome = "approve"
	SandboxRejectFinal SandboxOutcome = "reject_final"
	SandboxRejectRetry SandboxOutcome = "reject_retry"
	SandboxResubmit    SandboxOutcome = "resubmit"
	SandboxReview      SandboxOutcome = "review"
	SandboxExpire      SandboxOutcome = "expire"
)

// SandboxOutcomes are the outcomes, in the order the page shows them.
var SandboxOutcomes = []SandboxOutcome{SandboxApprove, SandboxRejectFinal, SandboxRejectRetry, SandboxResubmit, SandboxReview, SandboxExpire}

// Label is how the sandbox's page names o.
func (o SandboxOutcome) Label() string {
	switch o {
	case SandboxApprove:
		return "Approve"
	case SandboxRejectFinal:
		return "Reject (final)"
	case SandboxRejectRetry:
		return "Reject with retry"
	case SandboxResubmit:
		return "Ask for resubmission"
	case SandboxReview:
		return "Hold in review"
	case SandboxExpire:
		return "Expire"
	}
	return string(o)
}

// ParseSandboxOutcome is the outcome named s: Invalid (a problem on field)
// for any other.
func ParseSandboxOutcome(field, s string) (SandboxOutcome, error) {
	o := SandboxOutcome(s)
	if !slices.Contains(SandboxOutcomes, o) {
		names := make([]string, len(SandboxOutcomes))
		for i, x := range SandboxOutcomes {
			names[i] = string(x)
		}
		return "", domain.InvalidInput(domain.Problem{Field: field, Issue: "must be one of " + strings.Join(names, ", ")})
	}
	return o, nil
}

// Verdict is the provider result o makes (its status and reject labels,
// as a provider would send them: Sumsub's RED with RETRY and its labels
// for a retry, RED with FINAL for a final rejection); ok is false for
// SandboxExpire, which no provider sends.
func (o SandboxOutcome) Verdict() (status string, labels []string, ok bool) {
	switch o {
	case SandboxApprove:
		return domain.KYCApproved, nil, true
	case SandboxRejectFinal:
		return domain.KYCRejected, []string{"FORGERY"}, true
	case SandboxRejectRetry:
		return domain.KYCActionRequired, []string{"SELFIE_MISMATCH"}, true
	case SandboxResubmit:
		return domain.KYCActionRequired, []string{"DOCUMENT_PAGE_MISSING"}, true
	case SandboxReview:
		return domain.KYCInReview, nil, true
	}
	return "", nil, false
}

// SandboxSession is test-mode session id of partner partnerID as the
// sandbox may act on it: NotFound for none; Forbidden
// (domain.ReasonTestModeOnly) for an id without the test mark, never read;
// (domain.ReasonTestModeOnly) for a live session, whoever asks; NotFound
// for another partner's too ("" for the sandbox's page, which the
// session's link opened: any test partner's).
func (s *Service) SandboxSession(ctx context.Context, partnerID, id string) (domain.KYCSession, error) {
	switch {
	case !ValidSessionID(id):
		return domain.KYCSession{}, domain.ErrNotFound
	case !domain.TestMarked(id):
		// Not a test-mode session's id: never read (the sandbox's
		// functions may not read a live session).
		return domain.KYCSession{}, domain.E(domain.Forbidden, domain.ReasonTestModeOnly)
	}
	sess, err := s.store.GetKYCSession(ctx, id)
	switch {
	case err != nil:
		return domain.KYCSession{}, err
	case domain.Livemode(sess.PartnerID) || sess.Provider != domain.ProviderSandbox:
		return domain.KYCSession{}, domain.E(domain.Forbidden, domain.ReasonTestModeOnly)
	case partnerID != "" && sess.PartnerID != partnerID:
		return domain.KYCSession{}, domain.ErrNotFound // another partner's: not to be told apart from none
	}
	return sess, nil
}

// SandboxResult is the provider result the sandbox sends for o on sess,
// dated at (ok false for SandboxExpire: ExpireSandboxSession).
func (s *Service) SandboxResult(sess domain.KYCSession, o SandboxOutcome, at time.Time) (Result, bool) {
	status, labels, ok := o.Verdict()
	if !ok {
		return Result{}, false
	}
	return Result{Provider: domain.ProviderSandbox, SessionID: sess.ID, Status: status, At: at, RejectLabels: labels}, true
}

// resultTime is when the sandbox's next result about sess is dated: now
// (to the millisecond, as the callback carries it), or a millisecond past
// the newest result applied to its user when that is as late (two
// decisions within a millisecond both apply, in their order).
func (s *Service) resultTime(ctx context.Context, sess domain.KYCSession) (time.Time, error) {
	u, err := s.store.GetUser(ctx, sess.UserID)
	if err != nil {
		return time.Time{}, err
	}
	at := s.now().UTC().Truncate(time.Millisecond)
	for _, last := range []time.Time{u.KYCResultAt, sess.StatusAt, sess.CreatedAt} {
		if !at.After(last) {
			at = last.Truncate(time.Millisecond).Add(time.Millisecond)
		}
	}
	return at, nil
}

// ExpireSandboxSession expires a pending test-mode session now: its
// expiry (and its user's, when it is the user's latest) moves to now, so
// that both read EXPIRED at once, and the cleanup's next run expires it as
// any other (its kyc.session_expired event). Conflict (ReasonNotPending)
// for a session that is no longer pending.
func (s *Service) ExpireSandboxSession(ctx context.Context, sess domain.KYCSession) error {
	for try := 0; ; try++ {
		if sess.EffectiveStatus(s.now()) != domain.KYCPending {
			return domain.E(domain.Conflict, ReasonNotPending)
		}
		u, err := s.store.GetUser(ctx, sess.UserID)
		if err != nil {
			return err
		}
		err = s.store.ShortenKYCSession(ctx, sess.ID, sess.UserID, u.KYCSessionID == sess.ID, s.now().UTC())
		if !errors.Is(err, domain.ErrStale) || try == 2 {
			return err
		}
		if sess, err = s.store.GetKYCSession(ctx, sess.ID); err != nil {
			return err
		}
	}
}

// ReasonNotPending: the sandbox was asked to expire a session that has a
// result already (Conflict).
const ReasonNotPending = domain.Reason("not_pending")

// SandboxCallbacks sends a sandbox result as the provider's signed
// callback to the API's callback handler, which applies it (Apply): the
// path a provider's result takes (adapters/kycproviders.SandboxCallbacks).
type SandboxCallbacks interface {
	Deliver(ctx context.Context, r Result) (Outcome, error)
}

// Decide applies the sandbox's outcome o to test-mode session id of
// partner partnerID ("" for the sandbox's page: the session's own): a
// result through the callbacks, or an expiry. SandboxSession's errors;
// Conflict (ReasonNotPending) for an expiry of a session with a result.
func (s *Service) Decide(ctx context.Context, partnerID, id string, o SandboxOutcome) (Outcome, error) {
	sess, err := s.SandboxSession(ctx, partnerID, id)
	if err != nil {
		return "", err
	}
	return s.decide(ctx, sess, o)
}

func (s *Service) decide(ctx context.Context, sess domain.KYCSession, o SandboxOutcome) (Outcome, error) {
	at, err := s.resultTime(ctx, sess)
	if err != nil {
		return "", err
	}
	r, ok := s.SandboxResult(sess, o, at)
	if !ok {
		if err := s.ExpireSandboxSession(ctx, sess); err != nil {
			return "", err
		}
		return Applied, nil
	}
	if s.callbacks == nil {
		return "", errors.New("kyc: no sandbox callbacks")
	}
	return s.callbacks.Deliver(ctx, r)
}

// LateRejection rejects partner partnerID's approved test-mode session id
// (a provider's review after its approval): Conflict (ReasonNotApproved)
// for a session that is not approved.
func (s *Service) LateRejection(ctx context.Context, partnerID, id string) (Outcome, error) {
	sess, err := s.SandboxSession(ctx, partnerID, id)
	if err != nil {
		return "", err
	}
	if sess.Status != domain.KYCApproved {
		return "", domain.E(domain.Conflict, ReasonNotApproved)
	}
	return s.decide(ctx, sess, SandboxRejectFinal)
}

// ReasonNotApproved: a late rejection of a session that is not approved
// (Conflict).
const ReasonNotApproved = domain.Reason("not_approved")

// OutOfOrder moves partner partnerID's pending test-mode session id twice,
// IN_REVIEW then APPROVED a millisecond later, each through the callbacks:
// two kyc.status_changed events, the older of which the caller delivers
// again after the newer. Conflict (ReasonNotPending) for a session with a
// result already.
func (s *Service) OutOfOrder(ctx context.Context, partnerID, id string) error {
	sess, err := s.SandboxSession(ctx, partnerID, id)
	if err != nil {
		return err
	}
	if sess.EffectiveStatus(s.now()) != domain.KYCPending {
		return domain.E(domain.Conflict, ReasonNotPending)
	}
	if s.callbacks == nil {
		return errors.New("kyc: no sandbox callbacks")
	}
	at, err := s.resultTime(ctx, sess)
	if err != nil {
		return err
	}
	review, _ := s.SandboxResult(sess, SandboxReview, at)
	approve, _ := s.SandboxResult(sess, SandboxApprove, at.Add(time.Millisecond))
	for _, r := range []Result{review, approve} {
		out, err := s.callbacks.Deliver(ctx, r)
		if err != nil {
			return err
		}
		if out != Applied {
			return domain.E(domain.Conflict, ReasonNotPending)
		}
	}
	return nil
}

// RequestWipe asks for test side partnerID's data to be deleted: the
// cleanup's next run erases every user it made (with its sessions, links,
// identities and personal events). Forbidden (domain.ReasonTestModeOnly)
// for a live partner. The time requested is returned.
func (s *Service) RequestWipe(ctx context.Context, partnerID string) (time.Time, error) {
	w, ok := s.store.(domain.Wipes)
	if domain.Livemode(partnerID) || !ok {
		return time.Time{}, domain.E(domain.Forbidden, domain.ReasonTestModeOnly)
	}
	at := s.now().UTC().Truncate(time.Second)
	return at, w.RequestWipe(ctx, partnerID, at)
}

// MaxSandboxDelay is the longest delay a sandbox outcome may be asked with.
const MaxSandboxDelay = time.Hour

// ScheduleOutcome asks for outcome o on partner partnerID's test-mode
// session id after delay (1 second to MaxSandboxDelay): the cleanup's
// first run at or after it decides the session (Decide), as a provider
// answering later would. SandboxSession's errors. The time it is due,
// and the session as read.
func (s *Service) ScheduleOutcome(ctx context.Context, partnerID, id string, o SandboxOutcome, delay time.Duration) (time.Time, domain.KYCSession, error) {
	sess, err := s.SandboxSession(ctx, partnerID, id)
	if err != nil {
		return time.Time{}, sess, err
	}
	sched, ok := s.store.(domain.SandboxSchedule)
	if !ok {
		return time.Time{}, sess, errors.New("kyc: no sandbox schedule")
	}
	due := s.now().UTC().Add(delay).Truncate(time.Second)
	return due, sess, sched.ScheduleSandboxOutcome(ctx, domain.ScheduledOutcome{PartnerID: sess.PartnerID, SessionID: sess.ID, Outcome: string(o), DueAt: due})
}

// ParseOutcomeRequest checks the sandbox outcome route's body,
// {"outcome", "delaySeconds"?}, one problem per bad field: the outcome and
// its delay (0 for none).
func ParseOutcomeRequest(obj map[string]json.RawMessage) (SandboxOutcome, time.Duration, []domain.Problem) {
	c := jsonmember.Check(obj)
	name, _ := c.Required("outcome")
	var delay time.Duration
	if raw, ok := obj["delaySeconds"]; ok {
		var n int64
		if json.Unmarshal(raw, &n) != nil || n < 1 || n > int64(MaxSandboxDelay/time.Second) {
			c.Fail("delaySeconds", "must be a whole number of seconds from 1 to 3600")
		}
		delay = time.Duration(n) * time.Second
	}
	c.RejectUnknown("outcome", "delaySeconds")
	if len(c.Details) > 0 {
		return "", 0, c.Details
	}
	o, err := ParseSandboxOutcome("outcome", name)
	if e, ok := domain.As(err); ok {
		return "", 0, e.Problems
	}
	return o, delay, nil
}
