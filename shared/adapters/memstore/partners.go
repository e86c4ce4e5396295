package memstore

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/partner-identity/api/shared/domain"
)

// partnerState is the partners' part of the store.
type partnerState struct {
	partners  map[string]domain.PartnerRecord
	keys      map[string]string // digest -> partner id
	providers map[string]string // slug -> partner id
	audit     map[string][]domain.AuditEntry
	used      map[string]time.Time // digest -> last day used
	sealed    map[string]domain.SealedSecrets
}

func (s *Store) partnersInit() {
	if s.ps.partners == nil {
		s.ps = partnerState{partners: map[string]domain.PartnerRecord{}, keys: map[string]string{},
			providers: map[string]string{}, audit: map[string][]domain.AuditEntry{}, used: map[string]time.Time{},
			sealed: map[string]domain.SealedSecrets{}}
	}
}

func clonePartner(p domain.PartnerRecord) domain.PartnerRecord {
	p.Settings = slices.Clone(p.Settings)
	p.Keys = slices.Clone(p.Keys)
	return p
}

func (s *Store) SavePartner(_ context.Context, prev *domain.PartnerRecord, p domain.PartnerRecord, a domain.AuditEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.partnersInit()
	stored, exists := s.ps.partners[p.ID]
	switch {
	case prev == nil && exists:
		return domain.E(domain.Conflict, domain.ReasonPartnerExists)
	case prev != nil && (!exists || stored.Rev != prev.Rev):
		return domain.E(domain.Stale, domain.ReasonStalePartner)
	}
	for _, k := range p.Keys {
		if owner, ok := s.ps.keys[k.Digest]; ok && owner != p.ID {
			return domain.E(domain.Conflict, domain.ReasonKeyTaken)
		}
	}
	if owner, ok := s.ps.providers[p.Provider]; p.Provider != "" && ok && owner != p.ID {
		return domain.E(domain.Conflict, domain.ReasonProviderTaken)
	}
	if exists {
		kept := map[string]bool{}
		for _, k := range p.Keys {
			kept[k.Digest] = true
		}
		for _, k := range stored.Keys {
			if !kept[k.Digest] {
				delete(s.ps.used, k.Digest)
			}
		}
		s.dropPartnerIndexes(stored, kept)
	}
	for _, k := range p.Keys {
		s.ps.keys[k.Digest] = p.ID
	}
	if p.Provider != "" {
		s.ps.providers[p.Provider] = p.ID
	}
	s.ps.partners[p.ID] = clonePartner(p)
	s.ps.audit[p.ID] = append(s.ps.audit[p.ID], a)
	return nil
}

// dropPartnerIndexes removes p's keys (but those kept, whose last use
// stays) and provider.
func (s *Store) dropPartnerIndexes(p domain.PartnerRecord, kept map[string]bool) {
	for _, k := range p.Keys {
		delete(s.ps.keys, k.Digest)
		if !kept[k.Digest] {
			delete(s.ps.used, k.Digest)
		}
	}
	if p.Provider != "" {
		delete(s.ps.providers, p.Provider)
	}
}

func (s *Store) DeletePartner(_ context.Context, p domain.PartnerRecord, a domain.AuditEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.partnersInit()
	stored, exists := s.ps.partners[p.ID]
	if !exists || stored.Rev != p.Rev {
		return domain.E(domain.Stale, domain.ReasonStalePartner)
	}
	s.dropPartnerIndexes(stored, nil)
	delete(s.ps.partners, p.ID)
	delete(s.ps.sealed, p.ID)
	s.ps.audit[p.ID] = append(s.ps.audit[p.ID], a)
	return nil
}

func (s *Store) GetPartner(_ context.Context, id string) (domain.PartnerRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.ps.partners[id]
	if !ok {
		return domain.PartnerRecord{}, domain.ErrNotFound
	}
	return clonePartner(p), nil
}

