// Package outbox builds the webhook events that state changes write in the
// same transaction as the change (DESIGN.md section 3): the dispatcher
// delivers them from the table's stream.
package outbox

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/partner-identity/api/shared/store"
	"github.com/partner-identity/api/shared/wire"
)

// Event types.
const (
	UserCreated             = "user.created"
	KYCSessionCreated       = "kyc.session_created"
	KYCSessionExpired       = "kyc.session_expired"
	KYCStatusChanged        = "kyc.status_changed"
	UserIdentifierLinked    = "user.identifier_linked"
	FederatedIdentitySet    = "federated_identity.set"
	FederatedIdentityDelete = "federated_identity.deleted"
	UserDeleted             = "user.deleted"
)

// retention is how long an event is kept (DynamoDB TTL) after it is written.
const retention = 7 * 24 * time.Hour

// payload is the JSON body a partner's webhook receives.
type payload struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	CreatedAt string `json:"createdAt"`
	Data      any    `json:"data"`
}

// New builds an event of type typ for partnerID with data, with a new id
// that stays the event's id on every delivery attempt.
func New(typ, partnerID string, data any, now time.Time) (store.OutboxEvent, error) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := "evt_" + hex.EncodeToString(b[:])
	now = now.UTC()
	body, err := wire.Marshal(payload{ID: id, Type: typ, CreatedAt: wire.Time(now), Data: data})
	if err != nil {
		return store.OutboxEvent{}, err
	}
	return store.OutboxEvent{ID: id, Type: typ, PartnerID: partnerID, Payload: body, CreatedAt: now, RetainUntil: now.Add(retention)}, nil
}

// Must is New for data that always marshals (maps and structs of strings).
func Must(typ, partnerID string, data any, now time.Time) store.OutboxEvent {
	ev, err := New(typ, partnerID, data, now)
	if err != nil {
		panic(err)
	}
	return ev
}

// Personal is New for an event whose data carries personal data of user
// userID beyond ids (an externalUserId, an identifier, a KYC country): the
// event is kept with the user and erased with it.
func Personal(typ, partnerID, userID string, data any, now time.Time) (store.OutboxEvent, error) {
	ev, err := New(typ, partnerID, data, now)
	ev.UserID = userID
	return ev, err
}

// MustPersonal is Personal for data that always marshals.
func MustPersonal(typ, partnerID, userID string, data any, now time.Time) store.OutboxEvent {
	ev := Must(typ, partnerID, data, now)
	ev.UserID = userID
	return ev
}
