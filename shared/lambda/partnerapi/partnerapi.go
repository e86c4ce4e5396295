// Package partnerapi builds the Partner v2 surface (shared/http/partnerv2)
// over a container's dependencies, and starts its functions: each
// functions/<route>/main.go is one call of Main.
package partnerapi

import (
	"github.com/partner-identity/api/shared/adapters/kycproviders"
	"github.com/partner-identity/api/shared/domain/kyc"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/domain/users"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/http/partnerv2"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/lambda/callbackapi"
	"github.com/partner-identity/api/shared/lambda/lambdarun"
	"github.com/partner-identity/api/shared/webhooks/delivery"
	"github.com/partner-identity/api/shared/webhooks/events"
	"github.com/partner-identity/api/shared/webhooks/queue"
)

// needs are what every route of the surface reads over the network: the
// partner registry (the API key) and the table, and the service keys (a
// partner access token's verification keys, fetched during the start so
// that a token's first request does not wait for them); some read more.
const needs = app.NeedTable | app.NeedServiceKeys

// The routes whose first request reads its key beside its own first call
// (partnerv2's overlap) take a second table connection ahead.
var more = map[string]app.Needs{
	partnerv2.CreateUserRoute.Name:             app.NeedSecondTableConn,
	partnerv2.GetUserRoute.Name:                app.NeedSecondTableConn,
	partnerv2.FindUserRoute.Name:               app.NeedSecondTableConn,
	partnerv2.GetUserKYCRoute.Name:             app.NeedSecondTableConn,
	partnerv2.ListWebhookEventsRoute.Name:      app.NeedSecondTableConn,
	partnerv2.SendTestWebhookRoute.Name:        app.NeedSecondTableConn,
	partnerv2.CreateVerificationLinkRoute.Name: app.NeedKYCProviders,
	partnerv2.CreateUserTokenRoute.Name:        app.NeedSigningKeys | app.NeedSecondTableConn,
	partnerv2.RedeliverWebhookEventRoute.Name:  app.NeedQueue,
	partnerv2.CreateWebhookEndpointRoute.Name:  app.NeedWebhookKey,
	partnerv2.RotateEndpointSecretRoute.Name:   app.NeedWebhookKey,
	partnerv2.SandboxOutcomeRoute.Name:         app.NeedKYCProviders,
	partnerv2.SandboxSimulationRoute.Name:      app.NeedKYCProviders | app.NeedQueue,
}

// Needs are what route name's requests read over the network (the
// function starts them during its initialisation).
func Needs(name string) app.Needs { return needs | more[name] }

// New is the surface over d; retries takes the partners' redeliveries (nil
// for a function that queues none).
func New(d *app.Deps, retries queue.Queue) *partnerv2.API {
	return partnerv2.New(partnerv2.Deps{
		Partners: d.Partners,
		Users:    users.New(d.Store, d.Now, d.SigningKeys, d.UserTokenTTL),
		KYC: kyc.New(kyc.Deps{Store: d.Store, Now: d.Now, SessionTTL: d.KYCSessionTTL, Retention: d.KYCRetention,
			Sumsub: kycproviders.SumsubLinks{Providers: d.KYCProviders, HTTP: d.HTTPClient, Now: d.Now}, SandboxLinkURL: d.SandboxLinkURL(),
			SandboxCallbacks: callbackapi.SandboxCallbacks(d)}),
		Events: events.New(d.Store, d.Now, retries),
		Admin: partners.NewAdmin(d.Store, d.Now, !d.WebhookAllowHTTP).WithSealer(d.Sealer).
			WithURLCheck(delivery.Policy{AllowLoopback: d.WebhookAllowHTTP}.URLCheck(nil)),
		Tokens: d.AccessTokens(),
	})
}

// Main is the main of rt's function: its container from the environment,
// what its requests read started, rt served.
func Main(rt httpx.Route[*partnerv2.API]) { MainWith(rt, nil) }

// MainWith is Main with the queue redeliveries go to, built over the
// container (dispatch.RetryQueue): only the redelivery's function is
// given one, so only it links SQS.
func MainWith(rt httpx.Route[*partnerv2.API], retries func(*app.Deps) queue.Queue) {
	d := app.MustFromEnv()
	var q queue.Queue
	if retries != nil {
		q = retries(d)
	}
	lambdarun.Serve(d, Needs(rt.Name), rt.On(New(d, q)))
}
