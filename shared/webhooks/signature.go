// Package webhooks delivers outbox events to partners: signed POSTs with a
// stable event id, retried with backoff, and a dead-letter queue for the
// events that cannot be delivered.
package webhooks

import "github.com/partner-identity/api/shared/webhooksig"

// Headers of a delivery (package webhooksig signs them).
const (
	HeaderID    = webhooksig.HeaderID
	HeaderEvent = webhooksig.HeaderEvent
)
