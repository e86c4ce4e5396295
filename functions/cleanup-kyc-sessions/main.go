// Command cleanup-kyc-sessions is the scheduled cleanup of expired KYC
// sessions (EventBridge Scheduler, ScheduleV2).
package main

import (
	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/jobs/cleanup"
	"github.com/partner-identity/api/shared/lambdarun"
)

func main() {
	deps := app.MustFromEnv()
	deps.Prefetch(cleanup.Needs)
	lambdarun.StartFunc(cleanup.New(deps).Handle)
}
