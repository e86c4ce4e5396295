// Package domain is the API's records, the interfaces of the store that
// keeps them, and its one error type (errors.go). The services that apply
// the rules are in the packages below it. Two stores implement the
// interfaces: adapters/dynamostore (DynamoDB, one table) and
// adapters/memstore (in memory, for local runs and tests), both held to
// one conformance suite (adapters/storetest). The domain imports no HTTP,
// no Lambda type and no AWS SDK (shared/layers' test).
package domain

import (
	"context"
	"github.com/partner-identity/api/shared/domain/ratelimit"
	"sort"
	"time"
)

// KYC statuses of a user and of a session. A session opens PENDING; the
// provider's callbacks move it to IN_REVIEW, ACTION_REQUIRED (the user must
// resubmit), APPROVED or REJECTED; one still PENDING past its expiry is
// EXPIRED. A user's kycStatus is its latest session's (NOT_STARTED before
// any).
const (
	KYCNotStarted     = "NOT_STARTED"
	KYCPending        = "PENDING"
	KYCInReview       = "IN_REVIEW"
	KYCActionRequired = "ACTION_REQUIRED"
	KYCApproved       = "APPROVED"
	KYCRejected       = "REJECTED"
	KYCExpired        = "EXPIRED"
)

// KYC providers of a session.
const (
	ProviderHosted = "hosted"
	ProviderSumsub = "sumsub"
)

