// Package webhookqueue holds the messages of the webhook retry queue and
// of the dead-letter queue (the SQS queues are package sqsqueue's; the
// local runners' in-process one is package devdata's). A message names an
// event; it never carries the event's payload (the retry function reads
// it from the table), so no personal data enters a queue.
package queue

import (
	"context"
	"log/slog"
	"time"
)

// Retry is a retry queue message: an attempt at an event to make at
// NotBefore. Attempt is its number in the retry schedule (2 and on: the
// stream made the first), 0 for a redelivery the partner asked for.
type Retry struct {
	EventID   string `json:"eventId"`
	UserID    string `json:"userId,omitempty"` // the user the event is kept with (its storage key)
	PartnerID string `json:"partnerId"`
	// EndpointID is the partner's endpoint the attempt is for ("": its
	// first, as messages were written before endpoints; AllEndpoints, on
	// a redelivery, each endpoint that takes the event's type).
	EndpointID string    `json:"endpointId,omitempty"`
	Attempt    int       `json:"attempt"`
	NotBefore  time.Time `json:"notBefore"`
	// Slow says the message is in the slow lane: its partner's endpoint
	// did not answer within a shared lane's budget, so the attempt is made
	// where only slow endpoints wait (the slow queue), with the full
	// timeout.
	Slow bool `json:"slow,omitempty"`
	// Until, on a message held while its partner is suspended, is the end
	// of the event's retention: the message is dropped after it.
	Until time.Time `json:"until,omitzero"`
}

// AllEndpoints, as a redelivery's EndpointID, is every endpoint of the
// partner that takes the event's type.
const AllEndpoints = "*"

// Queue takes retry messages, each delivered after delay (at least once).
type Queue interface {
	Enqueue(ctx context.Context, m Retry, delay time.Duration) error
}

// DeadLetter is a dead-letter queue message: the event that could not be
// delivered, by id, and why. Its payload stays in the table (scrubbed of
// personal data); the partner may redeliver it from the events API.
type DeadLetter struct {
	EventID    string    `json:"eventId"`
	Type       string    `json:"type"`
	PartnerID  string    `json:"partnerId"`
	EndpointID string    `json:"endpointId,omitempty"`
	Attempts   int       `json:"attempts"`
	Reason     string    `json:"reason"`
	FailedAt   time.Time `json:"failedAt"`
}

// DeadLetters takes the events whose retries ended.
type DeadLetters interface {
	Send(ctx context.Context, d DeadLetter) error
}

// LogDeadLetters only logs (the local runner has no queue).
type LogDeadLetters struct{}

func (LogDeadLetters) Send(ctx context.Context, d DeadLetter) error {
	slog.ErrorContext(ctx, "webhook dead letter (no queue configured)", "eventId", d.EventID, "type", d.Type,
		"partnerId", d.PartnerID, "endpointId", d.EndpointID, "attempts", d.Attempts, "reason", d.Reason)
	return nil
}

// InProcess is a queue that hands its messages to a consumer in the same
// process (a local runner's): the dispatcher built over it becomes its
// consumer.
type InProcess interface {
	Queue
	HandleWith(h func(ctx context.Context, m Retry) error)
}
