// Command webhook-dispatcher consumes the table's stream (outbox inserts
// only) and makes each event's first delivery attempt; failed ones go to
// the retry queue (functions/webhook-retry).
package main

import "github.com/partner-identity/api/shared/lambda/dispatch"

func main() { dispatch.MainStream() }
