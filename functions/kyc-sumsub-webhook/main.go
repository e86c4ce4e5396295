// Command kyc-sumsub-webhook is the Lambda function of kyccallbacks.SumsubRoute.
package main

import (
	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/lambdarun"
	"github.com/partner-identity/api/shared/surface/kyccallbacks"
)

func main() {
	deps := app.MustFromEnv()
	lambdarun.Serve(deps, kyccallbacks.SumsubRoute)
}
