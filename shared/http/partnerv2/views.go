package partnerv2

import (
	"time"

	"github.com/partner-identity/api/shared/http/httpx"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/kit/wire"
)

// renderCreated is a created user's answer, the data of the 201 that the
// user's guard keeps for every replay (byte for byte).
func renderCreated(u domain.User, now time.Time) ([]byte, error) {
	return wire.Marshal(httpx.UserViewOf(u, now))
}

// linkView is an opened KYC session.
type linkView struct {
	KYCLink   string `json:"kycLink"`
	SessionID string `json:"sessionId"`
	ExpiresAt string `json:"expiresAt"`
	Livemode  bool   `json:"livemode"`
}

// sessionView is a KYC session as the partner reads it.
type sessionView struct {
	SessionID string `json:"sessionId"`
	Status    string `json:"status"`
	Country   string `json:"country"`
	Provider  string `json:"provider"`
	CreatedAt string `json:"createdAt"`
	ExpiresAt string `json:"expiresAt"`
	UpdatedAt string `json:"updatedAt"`
	Livemode  bool   `json:"livemode"`
}

// kycView is a user's KYC: its kycStatus and its newest sessions.
type kycView struct {
	UserID    string        `json:"userId"`
	KYCStatus string        `json:"kycStatus"`
	Sessions  []sessionView `json:"sessions"`
	Livemode  bool          `json:"livemode"`
}

func kycViewOf(u domain.User, list []domain.KYCSession, now time.Time) kycView {
	v := kycView{UserID: u.ID, KYCStatus: u.EffectiveKYCStatus(now), Sessions: make([]sessionView, len(list)), Livemode: domain.Livemode(u.PartnerID)}
	for i, sess := range list {
		v.Sessions[i] = sessionView{SessionID: sess.ID, Status: sess.EffectiveStatus(now), Country: sess.Country,
			Provider: sess.Provider, CreatedAt: wire.Time(sess.CreatedAt), ExpiresAt: wire.Time(sess.ExpiresAt),
			UpdatedAt: wire.Time(sess.UpdatedAt), Livemode: domain.Livemode(sess.PartnerID)}
	}
	return v
}

// eventView is one event as the partner sees it: no payload (the listing
// reads an index that holds none), its delivery state.
type eventView struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	CreatedAt string `json:"createdAt"`
	Status    string `json:"status"`
	Attempts  int    `json:"attempts"`
	// LastAttemptAt is null before the first attempt.
	LastAttemptAt *string `json:"lastAttemptAt"`
	// LastResponseStatus is the HTTP status of the last attempt's answer,
	// null when there was none (no attempt yet, a timeout, a refused
	// connection, an attempt not made while the endpoint was skipped).
	LastResponseStatus *int `json:"lastResponseStatus"`
	// Deliveries are its deliveries, one per endpoint it went to, by
	// endpoint id.
	Deliveries []deliveryView `json:"deliveries"`
	// Livemode is false for a test-mode event.
	Livemode bool `json:"livemode"`
}

// deliveryView is an event's delivery to one endpoint.
type deliveryView struct {
	EndpointID         string  `json:"endpointId"`
	Status             string  `json:"status"`
	Attempts           int     `json:"attempts"`
	LastAttemptAt      *string `json:"lastAttemptAt"`
	LastResponseStatus *int    `json:"lastResponseStatus"`
	DeadLettered       bool    `json:"deadLettered"`
}

func eventViewOf(st domain.OutboxState) eventView {
	v := eventView{ID: st.Event.ID, Type: st.Event.Type, CreatedAt: wire.Time(st.Event.CreatedAt), Status: st.Status, Attempts: st.Attempts,
		Deliveries: make([]deliveryView, len(st.Deliveries)), Livemode: domain.Livemode(st.Event.PartnerID)}
	v.LastAttemptAt, v.LastResponseStatus = lastAttempt(st.LastAttemptAt, st.LastResponseStatus)
	for i, d := range st.Deliveries {
		v.Deliveries[i] = deliveryView{EndpointID: d.EndpointID, Status: d.Status, Attempts: d.Attempts, DeadLettered: d.DeadLettered}
		v.Deliveries[i].LastAttemptAt, v.Deliveries[i].LastResponseStatus = lastAttempt(d.LastAttemptAt, d.LastResponseStatus)
	}
	return v
}

// lastAttempt is an attempt's time and answer as the views show them:
// null for none.
func lastAttempt(at time.Time, status int) (*string, *int) {
	var when *string
	var code *int
	if !at.IsZero() {
		s := wire.Time(at)
		when = &s
	}
	if status != 0 {
		code = &status
	}
	return when, code
}

// eventsPage is a page of the listing; NextCursor is null on the last page.
type eventsPage struct {
	Events     []eventView `json:"events"`
	NextCursor *string     `json:"nextCursor"`
}
