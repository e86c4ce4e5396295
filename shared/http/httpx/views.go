package httpx

import (
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/kit/wire"
)

// UserView is a user as Partner v2 and User v2 show it.
type UserView struct {
	UserID         string  `json:"userId"`
	ExternalUserID string  `json:"externalUserId"`
	Type           string  `json:"type"`
	Method         string  `json:"method"`
	Identifier     *string `json:"identifier"`
	Alias          *string `json:"alias"`
	KYCStatus      string  `json:"kycStatus"`
	CreatedAt      string  `json:"createdAt"`
	UpdatedAt      string  `json:"updatedAt"`
	// Livemode is false for a test-mode user (made with a test key).
	Livemode bool `json:"livemode"`
}

// UserViewOf is u as of now (a pending KYC whose session has expired reads
// EXPIRED).
func UserViewOf(u domain.User, now time.Time) UserView {
	v := UserView{
		UserID: u.ID, ExternalUserID: u.ExternalUserID, Type: u.Type, Method: u.Method,
		KYCStatus: u.EffectiveKYCStatus(now),
		CreatedAt: wire.Time(u.CreatedAt),
		UpdatedAt: wire.Time(u.UpdatedAt),
		Livemode:  domain.Livemode(u.PartnerID),
	}
	if u.Identifier != "" {
		id := u.Identifier
		v.Identifier = &id
	}
	if u.HasAlias {
		a := u.Alias
		v.Alias = &a
	}
	return v
}
