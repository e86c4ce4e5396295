// Package queuetest is the webhook retry queue and dead-letter queue in
// memory for tests: it keeps what it is given (or fails), in order.
package queuetest

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/partner-identity/api/shared/webhooks/queue"
)

// Queue is a queue.Queue and queue.DeadLetters.
type Queue struct {
	mu      sync.Mutex
	err     error
	retries []queue.Retry
	delays  []time.Duration
	dead    []queue.DeadLetter
}

var (
	_ queue.Queue       = (*Queue)(nil)
	_ queue.DeadLetters = (*Queue)(nil)
)

// Fail makes every Enqueue fail with err from now on (nil: succeed).
func (q *Queue) Fail(err error) {
	q.mu.Lock()
	q.err = err
	q.mu.Unlock()
}

func (q *Queue) Enqueue(_ context.Context, m queue.Retry, delay time.Duration) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return q.err
	}
	q.retries, q.delays = append(q.retries, m), append(q.delays, delay)
	return nil
}

func (q *Queue) Send(_ context.Context, d queue.DeadLetter) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.dead = append(q.dead, d)
	return nil
}

// Retries are the retry messages kept (Take empties them).
func (q *Queue) Retries() []queue.Retry {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.retries)
}

// Delays are the delays every message was given, in order (Take keeps them).
func (q *Queue) Delays() []time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.delays)
}

// Dead are the dead letters sent.
func (q *Queue) Dead() []queue.DeadLetter {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.dead)
}

// Take returns the retry messages kept and forgets them.
func (q *Queue) Take() []queue.Retry {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.retries
	q.retries = nil
	return out
}
