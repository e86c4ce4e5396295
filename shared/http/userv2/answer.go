package userv2

import (
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/http/apierr"
)

// answer is the surface's ER code for a domain error, every kind mapped
// here, once. Any other error is returned as it is: httpx.Wrap renders it
// as ER999, the one place a 5xx is made.
func answer(err error) error {
	e, ok := domain.As(err)
	if !ok {
		return err
	}
	switch e.Kind {
	case domain.Unauthenticated:
		switch e.Reason {
		case domain.ReasonTokenMissing:
			return apierr.ER700()
		case domain.ReasonTokenExpired:
			return apierr.ER701()
		case domain.ReasonKeyMissing:
			return apierr.ER806()
		case domain.ReasonKeyFormat, domain.ReasonKeyInvalid:
			return apierr.ER805()
		}
		return apierr.ER702()
	case domain.Gone:
		return apierr.ER709()
	case domain.Invalid:
		switch e.Reason {
		case domain.ReasonIdentifierMissing:
			return apierr.ER053()
		case domain.ReasonIdentifierLength:
			return apierr.ER102()
		}
		return apierr.ER707()
	case domain.Conflict:
		if e.Reason == domain.ReasonIdentifierTaken {
			return apierr.ER706()
		}
	}
	return err
}
