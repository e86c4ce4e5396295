// Command webhook-retry consumes the webhook retry queue and the slow
// lane: the scheduled retries of events whose delivery failed, the
// attempts at slow endpoints, and the redeliveries partners ask for.
package main

import "github.com/partner-identity/api/shared/lambda/dispatch"

func main() { dispatch.MainRetries() }
