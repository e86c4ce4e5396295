package partnerv2

import (
	"github.com/partner-identity/api/shared/apierr"
	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/kyc"
	"github.com/partner-identity/api/shared/router"
	"github.com/partner-identity/api/shared/sumsub"
	"github.com/partner-identity/api/shared/users"
	"github.com/partner-identity/api/shared/webhookevents"
)

// newAPI is the surface over a container's dependencies.
func newAPI(d *app.Deps) *API {
	return &API{
		registry: d.Registry,
		users:    users.New(d.Store, d.Now, d.SigningKeys, d.UserTokenTTL),
		kyc:      kyc.New(d.Store, d.Now, d.KYCSessionTTL, d.KYCRetention).UseProviders(d.KYCProviders, httpClient(d)),
		events:   webhookevents.New(d.Store, d.Now, d.WebhookRetries),
	}
}

// needs are what every route of the surface reads: the partner registry
// (the API key) and the table.
const needs = app.NeedRegistry | app.NeedTable

// The routes of the surface, one function each, with the message of each
// one's 500 and what its requests read besides (app.Needs).
var (
	CreateUserRoute             = router.Of("create-user", "POST /api/partner/v2/users", apierr.MsgUserCreationFailed, newAPI, (*API).CreateUser).Needing(needs)
	GetUserRoute                = router.Of("get-user", "GET /api/partner/v2/users/{userId}", apierr.MsgInternal, newAPI, (*API).GetUser).Needing(needs)
	FindUserRoute               = router.Of("find-user", "GET /api/partner/v2/users", apierr.MsgInternal, newAPI, (*API).FindUser).Needing(needs)
	CreateVerificationLinkRoute = router.Of("create-verification-link", "POST /api/partner/v2/users/{userId}/kyc/verification-link", apierr.MsgVerificationLinkFailed, newAPI, (*API).CreateVerificationLink).Needing(needs | app.NeedKYCProviders)
	GetUserKYCRoute             = router.Of("get-user-kyc", "GET /api/partner/v2/users/{userId}/kyc", apierr.MsgInternal, newAPI, (*API).GetUserKYC).Needing(needs)
	DeleteUserRoute             = router.Of("delete-user", "DELETE /api/partner/v2/users/{userId}", apierr.MsgInternal, newAPI, (*API).DeleteUser).Needing(needs)
	CreateUserTokenRoute        = router.Of("create-user-token", "POST /api/partner/v2/users/{userId}/token", apierr.MsgUserTokenFailed, newAPI, (*API).CreateUserToken).Needing(needs | app.NeedSigningKeys)
	ListWebhookEventsRoute      = router.Of("list-webhook-events", "GET /api/partner/v2/webhooks/events", apierr.MsgInternal, newAPI, (*API).ListWebhookEvents).Needing(needs)
	// The redelivery's function sets the container's retry queue
	// (dispatch.RetryQueue) before the route is built: only it links SQS.
	RedeliverWebhookEventRoute = router.Of("redeliver-webhook-event", "POST /api/partner/v2/webhooks/events/{eventId}/redeliver", apierr.MsgInternal, newAPI, (*API).RedeliverWebhookEvent).Needing(needs | app.NeedQueue)
	SendTestWebhookRoute       = router.Of("send-test-webhook", "POST /api/partner/v2/webhooks/test", apierr.MsgInternal, newAPI, (*API).SendTestWebhook).Needing(needs)
)

// httpClient is the client that calls the KYC providers: d's, or none (the
// default client) when d has none. A nil *http.Client in the interface
// would not be nil.
func httpClient(d *app.Deps) sumsub.Doer {
	if d.HTTPClient == nil {
		return nil
	}
	return d.HTTPClient
}
