package memstore

import (
	"context"

	"github.com/partner-identity/api/shared/domain/ratelimit"
)

// TakeRate is ratelimit.Store's step on the partner's bucket.
func (s *Store) TakeRate(_ context.Context, t ratelimit.Take) (int64, bool, error) {
	s.rateMu.Lock()
	defer s.rateMu.Unlock()
	if s.rates == nil {
		s.rates = map[string]int64{}
	}
	k := t.PartnerID + "|" + t.Budget
	stored := s.rates[k]
	if next := max(stored, t.Now) + t.Cost; next <= t.Now+t.Limit {
		s.rates[k] = next
		return next, true, nil
	}
	return stored, false, nil
}
