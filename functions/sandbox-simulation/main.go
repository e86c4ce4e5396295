// Command sandbox-simulation is the Lambda function of
// partnerv2.SandboxSimulationRoute (test mode only): it queues the
// simulations' deliveries on the webhook retry queue.
package main

import (
	"github.com/partner-identity/api/shared/http/partnerv2"
	"github.com/partner-identity/api/shared/lambda/dispatch"
	"github.com/partner-identity/api/shared/lambda/partnerapi"
)

func main() { partnerapi.MainWith(partnerv2.SandboxSimulationRoute, dispatch.RetryQueue) }
