// Package memstore is the in-memory store: the same semantics as the
// DynamoDB store, for the local runner and tests.
package memstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/partner-identity/api/shared/domain"
)

// Store is safe for concurrent use.
type Store struct {
	mu       sync.Mutex
	users    map[string]domain.User
	guards   map[guardKey]domain.Guard
	sessions map[string]domain.KYCSession
	links    map[linkKey]domain.Link
	outbox   []domain.OutboxEvent
	fedids   map[string]domain.FederatedIdentity // by userID + "|" + provider
	// wipes are the test sides' requests to delete their data.
	wipes map[string]time.Time
	// scheduled are the sandbox's delayed outcomes, by session.
	scheduled map[string]domain.ScheduledOutcome
	states    map[string]domain.OutboxState
	// tombstones are the erased users: their partner, by user id.
	tombstones map[string]string
	// erasedEvents are the ids of the events erased with their user: the
	// outbox slice, which plays the table's stream for the local runner,
	// keeps their place with the payload gone.
	erasedEvents map[string]bool
	// eventsOf indexes the outbox by the user an event is kept with;
	// eventIndex by event id.
	eventsOf   map[string][]int
	eventIndex map[string]int
	// budgets count the partners' budgets by partner, name and window;
	// redeliveries are the events' queued redeliveries' marks.
	budgets      map[string]int
	redeliveries map[string]time.Time
	// ps are the partners, their keys and audit (partners.go).
	ps partnerState
	// rates are the rate budgets' TATs by partner and budget, under their
	// own lock (every request takes one: ratelimit.go).
	rateMu sync.Mutex
	rates  map[string]int64
}

var _ domain.Store = (*Store)(nil)

// The maps' keys: a partner's externalUserId, a partner's identifier hash.
type (
	guardKey struct{ partnerID, externalUserID string }
	linkKey  struct{ partnerID, hash string }
)

// New returns an empty store.
func New() *Store {
	s := &Store{users: map[string]domain.User{}, guards: map[guardKey]domain.Guard{},
		sessions: map[string]domain.KYCSession{}, links: map[linkKey]domain.Link{}, fedids: map[string]domain.FederatedIdentity{},
		states: map[string]domain.OutboxState{}, tombstones: map[string]string{}, erasedEvents: map[string]bool{}, eventsOf: map[string][]int{},
		eventIndex: map[string]int{}, budgets: map[string]int{}, redeliveries: map[string]time.Time{}}
	s.partnersInit()
	return s
}

// budgetKey names b's count.
func budgetKey(b domain.Budget) string {
	return b.PartnerID + "|" + b.Name + "|" + strconv.FormatInt(b.Window.Unix(), 10)
}

// spend counts one of b, or ErrBudgetSpent; the caller holds the lock.
func (s *Store) spend(b domain.Budget) error {
	if !b.Counted() {
		return nil
	}
	if s.budgets[budgetKey(b)] >= b.Limit {
		return domain.ErrLimited
	}
	s.budgets[budgetKey(b)]++
	return nil
}

func (s *Store) CreateUser(ctx context.Context, u domain.User, g domain.Guard, ev domain.OutboxEvent) (*domain.Guard, error) {
	gk := guardKey{g.PartnerID, g.ExternalUserID}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkKey(ctx); err != nil {
		return nil, err
	}
	if old, ok := s.guards[gk]; ok {
		old.Response = append([]byte(nil), old.Response...)
		return &old, nil
	}
	if _, taken := s.users[u.ID]; taken || s.tombstones[u.ID] != "" {
		return nil, errors.New("memstore: user id taken")
	}
	g.Response = append([]byte(nil), g.Response...)
	s.guards[gk] = g
	s.users[u.ID] = u
	s.emit(ev)
	return nil, nil
}

func (s *Store) GetUser(_ context.Context, id string) (domain.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return domain.User{}, domain.ErrNotFound
	}
	return u, nil
}

func (s *Store) GetGuard(_ context.Context, partnerID, externalUserID string) (domain.Guard, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.guards[guardKey{partnerID, externalUserID}]
	if !ok {
		return domain.Guard{}, domain.ErrNotFound
	}
	g.Response = append([]byte(nil), g.Response...)
	return g, nil
}

