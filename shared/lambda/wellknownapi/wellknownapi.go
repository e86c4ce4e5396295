// Package wellknownapi builds the published documents (shared/http/wellknown)
// over a container's dependencies, and starts their functions.
package wellknownapi

import (
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/http/wellknown"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/lambda/lambdarun"
)

// Needs are what the documents read over the network: the service keys
// (their public halves). No table.
const Needs = app.NeedServiceKeys

// New is the surface over d.
func New(d *app.Deps) *wellknown.API { return wellknown.New(wellknown.Deps{Keys: d.Keys}) }

// Main is the main of rt's function.
func Main(rt httpx.Route[*wellknown.API]) {
	d := app.MustFromEnv()
	lambdarun.Serve(d, Needs, rt.On(New(d)))
}
