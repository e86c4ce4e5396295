// Package webhooks delivers outbox events to partners: signed POSTs with a
// stable event id, retried with backoff, and a dead-letter queue for the
// events that cannot be delivered.
package delivery

import "github.com/partner-identity/api/shared/webhooks/signature"

// Headers of a delivery (package webhooksig signs them).
const (
	HeaderID    = signature.HeaderID
	HeaderEvent = signature.HeaderEvent
)