func (s *Store) OpenKYCSession(_ context.Context, sess domain.KYCSession, now time.Time, ev domain.OutboxEvent) (*domain.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[sess.UserID]
	if !ok {
		return nil, domain.ErrNotFound
	}
	if u.PartnerID != sess.PartnerID || u.Type != "INDIVIDUAL" || u.KYCStatus == domain.KYCApproved || len(u.OpenKYC) >= domain.MaxOpenKYCSessions {
		return &u, nil
	}
	if _, taken := s.sessions[sess.ID]; taken {
		return nil, errors.New("memstore: session id taken")
	}
	sess.UpdatedAt = sess.CreatedAt
	u.KYCStatus, u.KYCSessionID, u.KYCExpiresAt, u.UpdatedAt = domain.KYCPending, sess.ID, sess.ExpiresAt, now
	u.OpenKYC = slices.Sorted(slices.Values(append(slices.Clone(u.OpenKYC), sess.ID)))
	s.users[u.ID] = u
	s.sessions[sess.ID] = sess
	s.emit(ev)
	return nil, nil
}

func (s *Store) GetKYCSession(_ context.Context, id string) (domain.KYCSession, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[id]
	if !ok {
		return domain.KYCSession{}, domain.ErrNotFound
	}
	return sess, nil
}

// ExpiryParts: the memory store lists its sessions in one part.
func (s *Store) ExpiryParts() int { return 1 }

// ExpiredKYCSessions orders pending expired sessions by id; the cursor is
// the last id returned.
func (s *Store) ExpiredKYCSessions(_ context.Context, part int, now time.Time, cursor string, limit int) ([]domain.SessionRef, string, error) {
	if part != 0 {
		return nil, "", errors.New("memstore: no such part")
	}
	s.mu.Lock()
	var refs []domain.SessionRef
	for id, sess := range s.sessions {
		if sess.Status == domain.KYCPending && !now.Before(sess.ExpiresAt) && id > cursor {
			refs = append(refs, domain.SessionRef{ID: id, UserID: sess.UserID, PartnerID: sess.PartnerID})
		}
	}
	s.mu.Unlock()
	sort.Slice(refs, func(i, j int) bool { return refs[i].ID < refs[j].ID })
	if len(refs) <= limit {
		return refs, "", nil
	}
	return refs[:limit], refs[limit-1].ID, nil
}

func (s *Store) ExpireKYCSessions(_ context.Context, batch []domain.Expiry, now time.Time) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var expired []string
	for _, e := range batch {
		sess, ok := s.sessions[e.ID]
		if !ok || sess.Status != domain.KYCPending || now.Before(sess.ExpiresAt) {
			continue
		}
		sess.Status, sess.UpdatedAt = domain.KYCExpired, now
		s.sessions[e.ID] = sess
		s.emit(e.Event)
		expired = append(expired, e.ID)
	}
	return expired, nil
}

func (s *Store) ChangeKYCStatus(_ context.Context, c domain.KYCStatusChange, ev *domain.OutboxEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[c.SessionID]
	u, live := s.users[c.UserID]
	switch {
	case !ok || !live || sess.UserID != c.UserID:
		return domain.ErrNotFound
	case sess.Status != c.From || !sess.StatusAt.Equal(c.FromAt) || c.Latest && u.KYCSessionID != c.SessionID ||
		!u.KYCResultAt.Before(c.At):
		return domain.E(domain.Stale, domain.ReasonStaleSession)
	}
	sess.Status, sess.StatusAt, sess.UpdatedAt = c.To, c.At, c.Now
	if c.ApplicantID != "" {
		sess.ApplicantID = c.ApplicantID
	}
	s.sessions[c.SessionID] = sess
	u.KYCResultAt, u.UpdatedAt = c.At, c.Now
	if c.Latest {
		u.KYCStatus = c.To
	}
	if c.To != domain.KYCPending {
		u.OpenKYC = slices.DeleteFunc(slices.Clone(u.OpenKYC), func(id string) bool { return id == c.SessionID })
	}
	s.users[c.UserID] = u
	if ev != nil {
		s.emit(*ev)
	}
	return nil
}

func (s *Store) UserKYC(_ context.Context, userID string, limit int) (domain.User, []domain.KYCSession, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userID]
	if !ok {
		return domain.User{}, nil, domain.ErrNotFound
	}
	var list []domain.KYCSession
	for _, sess := range s.sessions {
		if sess.UserID == userID {
			list = append(list, sess)
		}
	}
	domain.NewestFirst(list)
	return u, list[:min(limit, len(list))], nil
}

func (s *Store) CloseOpenKYC(_ context.Context, userID string, ids []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userID]
	if !ok {
		return domain.ErrNotFound
	}
	u.OpenKYC = slices.DeleteFunc(slices.Clone(u.OpenKYC), func(id string) bool { return slices.Contains(ids, id) })
	s.users[userID] = u
	return nil
}

