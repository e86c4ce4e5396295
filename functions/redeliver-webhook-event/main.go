// Command redeliver-webhook-event is the Lambda function of
// partnerv2.RedeliverWebhookEventRoute: it queues redeliveries on the
// webhook retry queue (the one Partner v2 function that links SQS).
package main

import (
	"github.com/partner-identity/api/shared/http/partnerv2"
	"github.com/partner-identity/api/shared/lambda/dispatch"
	"github.com/partner-identity/api/shared/lambda/partnerapi"
)

func main() { partnerapi.MainWith(partnerv2.RedeliverWebhookEventRoute, dispatch.RetryQueue) }
