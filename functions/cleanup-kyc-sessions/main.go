// Command cleanup-kyc-sessions is the scheduled cleanup of expired KYC
// sessions (EventBridge Scheduler).
package main

import "github.com/partner-identity/api/shared/lambda/cleanup"

func main() { cleanup.Main() }
