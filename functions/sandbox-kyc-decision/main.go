// Command sandbox-kyc-decision is the Lambda function of
// sandboxpage.DecisionRoute: the sandbox page's decisions and simulations
// (it queues the simulations' deliveries on the webhook retry queue).
package main

import (
	"github.com/partner-identity/api/shared/http/sandboxpage"
	"github.com/partner-identity/api/shared/lambda/dispatch"
	"github.com/partner-identity/api/shared/lambda/sandboxapi"
)

func main() { sandboxapi.Main(sandboxpage.DecisionRoute, dispatch.RetryQueue) }
