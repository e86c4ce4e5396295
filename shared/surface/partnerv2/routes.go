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

// The routes of the surface, one function each, with the message of each
// one's 500.
var (
	CreateUserRoute             = router.Of("create-user", "POST /api/partner/v2/users", apierr.MsgUserCreationFailed, newAPI, (*API).CreateUser)
	GetUserRoute                = router.Of("get-user", "GET /api/partner/v2/users/{userId}", apierr.MsgInternal, newAPI, (*API).GetUser)
	FindUserRoute               = router.Of("find-user", "GET /api/partner/v2/users", apierr.MsgInternal, newAPI, (*API).FindUser)
	CreateVerificationLinkRoute = router.Of("create-verification-link", "POST /api/partner/v2/users/{userId}/kyc/verification-link", apierr.MsgVerificationLinkFailed, newAPI, (*API).CreateVerificationLink)
	GetUserKYCRoute             = router.Of("get-user-kyc", "GET /api/partner/v2/users/{userId}/kyc", apierr.MsgInternal, newAPI, (*API).GetUserKYC)
	DeleteUserRoute             = router.Of("delete-user", "DELETE /api/partner/v2/users/{userId}", apierr.MsgInternal, newAPI, (*API).DeleteUser)
	CreateUserTokenRoute        = router.Of("create-user-token", "POST /api/partner/v2/users/{userId}/token", apierr.MsgUserTokenFailed, newAPI, (*API).CreateUserToken)
	ListWebhookEventsRoute      = router.Of("list-webhook-events", "GET /api/partner/v2/webhooks/events", apierr.MsgInternal, newAPI, (*API).ListWebhookEvents)
	// The redelivery's function sets the container's retry queue
	// (dispatch.RetryQueue) before the route is built: only it links SQS.
	RedeliverWebhookEventRoute = router.Of("redeliver-webhook-event", "POST /api/partner/v2/webhooks/events/{eventId}/redeliver", apierr.MsgInternal, newAPI, (*API).RedeliverWebhookEvent)
	SendTestWebhookRoute       = router.Of("send-test-webhook", "POST /api/partner/v2/webhooks/test", apierr.MsgInternal, newAPI, (*API).SendTestWebhook)
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
