// Package cleanup assembles the scheduled KYC session cleanup from a
// container's dependencies, for functions/cleanup-kyc-sessions and the
// local runner (the jobs' counterpart of a surface's routes.go).
package cleanup

import (
	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/kyc"
)

// Needs are what its invocations read over the network: the table only
// (app.Deps.Prefetch).
const Needs = app.NeedTable

// New is the cleanup over d.
func New(d *app.Deps) *kyc.Cleaner { return kyc.NewCleaner(d.Store, d.Now) }
