// Package routes is the one list of the API's routes, for cmd/local-api,
// which serves them all, and for the tests that check the list against
// docs/openapi.yaml, template.yaml, the Makefile and events/. A function
// serves its own route without this package (see package router), so that
// it links no other route's code.
package routes

import (
	"github.com/partner-identity/api/shared/fedapi"
	"github.com/partner-identity/api/shared/partnerapi"
	"github.com/partner-identity/api/shared/router"
	"github.com/partner-identity/api/shared/userapi"
)

// All is every route.
func All() []router.Route {
	return []router.Route{
		partnerapi.CreateUserRoute, partnerapi.GetUserRoute, partnerapi.FindUserRoute,
		partnerapi.CreateVerificationLinkRoute, partnerapi.CreateUserTokenRoute,
		userapi.LinkIdentifierRoute, userapi.UserInfoRoute,
		fedapi.SetIdentityRoute, fedapi.DeleteIdentityRoute, fedapi.ListIdentitiesRoute,
	}
}
