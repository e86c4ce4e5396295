package delivery

import (
	"sync"
	"time"
)

// DefaultBudget bounds an attempt in a shared lane (the stream's first
// attempts, the retry queue): an endpoint that has not answered by then
// is handed to the slow lane, so that it holds up no other partner's
// deliveries. Healthy endpoints answer well within it.
const DefaultBudget = time.Second

// DefaultSlowFor is how long a container sends a partner found slow
// straight to the slow lane before it tries it in a shared lane again.
const DefaultSlowFor = 5 * time.Minute

// maxSlowPartners bounds the memory of SlowPartners.
const maxSlowPartners = 10_000

// SlowPartners remembers, per container, the partners whose endpoint did
// not answer within a shared lane's budget, for SlowFor each: their events
// go straight to the slow lane, costing the shared lanes nothing.
type SlowPartners struct {
	SlowFor time.Duration
	Now     func() time.Time

	mu    sync.Mutex
	until map[string]time.Time
}

// NewSlowPartners is an empty memory with DefaultSlowFor.
func NewSlowPartners(now func() time.Time) *SlowPartners {
	return &SlowPartners{SlowFor: DefaultSlowFor, Now: now}
}

// Is tells whether partner was found slow within SlowFor.
func (s *SlowPartners) Is(partner string) bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Now().Before(s.until[partner])
}

// Mark records that partner's endpoint was slow now.
func (s *SlowPartners) Mark(partner string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	if s.until == nil {
		s.until = map[string]time.Time{}
	}
	if len(s.until) >= maxSlowPartners {
		for p, u := range s.until {
			if !now.Before(u) {
				delete(s.until, p)
			}
		}
		if len(s.until) >= maxSlowPartners {
			return // bounded: the budget still protects the shared lanes
		}
	}
	s.until[partner] = now.Add(s.SlowFor)
}