func (s *Store) ShortenKYCSession(_ context.Context, id, userID string, latest bool, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[id]
	u, live := s.users[userID]
	switch {
	case !ok || !live || sess.UserID != userID:
		return domain.ErrNotFound
	case sess.Status != domain.KYCPending || !at.Before(sess.ExpiresAt) || latest && u.KYCSessionID != id:
		return domain.E(domain.Stale, domain.ReasonStaleSession)
	}
	sess.ExpiresAt, sess.UpdatedAt = at, at
	s.sessions[id] = sess
	if latest {
		u.KYCExpiresAt = at
		s.users[userID] = u
	}
	return nil
}

// Counts reports how many users and guards are stored (for tests).
func (s *Store) Counts() (users, guards int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.users), len(s.guards)
}

// SessionCount reports how many KYC sessions are stored (for tests).
func (s *Store) SessionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

func (s *Store) LinkIdentifier(_ context.Context, userID, partnerID, hash, oldHash, dropProvider string, ev domain.OutboxEvent, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	lk := linkKey{partnerID, hash}
	if l, ok := s.links[lk]; ok && l.UserID != userID {
		return domain.E(domain.Conflict, domain.ReasonIdentifierTaken)
	}
	u, ok := s.users[userID]
	if !ok {
		return domain.ErrNotFound
	}
	if u.PartnerID != partnerID || u.LinkedIdentifierHash != oldHash {
		return domain.E(domain.Stale, domain.ReasonStaleUser)
	}
	if _, ok := s.links[lk]; !ok {
		s.links[lk] = domain.Link{PartnerID: partnerID, Hash: hash, UserID: userID, LinkedAt: now}
	}
	if oldHash != "" && oldHash != hash {
		delete(s.links, linkKey{partnerID, oldHash})
		if dropProvider != "" {
			delete(s.fedids, userID+"|"+dropProvider)
		}
	}
	u.LinkedIdentifierHash, u.LinkedAt, u.UpdatedAt = hash, now, now
	s.users[userID] = u
	s.emit(ev)
	return nil
}

// emit appends an event to the outbox; the caller holds the lock.
func (s *Store) emit(ev domain.OutboxEvent) {
	ev.Payload = append([]byte(nil), ev.Payload...)
	if ev.UserID != "" {
		s.eventsOf[ev.UserID] = append(s.eventsOf[ev.UserID], len(s.outbox))
	}
	s.eventIndex[ev.ID] = len(s.outbox)
	s.outbox = append(s.outbox, ev)
}

func (s *Store) GetLink(_ context.Context, partnerID, hash string) (domain.Link, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.links[linkKey{partnerID, hash}]
	if !ok {
		return domain.Link{}, domain.ErrNotFound
	}
	return l, nil
}

// Outbox returns the outbox events written so far (for tests and the local runner).
func (s *Store) Outbox() []domain.OutboxEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]domain.OutboxEvent(nil), s.outbox...)
}

// LinkCount reports how many identifier links are stored (for tests).
func (s *Store) LinkCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.links)
}

func (s *Store) PutFederatedIdentity(_ context.Context, fi domain.FederatedIdentity, ev domain.OutboxEvent) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[fi.UserID]
	if !ok {
		return false, domain.ErrNotFound
	}
	if u.PartnerID != fi.PartnerID || u.LinkedIdentifierHash != fi.Subject {
		return false, domain.E(domain.Stale, domain.ReasonStaleUser)
	}
	k := fi.UserID + "|" + fi.Provider
	if old, ok := s.fedids[k]; ok && old.Subject == fi.Subject {
		return false, nil
	}
	s.fedids[k] = fi
	s.emit(ev)
	return true, nil
}

func (s *Store) DeleteFederatedIdentity(_ context.Context, userID, provider string, ev domain.OutboxEvent) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := userID + "|" + provider
	if _, ok := s.fedids[k]; !ok {
		return false, nil
	}
	delete(s.fedids, k)
	s.emit(ev)
	return true, nil
}

func (s *Store) ListFederatedIdentities(_ context.Context, userID string) ([]domain.FederatedIdentity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.FederatedIdentity
	for _, fi := range s.fedids {
		if fi.UserID == userID {
			out = append(out, fi)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Provider < out[j].Provider })
	return out, nil
}

func (s *Store) OutboxStatus(_ context.Context, k domain.EventKey) (domain.OutboxState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.eventAt(k)
	if !ok {
		return domain.OutboxState{}, domain.ErrNotFound
	}
	return s.stateAt(i), nil
}

