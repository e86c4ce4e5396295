package partnerv2

import (
	"github.com/partner-identity/api/shared/domain/kyc"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/domain/ratelimit"
	"github.com/partner-identity/api/shared/domain/users"
	"github.com/partner-identity/api/shared/http/apierr"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/webhooks/events"
)

// Deps are what the surface's handlers use, and nothing else.
type Deps struct {
	// Partners is the partner registry, which authenticates API keys.
	Partners partners.Lookup
	Users    *users.Service
	KYC      *kyc.Service
	// Events is the partner's events API (its Redeliver needs a retry
	// queue: only the redelivery's function is given one).
	Events *events.Service
	// Admin makes the partner's changes to its own record (its keys), as
	// the operator's command makes them.
	Admin *partners.Admin
	// Tokens checks partner access tokens (Authorization: Bearer), which
	// every route accepts in place of the key.
	Tokens *partners.AccessTokens
}

// API is the Partner v2 surface.
type API struct{ d Deps }

// New is the surface over d.
func New(d Deps) *API { return &API{d: d} }

// The routes of the surface, one function each, with the message of each
// one's 500.
var (
	CreateUserRoute             = httpx.Route[*API]{Name: "create-user", Pattern: "POST /api/partner/v2/users", Failure: apierr.MsgUserCreationFailed, Handle: (*API).CreateUser}
	GetUserRoute                = httpx.Route[*API]{Name: "get-user", Pattern: "GET /api/partner/v2/users/{userId}", Handle: (*API).GetUser}
	FindUserRoute               = httpx.Route[*API]{Name: "find-user", Pattern: "GET /api/partner/v2/users", Handle: (*API).FindUser}
	CreateVerificationLinkRoute = httpx.Route[*API]{Name: "create-verification-link", Pattern: "POST /api/partner/v2/users/{userId}/kyc/verification-link", Failure: apierr.MsgVerificationLinkFailed, Budget: ratelimit.KYCLinks, Handle: (*API).CreateVerificationLink}
	GetUserKYCRoute             = httpx.Route[*API]{Name: "get-user-kyc", Pattern: "GET /api/partner/v2/users/{userId}/kyc", Handle: (*API).GetUserKYC}
	DeleteUserRoute             = httpx.Route[*API]{Name: "delete-user", Pattern: "DELETE /api/partner/v2/users/{userId}", Handle: (*API).DeleteUser}
	CreateUserTokenRoute        = httpx.Route[*API]{Name: "create-user-token", Pattern: "POST /api/partner/v2/users/{userId}/token", Failure: apierr.MsgUserTokenFailed, Budget: ratelimit.Tokens, Handle: (*API).CreateUserToken}
	ListWebhookEventsRoute      = httpx.Route[*API]{Name: "list-webhook-events", Pattern: "GET /api/partner/v2/webhooks/events", Handle: (*API).ListWebhookEvents}
	RedeliverWebhookEventRoute  = httpx.Route[*API]{Name: "redeliver-webhook-event", Pattern: "POST /api/partner/v2/webhooks/events/{eventId}/redeliver", Budget: ratelimit.WebhookTests, Handle: (*API).RedeliverWebhookEvent}
	SendTestWebhookRoute        = httpx.Route[*API]{Name: "send-test-webhook", Pattern: "POST /api/partner/v2/webhooks/test", Budget: ratelimit.WebhookTests, Handle: (*API).SendTestWebhook}
	ListAPIKeysRoute            = httpx.Route[*API]{Name: "list-api-keys", Pattern: "GET /api/partner/v2/api-keys", Handle: (*API).ListAPIKeys}
	CreateAPIKeyRoute           = httpx.Route[*API]{Name: "create-api-key", Pattern: "POST /api/partner/v2/api-keys", Handle: (*API).CreateAPIKey}
	RollAPIKeyRoute             = httpx.Route[*API]{Name: "roll-api-key", Pattern: "POST /api/partner/v2/api-keys/{keyId}/roll", Handle: (*API).RollAPIKey}
	RevokeAPIKeyRoute           = httpx.Route[*API]{Name: "revoke-api-key", Pattern: "DELETE /api/partner/v2/api-keys/{keyId}", Handle: (*API).RevokeAPIKey}
	GetLimitsRoute              = httpx.Route[*API]{Name: "get-limits", Pattern: "GET /api/partner/v2/limits", Handle: (*API).GetLimits}
	ListWebhookEndpointsRoute   = httpx.Route[*API]{Name: "list-webhook-endpoints", Pattern: "GET /api/partner/v2/webhooks/endpoints", Handle: (*API).ListWebhookEndpoints}
	CreateWebhookEndpointRoute  = httpx.Route[*API]{Name: "create-webhook-endpoint", Pattern: "POST /api/partner/v2/webhooks/endpoints", Handle: (*API).CreateWebhookEndpoint}
	GetWebhookEndpointRoute     = httpx.Route[*API]{Name: "get-webhook-endpoint", Pattern: "GET /api/partner/v2/webhooks/endpoints/{endpointId}", Handle: (*API).GetWebhookEndpoint}
	UpdateWebhookEndpointRoute  = httpx.Route[*API]{Name: "update-webhook-endpoint", Pattern: "PATCH /api/partner/v2/webhooks/endpoints/{endpointId}", Handle: (*API).UpdateWebhookEndpoint}
	DeleteWebhookEndpointRoute  = httpx.Route[*API]{Name: "delete-webhook-endpoint", Pattern: "DELETE /api/partner/v2/webhooks/endpoints/{endpointId}", Handle: (*API).DeleteWebhookEndpoint}
	RotateEndpointSecretRoute   = httpx.Route[*API]{Name: "rotate-webhook-endpoint-secret", Pattern: "POST /api/partner/v2/webhooks/endpoints/{endpointId}/rotate-secret", Handle: (*API).RotateWebhookEndpointSecret}
	SandboxOutcomeRoute         = httpx.Route[*API]{Name: "sandbox-kyc-outcome", Pattern: "POST /api/partner/v2/sandbox/kyc-sessions/{sessionId}/outcome", Handle: (*API).SandboxOutcome}
	WipeSandboxDataRoute        = httpx.Route[*API]{Name: "sandbox-wipe-data", Pattern: "DELETE /api/partner/v2/sandbox/data", Handle: (*API).WipeSandboxData}
	SandboxSimulationRoute      = httpx.Route[*API]{Name: "sandbox-simulation", Pattern: "POST /api/partner/v2/sandbox/simulations", Budget: ratelimit.WebhookTests, Handle: (*API).SandboxSimulation}
)

// Routes are the surface's routes.
var Routes = []httpx.Route[*API]{CreateUserRoute, GetUserRoute, FindUserRoute, CreateVerificationLinkRoute, CreateUserTokenRoute,
	DeleteUserRoute, GetUserKYCRoute, ListWebhookEventsRoute, RedeliverWebhookEventRoute, SendTestWebhookRoute,
	ListAPIKeysRoute, CreateAPIKeyRoute, RollAPIKeyRoute, RevokeAPIKeyRoute,
	GetLimitsRoute, ListWebhookEndpointsRoute, CreateWebhookEndpointRoute, GetWebhookEndpointRoute, UpdateWebhookEndpointRoute,
	DeleteWebhookEndpointRoute, RotateEndpointSecretRoute, SandboxOutcomeRoute, SandboxSimulationRoute, WipeSandboxDataRoute}