func (s *Store) PartnerByKey(_ context.Context, digest string) (domain.KeyMatch, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.ps.partners[s.ps.keys[digest]]
	if !ok {
		return domain.KeyMatch{}, domain.ErrNotFound
	}
	for _, k := range p.Keys {
		if k.Digest == digest {
			return domain.KeyMatch{Key: k, Partner: clonePartner(p)}, nil
		}
	}
	return domain.KeyMatch{}, domain.ErrNotFound
}

func (s *Store) PartnerByProvider(_ context.Context, slug string) (domain.PartnerRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.ps.partners[s.ps.providers[slug]]
	if !ok || slug == "" {
		return domain.PartnerRecord{}, domain.ErrNotFound
	}
	return clonePartner(p), nil
}

func (s *Store) ListPartners(_ context.Context, after string, limit int) ([]domain.PartnerRecord, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.ps.partners))
	for id := range s.ps.partners {
		if id > after {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	next := ""
	if limit > 0 && len(ids) > limit {
		ids, next = ids[:limit], ids[limit-1]
	}
	out := make([]domain.PartnerRecord, len(ids))
	for i, id := range ids {
		out[i] = clonePartner(s.ps.partners[id])
	}
	return out, next, nil
}

func (s *Store) ListAudit(_ context.Context, partnerID string) ([]domain.AuditEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ps.audit[partnerID]), nil
}

func (s *Store) TouchKey(_ context.Context, digest string, day time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.ps.keys[digest]; ok && day.After(s.ps.used[digest]) {
		s.ps.used[digest] = day
	}
	return nil
}

func (s *Store) KeysLastUsed(_ context.Context, digests []string) (map[string]time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]time.Time{}
	for _, d := range digests {
		if t, ok := s.ps.used[d]; ok {
			out[d] = t
		}
	}
	return out, nil
}

func (s *Store) SaveSealedSecrets(_ context.Context, prevRev int64, sec domain.SealedSecrets, a domain.AuditEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.partnersInit()
	if _, ok := s.ps.partners[sec.PartnerID]; !ok {
		return domain.ErrNotFound
	}
	if s.ps.sealed[sec.PartnerID].Rev != prevRev {
		return domain.E(domain.Stale, domain.ReasonStalePartner)
	}
	s.ps.sealed[sec.PartnerID] = cloneSealed(sec)
	s.ps.audit[sec.PartnerID] = append(s.ps.audit[sec.PartnerID], a)
	return nil
}

func (s *Store) SealedSecrets(_ context.Context, partnerID string) (domain.SealedSecrets, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, ok := s.ps.sealed[partnerID]
	if !ok {
		return domain.SealedSecrets{}, domain.ErrNotFound
	}
	return cloneSealed(sec), nil
}

func cloneSealed(s domain.SealedSecrets) domain.SealedSecrets {
	clone := func(l []domain.SealedSecret) []domain.SealedSecret {
		l = slices.Clone(l)
		for i := range l {
			l[i].Sealed = slices.Clone(l[i].Sealed)
		}
		return l
	}
	s.Secrets = clone(s.Secrets)
	if s.Endpoints != nil {
		m := make(map[string][]domain.SealedSecret, len(s.Endpoints))
		for e, l := range s.Endpoints {
			m[e] = clone(l)
		}
		s.Endpoints = m
	}
	return s
}

// checkKey holds ctx's KeyCheck, if any, as DynamoDB's ConditionCheck on
// the key's item does (s.mu held).
func (s *Store) checkKey(ctx context.Context) error {
	c, ok := domain.KeyCheckOf(ctx)
	if !ok {
		return nil
	}
	p, held := s.ps.partners[s.ps.keys[c.Digest]]
	if !held || p.ID != c.PartnerID || !p.Active || c.Hooked && !p.Hooked {
		return domain.E(domain.Unauthenticated, domain.ReasonKeyCheck)
	}
	for _, k := range p.Keys {
		if k.Digest == c.Digest && (k.ExpiresAt.IsZero() || c.At.Before(k.ExpiresAt)) {
			return nil
		}
	}
	return domain.E(domain.Unauthenticated, domain.ReasonKeyCheck)
}
