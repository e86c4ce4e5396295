// Package routes is the one list of the API's routes, for cmd/local-api,
// which serves them all, and for the tests that check the list against
// docs/openapi.yaml, template.yaml, the Makefile and events/. A function
// serves its own route without this package (see package router), so that
// it links no other route's code.
package surface

import (
	"github.com/partner-identity/api/shared/router"
	"github.com/partner-identity/api/shared/surface/federatedids"
	"github.com/partner-identity/api/shared/surface/kyccallbacks"
	"github.com/partner-identity/api/shared/surface/partnerv2"
	"github.com/partner-identity/api/shared/surface/userv2"
)

// All is every route.
func All() []router.Route {
	return []router.Route{
		partnerv2.CreateUserRoute, partnerv2.GetUserRoute, partnerv2.FindUserRoute,
		partnerv2.CreateVerificationLinkRoute, partnerv2.CreateUserTokenRoute, partnerv2.DeleteUserRoute, partnerv2.GetUserKYCRoute,
		partnerv2.ListWebhookEventsRoute, partnerv2.RedeliverWebhookEventRoute, partnerv2.SendTestWebhookRoute,
		userv2.LinkIdentifierRoute, userv2.UserInfoRoute,
		federatedids.SetIdentityRoute, federatedids.DeleteIdentityRoute, federatedids.ListIdentitiesRoute,
		kyccallbacks.SumsubRoute, kyccallbacks.HostedRoute,
	}
}
