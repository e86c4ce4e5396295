// Package cleanup is the scheduled KYC session cleanup's function:
// functions/cleanup-kyc-sessions, and the local runner's timer.
package cleanup

import (
	"context"
	"encoding/json"

	"github.com/partner-identity/api/shared/domain/kyc"
	"github.com/partner-identity/api/shared/kit/deadline"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/lambda/callbackapi"
	"github.com/partner-identity/api/shared/lambda/lambdarun"
)

// Needs are what its invocations read over the network: the table, and
// the KYC providers' secret (the sandbox's delayed outcomes are sent as
// signed callbacks) (app.Deps.Prefetch).
const Needs = app.NeedTable | app.NeedKYCProviders

// New is the cleanup over d's store and clock, deciding the sandbox's
// delayed outcomes when test mode is on.
func New(d *app.Deps) *kyc.Cleaner {
	c := kyc.NewCleaner(d.Store, d.Now)
	if d.Sandbox {
		c.Sandbox = kyc.New(kyc.Deps{Store: d.Store, Now: d.Now, SessionTTL: d.KYCSessionTTL, Retention: d.KYCRetention,
			SandboxCallbacks: callbackapi.SandboxCallbacks(d)})
		c.Schedule = d.Store
	}
	return c
}

// Response is what an invocation did: the function's response.
type Response struct {
	Expired int  `json:"expired"`
	Skipped int  `json:"skipped"`
	Pages   int  `json:"pages"`
	Erased  int  `json:"erased"`
	Done    bool `json:"done"`
}

// Handler is the function's entry point over c: the schedule's event
// carries nothing the run needs; the run ends a second (package deadline)
// before the function's deadline.
func Handler(c *kyc.Cleaner) func(context.Context, json.RawMessage) (Response, error) {
	return func(ctx context.Context, _ json.RawMessage) (Response, error) {
		ctx, cancel := deadline.Within(ctx)
		defer cancel()
		res, err := c.Run(ctx)
		return Response{Expired: res.Expired, Skipped: res.Skipped, Pages: res.Pages, Erased: res.Erased, Done: res.Done}, err
	}
}

// Main is the function's main: the container's dependencies from its
// environment, the table's connection opened during initialisation, the
// handler started.
func Main() {
	d := app.MustFromEnv()
	d.Prefetch(Needs)
	lambdarun.StartFunc(Handler(New(d)))
}