// eventAt is the outbox position of the stored event k (written, not
// erased); the caller holds the lock.
func (s *Store) eventAt(k domain.EventKey) (int, bool) {
	i, ok := s.eventIndex[k.ID]
	if !ok || s.erasedEvents[k.ID] || s.outbox[i].UserID != k.UserID {
		return 0, false
	}
	return i, true
}

// stateAt is the event at outbox position i with its state, copied; the
// caller holds the lock.
func (s *Store) stateAt(i int) domain.OutboxState {
	ev := s.outbox[i]
	st := s.states[ev.ID]
	if st.Status == "" {
		st.Status = domain.OutboxPending
	}
	st.Deliveries = slices.Clone(st.Deliveries)
	ev.Payload = append([]byte(nil), ev.Payload...)
	if ev.Scrubbed != nil {
		ev.Scrubbed = append([]byte(nil), ev.Scrubbed...)
	}
	st.Event = ev
	return st
}

func (s *Store) RecordDeliveries(_ context.Context, k domain.EventKey, prevRev int64, r domain.OutboxRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.eventAt(k)
	if !ok {
		return domain.ErrNotFound
	}
	if s.states[k.ID].Rev != prevRev {
		return domain.E(domain.Stale, domain.ReasonStaleAttempt)
	}
	st := r.State
	st.Event = domain.OutboxEvent{}
	st.Deliveries = slices.Clone(st.Deliveries)
	st.Rev = prevRev + 1
	if r.RedeliveryMade {
		delete(s.redeliveries, k.ID)
	}
	if r.Scrubbed != nil {
		s.outbox[i].Payload = append([]byte(nil), r.Scrubbed...)
		s.outbox[i].Scrubbed = nil
	}
	s.states[k.ID] = st
	return nil
}

func (s *Store) PutOutboxEvent(ctx context.Context, ev domain.OutboxEvent, b domain.Budget) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkKey(ctx); err != nil {
		return err
	}
	if _, dup := s.eventIndex[ev.ID]; dup {
		return errors.New("memstore: the event id is in use")
	}
	if err := s.spend(b); err != nil {
		return err
	}
	s.emit(ev)
	return nil
}

func (s *Store) QueueRedelivery(_ context.Context, k domain.EventKey, at, since time.Time, b domain.Budget) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.eventAt(k); !ok {
		return domain.ErrNotFound
	}
	if marked, ok := s.redeliveries[k.ID]; ok && marked.After(since) {
		return domain.E(domain.Conflict, domain.ReasonRedeliveryQueued)
	}
	if err := s.spend(b); err != nil {
		return err
	}
	s.redeliveries[k.ID] = at
	return nil
}

func (s *Store) CancelRedelivery(_ context.Context, k domain.EventKey, at time.Time, b domain.Budget) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if marked, ok := s.redeliveries[k.ID]; ok && marked.Equal(at) {
		delete(s.redeliveries, k.ID)
	}
	if b.Counted() && s.budgets[budgetKey(b)] > 0 {
		s.budgets[budgetKey(b)]--
	}
	return nil
}

func (s *Store) ListOutboxEvents(_ context.Context, partnerID string, q domain.OutboxQuery) (domain.OutboxPage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id, i := range s.eventIndex {
		if s.outbox[i].PartnerID == partnerID && !s.erasedEvents[id] && (q.After == nil || id < q.After.ID) {
			ids = append(ids, id)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(ids)))
	var page domain.OutboxPage
	for n, id := range ids {
		st := s.stateAt(s.eventIndex[id])
		if (q.Type == "" || st.Event.Type == q.Type) && (q.Status == "" || st.Status == q.Status) {
			st.Event.Payload, st.Event.Scrubbed = nil, nil // the index holds no payload
			page.Events = append(page.Events, st)
		}
		if len(page.Events) == q.Limit {
			if n < len(ids)-1 {
				page.Next = &domain.EventKey{ID: id, UserID: st.Event.UserID}
			}
			break
		}
	}
	return page, nil
}

func (s *Store) FindOutboxEvent(_ context.Context, partnerID, eventID string) (domain.OutboxState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.eventIndex[eventID]
	if !ok || s.erasedEvents[eventID] || s.outbox[i].PartnerID != partnerID {
		return domain.OutboxState{}, domain.ErrNotFound
	}
	st := s.stateAt(i)
	st.Event.Payload, st.Event.Scrubbed = nil, nil
	return st, nil
}

// UnfinishedErasures: the memory store erases in one step.
func (s *Store) UnfinishedErasures(context.Context, int) ([]domain.SessionRef, error) {
	return nil, nil
}

