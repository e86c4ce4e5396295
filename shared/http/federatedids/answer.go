package federatedids

import (
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/http/apierr"
)

// answer is the surface's JSON:API error for a domain error, every kind
// mapped here, once. Any other error is returned as it is: httpx.Wrap
// renders it as internal-server-error, the one place a 5xx is made.
func answer(err error) error {
	e, ok := domain.As(err)
	if !ok {
		return err
	}
	switch e.Kind {
	case domain.Unauthenticated:
		switch e.Reason {
		case domain.ReasonTokenMissing:
			return apierr.TokenMissing()
		case domain.ReasonTokenExpired:
			return apierr.TokenExpired()
		}
		return apierr.TokenInvalid()
	case domain.Gone:
		return apierr.TokenUserGone()
	case domain.Conflict:
		if e.Reason == domain.ReasonMissingLink {
			return apierr.MissingLinkedIdentity()
		}
	case domain.NotFound:
		if e.Reason == domain.ReasonNotSet {
			return apierr.FederatedIdentityNotFound()
		}
	}
	return err
}
