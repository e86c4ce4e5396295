package partnerv2

import (
	"fmt"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/kyc"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/http/apierr"
)

// answer is the surface's answer to a domain error, every kind mapped
// here, once; notFound is what a NotFound is on the route (a user, an
// event). Any other error is returned as it is: httpx.Wrap renders it as
// the route's 500, the one place a 5xx is made.
func answer(err error, notFound func() *apierr.Error) error {
	e, ok := domain.As(err)
	if !ok {
		return err
	}
	switch e.Kind {
	case domain.Invalid:
		switch e.Reason {
		case domain.ReasonTemplateNotConfigured:
			return apierr.KYCTemplateNotConfigured(e.What)
		case domain.ReasonUserType:
			return apierr.InvalidVerificationType()
		}
		return apierr.InvalidInput(e.Problems...)
	case domain.Unauthenticated:
		switch e.Reason {
		case domain.ReasonKeyMissing:
			return apierr.Unauthorized(apierr.MsgAPIKeyMissing)
		case domain.ReasonKeyFormat:
			return apierr.Unauthorized(apierr.MsgAPIKeyFormat)
		}
		return apierr.Unauthorized(apierr.MsgAPIKeyInvalid)
	case domain.Forbidden:
		switch e.Reason {
		case partners.ReasonLiveFromTest:
			return apierr.LiveModeRequired()
		case domain.ReasonTestModeOnly:
			return apierr.TestModeRequired()
		}
		return apierr.InvalidPartnerFlow()
	case domain.NotFound, domain.Gone:
		return notFound()
	case domain.NotOwned:
		return apierr.Unauthorized(apierr.MsgUserNotOfPartner)
	case domain.Conflict:
		switch e.Reason {
		case domain.ReasonExternalUserID:
			return apierr.ExternalUserIDConflict()
		case domain.ReasonAlreadyApproved:
			return apierr.KYCAlreadyApproved()
		case domain.ReasonSessionLimit:
			return apierr.KYCSessionLimit(domain.MaxOpenKYCSessions)
		case domain.ReasonNoWebhook:
			return apierr.WebhookNotConfigured()
		case domain.ReasonKeyLimit:
			return apierr.APIKeyLimit(partners.MaxLiveKeys)
		case domain.ReasonLastKey:
			return apierr.LastAPIKey()
		case domain.ReasonEndpointLimit:
			return apierr.WebhookEndpointLimit(partners.MaxEndpoints)
		case kyc.ReasonNotPending:
			return apierr.SandboxConflict("The KYC session is no longer pending")
		case kyc.ReasonNotApproved:
			return apierr.SandboxConflict("The KYC session is not approved")
		}
	case domain.Limited:
		return apierr.TooManyRequests(fmt.Sprintf("Too many %s: at most %d an hour", e.What, e.Limit), e.RetryAfter)
	}
	return err
}

// lookupAnswer answers a failed lookup of one of the partner's users: 404,
// 401 "User is not associated with the partner", or a 500 "Internal server
// error" whatever the route's own 500 message (the lookup is not the
// route's work).
func lookupAnswer(err error) error {
	if _, ok := domain.As(err); ok {
		return answer(err, apierr.UserNotFound)
	}
	return apierr.Internal(apierr.MsgInternal).WithCause(err)
}