// User is a registered user of one partner.
type User struct {
	ID             string
	PartnerID      string
	ExternalUserID string
	Type           string
	Method         string
	Identifier     string // empty for method NONE
	Alias          string // empty when not given
	HasAlias       bool
	KYCStatus      string
	// KYCSessionID and KYCExpiresAt are those of the latest KYC session.
	KYCSessionID string
	KYCExpiresAt time.Time
	// LinkedIdentifierHash is the HMAC of the identifier the user linked
	// (link-identifier); empty when none.
	LinkedIdentifierHash string
	LinkedAt             time.Time
	// KYCResultAt is the provider's time of the newest result applied to
	// any of the user's sessions, whichever provider (zero before any): a
	// result not newer than it never applies.
	KYCResultAt time.Time
	// OpenKYC are the ids of the user's sessions opened and not known to
	// be closed: a result takes one out at once, an expiry when a new
	// session would pass MaxOpenKYCSessions (CloseOpenKYC).
	OpenKYC   []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// MaxOpenKYCSessions is how many open KYC sessions (pending and not past
// their expiry) one user may hold: OpenKYCSession refuses one more.
const MaxOpenKYCSessions = 10

// EffectiveKYCStatus is the user's kycStatus as of now: a pending status
// whose latest session has passed its expiry reads as EXPIRED, whether or
// not the cleanup has run.
func (u User) EffectiveKYCStatus(now time.Time) string {
	if u.KYCStatus == KYCPending && !u.KYCExpiresAt.IsZero() && !now.Before(u.KYCExpiresAt) {
		return KYCExpired
	}
	return u.KYCStatus
}

// KYCSession is one verification session opened for a user.
type KYCSession struct {
	ID          string
	UserID      string
	PartnerID   string
	Country     string
	TemplateID  string
	RedirectURI string
	// Provider is ProviderHosted, ProviderSumsub or (a test-mode
	// session) ProviderSandbox.
	Provider  string
	Status    string
	CreatedAt time.Time
	ExpiresAt time.Time
	// UpdatedAt is when the session last changed; StatusAt the provider's
	// time of the callback that set its status (zero before any), which
	// only a newer callback may change.
	UpdatedAt time.Time
	StatusAt  time.Time
	// ApplicantID is the provider's applicant the session's results are
	// about, recorded from the first result that names one (Sumsub's
	// applicantId): a result naming another applicant is not this
	// session's.
	ApplicantID string
	// RetainUntil is when DynamoDB TTL may delete the record.
	RetainUntil time.Time
}

// KYCStatusChange is a provider's callback applied to a session, as the
// caller read it: the change holds only if nothing changed since.
type KYCStatusChange struct {
	SessionID string
	UserID    string
	// From and FromAt are the session's Status and StatusAt as read.
	From   string
	FromAt time.Time
	// To is the new status, At the provider's time of the callback.
	To string
	At time.Time
	// Latest says the session is the user's latest (as read): the user's
	// kycStatus becomes To with it, if it still is.
	Latest bool
	// ApplicantID, when not "", is recorded on the session (the provider's
	// applicant the result names).
	ApplicantID string
	Now         time.Time
}

// EffectiveStatus is the session's status as of now: a pending session
// past its expiry is EXPIRED even before the cleanup marks it.
func (s KYCSession) EffectiveStatus(now time.Time) string {
	if s.Status == KYCPending && !now.Before(s.ExpiresAt) {
		return KYCExpired
	}
	return s.Status
}

// NewestFirst sorts sessions by creation, newest first (by id among equals,
// so that both stores answer in one order).
func NewestFirst(list []KYCSession) {
	sort.Slice(list, func(i, j int) bool {
		if !list[i].CreatedAt.Equal(list[j].CreatedAt) {
			return list[i].CreatedAt.After(list[j].CreatedAt)
		}
		return list[i].ID > list[j].ID
	})
}

// Guard makes externalUserId unique per partner. It is written with the user
// in one transaction and keeps the hash of the request that created the user
// and the response it got, for replays.
type Guard struct {
	PartnerID      string
	ExternalUserID string
	UserID         string
	RequestHash    string
	Response       []byte
	CreatedAt      time.Time
}

// Users stores users and their externalUserId guards.
type Users interface {
	// CreateUser writes u and g together, or nothing. When a guard for the
	// same partner and externalUserId exists already, it writes nothing and
	// returns that guard. Exactly one of many concurrent calls for one
	// externalUserId writes.
	// ev (the user.created event) is written with them.
	CreateUser(ctx context.Context, u User, g Guard, ev OutboxEvent) (existing *Guard, err error)
	// GetUser returns the user with id, or ErrNotFound.
	GetUser(ctx context.Context, id string) (User, error)
	// GetGuard returns the guard of partnerID's externalUserID, or ErrNotFound.
	GetGuard(ctx context.Context, partnerID, externalUserID string) (Guard, error)
}

// KYCSessions stores KYC sessions.
type KYCSessions interface {
	// OpenKYCSession writes sess and moves its user to PENDING (recording the
	// session as the user's latest and among its OpenKYC) in one step, only
	// if the user exists, belongs to sess.PartnerID, is an INDIVIDUAL, is
	// not APPROVED and holds fewer than MaxOpenKYCSessions OpenKYC.
	// Otherwise it writes
	// nothing and returns ErrNotFound, or the user as found so that the
	// caller can tell which rule failed.
	// ev is written with the session.
	OpenKYCSession(ctx context.Context, sess KYCSession, now time.Time, ev OutboxEvent) (rejectedBy *User, err error)
	// GetKYCSession returns the session with id, or ErrNotFound.
	GetKYCSession(ctx context.Context, id string) (KYCSession, error)
	// ExpiryParts is how many parts the pending sessions are kept in: each
	// is listed on its own, so that a cleanup may work them at once.
	ExpiryParts() int
	// ExpiredKYCSessions lists up to limit ids of pending sessions of part
	// (0 to ExpiryParts()-1) whose expiry is at or before now, through the
	// pending index (never a scan), from cursor ("" for the start). next is
	// "" after the part's last page.
	ExpiredKYCSessions(ctx context.Context, part int, now time.Time, cursor string, limit int) (refs []SessionRef, next string, err error)
	// ExpireKYCSessions marks each pending session of batch that is past
	// its expiry EXPIRED, takes it out of the pending index and writes its
	// event with it; a session no longer pending or not yet expired is left
	// alone, without its event. It returns the ids it expired.
	ExpireKYCSessions(ctx context.Context, batch []Expiry, now time.Time) (expired []string, err error)
	// ChangeKYCStatus applies c in one step: the session's status becomes
	// c.To as of c.At (and leaves the pending index: a session with a
	// result never expires), the user's kycStatus too when c.Latest, the
	// user's KYCResultAt becomes c.At, and ev is written (nil for none);
	// only if the session is still as read (c.From, c.FromAt), the user is
	// live, its KYCResultAt is before c.At and, with c.Latest, the session
	// is still its latest. ErrNotFound when the session or its user is
	// gone, E(Stale, ReasonStaleSession) when either changed (or a result at c.At or
	// later was applied meanwhile).
	ChangeKYCStatus(ctx context.Context, c KYCStatusChange, ev *OutboxEvent) error
	// UserKYC returns the user and up to limit of its KYC sessions, newest
	// first, reading no more than those; ErrNotFound when there is no such
	// user.
	UserKYC(ctx context.Context, userID string, limit int) (User, []KYCSession, error)
	// CloseOpenKYC takes ids (sessions known closed: a result, or past
	// their expiry) out of the user's OpenKYC. ErrNotFound when there is
	// no such user.
	CloseOpenKYC(ctx context.Context, userID string, ids []string) error
	// ShortenKYCSession brings pending session id's expiry forward to at
	// (the sandbox's "expire": the session and, when latest, its user read
	// EXPIRED from at, and the cleanup expires it as any other), with its
	// user's when latest (the session is the user's latest, as read): one
	// step, only while the session is pending and expires after at (and,
	// with latest, is still the user's latest). ErrNotFound when the
	// session or its user is gone; E(Stale, ReasonStaleSession) when either
	// changed.
	ShortenKYCSession(ctx context.Context, id, userID string, latest bool, at time.Time) error
}

// Link says which user holds an identifier (by its HMAC) for a partner.
type Link struct {
	PartnerID string
	Hash      string
	UserID    string
	LinkedAt  time.Time
}

// OutboxEvent is a webhook event written in the same transaction as the
// change it reports; a stream consumer delivers it.
type OutboxEvent struct {
	ID        string
	Type      string
	PartnerID string
	// UserID is set when the payload carries the user's personal data
	// (beyond ids): the event is then kept with the user's and erased with
	// it (EraseUser). "" for an event of ids only.
	UserID  string
	Payload []byte
	// Scrubbed is the payload without the personal data (nil when the
	// payload holds none): it replaces Payload once the event is delivered
	// or its retries end.
	Scrubbed  []byte
	CreatedAt time.Time
	// RetainUntil is when DynamoDB TTL may delete the event.
	RetainUntil time.Time
}

// Links stores identifier links.
type Links interface {
	// LinkIdentifier links hash to the user for partnerID in one step: the
	// link is written (unless the user holds it already), the user records
	// it, the user's previous link oldHash ("" for none) is removed, and ev
	// is written. Nothing is written when another user holds hash
	// (E(Conflict, ReasonIdentifierTaken)), the user is gone (ErrNotFound) or its current link is
	// not oldHash (E(Stale, ReasonStaleUser)).
	// When oldHash is replaced and dropProvider is not "", the user's
	// federated identity with that provider (which rested on the old link)
	// is removed in the same step.
	LinkIdentifier(ctx context.Context, userID, partnerID, hash, oldHash, dropProvider string, ev OutboxEvent, now time.Time) error
	// GetLink returns the link of hash for partnerID, or ErrNotFound.
	GetLink(ctx context.Context, partnerID, hash string) (Link, error)
}

// FederatedIdentity is a user's identity with a provider (a partner's
// identityProvider slug); its subject is the hash of the identifier the
// user linked from that partner.
type FederatedIdentity struct {
	UserID    string
	Provider  string
	PartnerID string
	Subject   string
	CreatedAt time.Time
}

// FederatedIdentities stores federated identities.
type FederatedIdentities interface {
	// PutFederatedIdentity sets fi in one step, only while the user still
	// holds the link fi.Subject for fi.PartnerID: ErrNotFound when the user
	// is gone, E(Stale, ReasonStaleUser) when its link is another. changed is false when
	// the same identity was set already (nothing is written). ev is written
	// with a change, and only then.
	PutFederatedIdentity(ctx context.Context, fi FederatedIdentity, ev OutboxEvent) (changed bool, err error)
	// DeleteFederatedIdentity removes the user's identity with provider,
	// writing ev with it; false when there was none (nothing is written).
	DeleteFederatedIdentity(ctx context.Context, userID, provider string, ev OutboxEvent) (bool, error)
	// ListFederatedIdentities returns the user's identities, by provider.
	ListFederatedIdentities(ctx context.Context, userID string) ([]FederatedIdentity, error)
}

// Expiry is a session to expire and the event that reports it.
type Expiry struct {
	ID    string
	Event OutboxEvent
}

// SessionRef names a listed KYC session and whose it is.
type SessionRef struct {
	ID        string
	UserID    string
	PartnerID string
}

// Delivery statuses of an outbox event, and of its delivery to each
// endpoint.
const (
	OutboxPending   = "pending"   // not delivered yet; attempts are scheduled
	OutboxDelivered = "delivered" // the partner answered 2xx
	OutboxFailed    = "failed"    // every scheduled attempt failed
	// OutboxSkipped: the event's only; when it was dispatched, none of
	// its partner's endpoints (it had some) was subscribed to its type.
	OutboxSkipped = "skipped"
)

// OutboxState is an event as stored, with its delivery state: a delivery
// per endpoint it went to, and their sum.
type OutboxState struct {
	Event OutboxEvent
	// Status is the event's: failed when a delivery failed, else pending
	// while one is, else delivered; before its dispatch pending, after a
	// dispatch that found no endpoint failed, or skipped (none subscribed).
	Status string
	// Attempts counts every attempt (scheduled and redeliveries) at every
	// endpoint; Scheduled is the highest scheduled attempt recorded;
	// LastAttemptAt and LastResponseStatus are the latest attempt's;
	// DeadLettered: a delivery went to the dead-letter queue.
	Attempts           int
	Scheduled          int
	LastAttemptAt      time.Time
	LastResponseStatus int // 0: no answer (timeout, refused, not sent)
	DeadLettered       bool
	// Deliveries are the event's deliveries, by endpoint id.
	Deliveries []Delivery
	// Rev counts the writes of the delivery state (0: none yet).
	Rev int64
}

// Delivery is an event's delivery to one endpoint of its partner.
type Delivery struct {
	EndpointID string
	Status     string // pending, delivered or failed
	// Attempts counts its attempts; Scheduled is the number of the last
	// scheduled one recorded (1: the stream's).
	Attempts           int
	Scheduled          int
	LastAttemptAt      time.Time
	LastResponseStatus int
	DeadLettered       bool
}

// Delivery is st's delivery to endpoint id (a pending one without
// attempts when there is none yet).
func (st OutboxState) Delivery(id string) Delivery {
	for _, d := range st.Deliveries {
		if d.EndpointID == id {
			return d
		}
	}
	return Delivery{EndpointID: id, Status: OutboxPending}
}

// SetDelivery puts d in place of st's delivery to its endpoint (or adds
// it, in endpoint order) and sums the deliveries up again.
func (st *OutboxState) SetDelivery(d Delivery) {
	ds := make([]Delivery, 0, len(st.Deliveries)+1)
	placed := false
	for _, x := range st.Deliveries {
		switch {
		case x.EndpointID == d.EndpointID:
			x, placed = d, true
		case !placed && d.EndpointID < x.EndpointID:
			ds, placed = append(ds, d), true
		}
		ds = append(ds, x)
	}
	if !placed {
		ds = append(ds, d)
	}
	st.Deliveries = ds
	st.Sum()
}

// Sum sets st's totals and status from its deliveries (a state without
// deliveries keeps its status).
func (st *OutboxState) Sum() {
	st.Attempts, st.Scheduled, st.LastAttemptAt, st.LastResponseStatus, st.DeadLettered = 0, 0, time.Time{}, 0, false
	if len(st.Deliveries) == 0 {
		return
	}
	failed, pending := false, false
	for _, d := range st.Deliveries {
		st.Attempts += d.Attempts
		st.Scheduled = max(st.Scheduled, d.Scheduled)
		if !d.LastAttemptAt.Before(st.LastAttemptAt) {
			st.LastAttemptAt, st.LastResponseStatus = d.LastAttemptAt, d.LastResponseStatus
		}
		st.DeadLettered = st.DeadLettered || d.DeadLettered
		failed = failed || d.Status == OutboxFailed
		pending = pending || d.Status == OutboxPending
	}
	switch {
	case failed:
		st.Status = OutboxFailed
	case pending:
		st.Status = OutboxPending
	default:
		st.Status = OutboxDelivered
	}
}

// Settled tells whether no delivery of st is pending (and it was
// dispatched): its payload may lose its personal data.
func (st OutboxState) Settled() bool {
	if len(st.Deliveries) == 0 {
		return st.Status != OutboxPending
	}
	for _, d := range st.Deliveries {
		if d.Status == OutboxPending {
			return false
		}
	}
	return true
}

// OutboxRecord is a new delivery state of an event (RecordDeliveries).
type OutboxRecord struct {
	// State is the new state: its Status, totals and Deliveries are
	// written (its Event is not).
	State OutboxState
	// Scrubbed, when not nil, replaces the payload (the event settled).
	Scrubbed []byte
	// RedeliveryMade removes the mark of a queued redelivery.
	RedeliveryMade bool
}

// Budget is a partner's allowance of one kind of request in a fixed
// window, counted in the store, so that it holds across every container.
type Budget struct {
	PartnerID string
	// Name is what is counted (a test event, a redelivery).
	Name string
	// Window is the window's start; Until its end, after which the count
	// may be deleted.
	Window time.Time
	Until  time.Time
	Limit  int
}

// Counted tells whether b counts anything (a zero Budget does not).
func (b Budget) Counted() bool { return b.Name != "" }

// OutboxQuery selects a partner's events, newest first.
type OutboxQuery struct {
	Type   string // "" for every type
	Status string // "" for every status
	Limit  int
	// After is the cursor: the key of the last event of the previous page.
	After *EventKey
}

// OutboxPage is a page of a partner's events; Next is the cursor of the
// next page (nil at the end).
type OutboxPage struct {
	Events []OutboxState
	Next   *EventKey
}

// EventKey names a stored outbox event: its id, and the user it is kept
// with ("" for none).
type EventKey struct {
	UserID string
	ID     string
}

// Key is the event's EventKey.
func (e OutboxEvent) Key() EventKey { return EventKey{UserID: e.UserID, ID: e.ID} }

// Outbox keeps the delivery state of outbox events.
type Outbox interface {
	// OutboxStatus returns an event as stored with its delivery state
	// (ErrNotFound when the event is gone: deleted by TTL, or erased with
	// its user).
	OutboxStatus(ctx context.Context, k EventKey) (OutboxState, error)
	// RecordDeliveries writes r as event k's delivery state in place of
	// the state of revision prevRev (as read: 0 for none yet), its
	// revision then prevRev+1: E(Stale, ReasonStaleAttempt) when the
	// stored revision is another (another worker wrote first: read again),
	// ErrNotFound when the event is gone.
	RecordDeliveries(ctx context.Context, k EventKey, prevRev int64, r OutboxRecord) error
	// PutOutboxEvent writes an event that reports no change of state (a
	// partner's test event), counted against b in the same step: nothing
	// is written when b is spent (ErrLimited). A zero b counts nothing.
	PutOutboxEvent(ctx context.Context, ev OutboxEvent, b Budget) error
	// QueueRedelivery marks event k as having a redelivery queued at at,
	// counted against b, in one step; nothing is written when a redelivery
	// was marked after since and not made yet (E(Conflict, ReasonRedeliveryQueued)), when b
	// is spent (ErrLimited) or when the event is gone (ErrNotFound).
	// The mark goes when the redelivery is made (RecordDeliveries
	// with RedeliveryMade).
	QueueRedelivery(ctx context.Context, k EventKey, at, since time.Time, b Budget) error
	// CancelRedelivery undoes QueueRedelivery(k, at, ..., b) whose message
	// could not be queued: the mark goes if it is still at's, and b gets
	// its unit back.
	CancelRedelivery(ctx context.Context, k EventKey, at time.Time, b Budget) error
	// ListOutboxEvents returns partnerID's events, newest first (by id:
	// ids sort by time), as q selects. A page may hold fewer than q.Limit
	// events while Next is set.
	ListOutboxEvents(ctx context.Context, partnerID string, q OutboxQuery) (OutboxPage, error)
	// FindOutboxEvent returns partnerID's event eventID (ErrNotFound when
	// there is none, or it is another partner's).
	FindOutboxEvent(ctx context.Context, partnerID, eventID string) (OutboxState, error)
}

// Erasure erases users (DELETE /api/partner/v2/users/{userId}).
type Erasure interface {
	// EraseUser erases partnerID's user userID: the user becomes a
	// tombstone (its id, partner and deletedAt) that every other method
	// reads as ErrNotFound; its externalUserId guard, its identifier link,
	// its federated identities, its KYC sessions and the events kept with
	// it (OutboxEvent.UserID) are deleted, and ev is written. The first
	// write holds the tombstone, the guard, the link and ev, with as many
	// of the rest as one transaction takes; the rest follows in further
	// transactions. A call that stops midway leaves a tombstone, and the
	// next call finishes the work; a call on a finished erasure writes
	// nothing. ErrNotFound when there is no such user (or it is another
	// partner's tombstone), ErrNotOwned when it is another partner's.
	//
	// A user of more than one transaction's items is marked unfinished by
	// the first write until its last: a call returns once its deadline is
	// near (the user is a tombstone already; the rest waits), and the
	// cleanup finishes what is marked (UnfinishedErasures, then EraseUser
	// again).
	EraseUser(ctx context.Context, partnerID, userID string, ev OutboxEvent, now time.Time) error
	// UnfinishedErasures lists up to limit erasures marked unfinished
	// (their UserID and PartnerID).
	UnfinishedErasures(ctx context.Context, limit int) ([]SessionRef, error)
}

// Store is everything the API stores.
type Store interface {
	Wipes
	SandboxSchedule
	Users
	KYCSessions
	Links
	FederatedIdentities
	Outbox
	Erasure
	Partners
	// The partners' rate budgets (package ratelimit).
	ratelimit.Store
}
