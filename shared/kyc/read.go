package kyc

import (
	"context"
	"errors"

	"github.com/partner-identity/api/shared/store"
	"github.com/partner-identity/api/shared/wire"
)

// MaxSessionsListed bounds the sessions a read of a user's KYC lists.
const MaxSessionsListed = 20

// SessionView is a session as the partner reads it.
type SessionView struct {
	SessionID string `json:"sessionId"`
	Status    string `json:"status"`
	Country   string `json:"country"`
	Provider  string `json:"provider"`
	CreatedAt string `json:"createdAt"`
	ExpiresAt string `json:"expiresAt"`
	UpdatedAt string `json:"updatedAt"`
}

// UserView is a user's KYC: its kycStatus and its newest sessions.
type UserView struct {
	UserID    string        `json:"userId"`
	KYCStatus string        `json:"kycStatus"`
	Sessions  []SessionView `json:"sessions"`
}

// Read is partner partnerID's user userID's KYC, as of now: ErrUserNotFound,
// ErrNotOwned.
func (s *Service) Read(ctx context.Context, partnerID, userID string) (UserView, error) {
	u, list, err := s.store.UserKYC(ctx, userID, MaxSessionsListed)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return UserView{}, ErrUserNotFound
	case err != nil:
		return UserView{}, err
	case u.PartnerID != partnerID:
		return UserView{}, ErrNotOwned
	}
	now := s.now()
	v := UserView{UserID: u.ID, KYCStatus: u.EffectiveKYCStatus(now), Sessions: make([]SessionView, len(list))}
	for i, sess := range list {
		v.Sessions[i] = SessionView{SessionID: sess.ID, Status: sess.EffectiveStatus(now), Country: sess.Country,
			Provider: sess.Provider, CreatedAt: wire.Time(sess.CreatedAt), ExpiresAt: wire.Time(sess.ExpiresAt),
			UpdatedAt: wire.Time(sess.UpdatedAt)}
	}
	return v, nil
}