// EraseUser erases the user and what is kept with it in one step.
func (s *Store) EraseUser(_ context.Context, partnerID, userID string, ev domain.OutboxEvent, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, live := s.users[userID]
	switch {
	case !live && s.tombstones[userID] == partnerID && partnerID != "":
		return nil // erased already: nothing is left to erase
	case !live:
		return domain.ErrNotFound
	case u.PartnerID != partnerID:
		return domain.ErrNotOwned
	}
	delete(s.users, userID)
	s.tombstones[userID] = partnerID
	if g, ok := s.guards[guardKey{partnerID, u.ExternalUserID}]; ok && g.UserID == userID {
		delete(s.guards, guardKey{partnerID, u.ExternalUserID})
	}
	if u.LinkedIdentifierHash != "" {
		if l, ok := s.links[linkKey{partnerID, u.LinkedIdentifierHash}]; ok && l.UserID == userID {
			delete(s.links, linkKey{partnerID, u.LinkedIdentifierHash})
		}
	}
	for k, fi := range s.fedids {
		if fi.UserID == userID {
			delete(s.fedids, k)
		}
	}
	for id, sess := range s.sessions {
		if sess.UserID == userID {
			delete(s.sessions, id)
		}
	}
	for _, i := range s.eventsOf[userID] {
		s.erasedEvents[s.outbox[i].ID] = true
		s.outbox[i].Payload, s.outbox[i].Scrubbed = nil, nil
	}
	delete(s.eventsOf, userID)
	if ev.ID != "" { // a wipe's erasure writes none
		s.emit(ev)
	}
	return nil
}

// Dump is everything the store holds, as text (for tests that search it
// for personal values): maps print in key order, payloads as text.
func (s *Store) Dump() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%v\n%v\n%v\n%v\n%v\n%v\n%v\n%v\n%v\n%v\n", s.users, s.guards, s.sessions, s.links, s.fedids, s.states, s.tombstones, s.erasedEvents,
		s.budgets, s.redeliveries)
	responses := make([]string, 0, len(s.guards))
	for _, g := range s.guards {
		responses = append(responses, string(g.Response))
	}
	sort.Strings(responses) // map order is random; the dump is compared
	fmt.Fprintf(&b, "%s\n", strings.Join(responses, "\n"))
	for _, ev := range s.outbox {
		fmt.Fprintf(&b, "%+v %s\n", ev, ev.Payload)
	}
	return b.String()
}

// OutboxSince returns the events written after the first n (for the local
// runner's delivery loop).
func (s *Store) OutboxSince(n int) []domain.OutboxEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n >= len(s.outbox) {
		return nil
	}
	return append([]domain.OutboxEvent(nil), s.outbox[n:]...)
}

func (s *Store) RequestWipe(_ context.Context, partnerID string, at time.Time) error {
	if domain.Livemode(partnerID) {
		return domain.ErrLiveWipe
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wipes == nil {
		s.wipes = map[string]time.Time{}
	}
	s.wipes[partnerID] = at.UTC().Truncate(time.Second)
	return nil
}

func (s *Store) Wipes(_ context.Context, limit int) ([]domain.WipeRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.WipeRequest
	for p, at := range s.wipes {
		if len(out) == limit {
			break
		}
		out = append(out, domain.WipeRequest{PartnerID: p, RequestedAt: at})
	}
	return out, nil
}

func (s *Store) FinishWipe(_ context.Context, r domain.WipeRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if at, ok := s.wipes[r.PartnerID]; ok && at.Equal(r.RequestedAt) {
		delete(s.wipes, r.PartnerID)
	}
	return nil
}

func (s *Store) ScheduleSandboxOutcome(_ context.Context, o domain.ScheduledOutcome) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.scheduled == nil {
		s.scheduled = map[string]domain.ScheduledOutcome{}
	}
	o.DueAt = o.DueAt.UTC().Truncate(time.Second)
	s.scheduled[o.SessionID] = o
	return nil
}

func (s *Store) DueSandboxOutcomes(_ context.Context, now time.Time, limit int) ([]domain.ScheduledOutcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.ScheduledOutcome
	for _, o := range s.scheduled {
		if len(out) < limit && !o.DueAt.After(now) {
			out = append(out, o)
		}
	}
	return out, nil
}

func (s *Store) DoneSandboxOutcome(_ context.Context, o domain.ScheduledOutcome) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.scheduled[o.SessionID]; ok && cur == o {
		delete(s.scheduled, o.SessionID)
	}
	return nil
}
