package delivery

import (
	"sync"
	"time"
)

// Breaker skips the partners whose endpoint keeps failing: after Threshold
// failed attempts in a row (5) a partner's circuit opens for Cooldown (a
// minute), during which its events go straight to the retry queue, each
// counted as a failed attempt, unsent; then one attempt probes it: a
// success closes the circuit, a failure opens it again. Its state is the
// container's (each dispatcher container learns on its own).
type Breaker struct {
	Threshold int
	Cooldown  time.Duration
	Now       func() time.Time

	mu       sync.Mutex
	circuits map[string]*circuit
}

type circuit struct {
	failures  int
	openUntil time.Time
	probing   bool
}

// NewBreaker is a breaker with the default threshold and cooldown.
func NewBreaker(now func() time.Time) *Breaker {
	return &Breaker{Threshold: 5, Cooldown: time.Minute, Now: now}
}

// Allow tells whether an attempt for partner may be sent now.
func (b *Breaker) Allow(partner string) bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.circuits[partner]
	switch {
	case c == nil || c.openUntil.IsZero():
		return true
	case b.Now().Before(c.openUntil) || c.probing:
		return false
	}
	c.probing = true
	return true
}

// Record takes the result of an attempt Allow let through.
func (b *Breaker) Record(partner string, ok bool) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.circuits == nil {
		b.circuits = map[string]*circuit{}
	}
	c := b.circuits[partner]
	if c == nil {
		c = &circuit{}
		b.circuits[partner] = c
	}
	if ok {
		*c = circuit{}
		return
	}
	c.failures++
	if c.probing || c.failures >= max(b.Threshold, 1) {
		c.openUntil, c.probing = b.Now().Add(b.Cooldown), false
	}
}

// Forget ends a probe Allow let through without a result (an attempt
// handed to the slow lane): the next attempt may probe again.
func (b *Breaker) Forget(partner string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if c := b.circuits[partner]; c != nil {
		c.probing = false
	}
}
