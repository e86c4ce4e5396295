package kyc

import (
	"context"
	"time"

	"github.com/partner-identity/api/shared/domain"
)

// MaxSessionsListed bounds the sessions a read of a user's KYC lists.
const MaxSessionsListed = 20

// Read is partner partnerID's user userID and its newest sessions (at
// most MaxSessionsListed), newest first: NotFound, NotOwned. A status is
// read as of the service's clock (Now): a pending one past its expiry is
// EXPIRED.
func (s *Service) Read(ctx context.Context, partnerID, userID string) (domain.User, []domain.KYCSession, error) {
	u, list, err := s.store.UserKYC(ctx, userID, MaxSessionsListed)
	switch {
	case err != nil:
		return domain.User{}, nil, err
	case u.PartnerID != partnerID:
		return domain.User{}, nil, domain.ErrNotOwned
	}
	return u, list, nil
}

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.now() }
