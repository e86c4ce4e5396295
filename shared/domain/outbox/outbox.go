// Package outbox builds the webhook events that state changes write in the
// same transaction as the change (DESIGN.md section 3): the dispatcher
// delivers them from the table's stream.
package outbox

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/kit/wire"
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
	// WebhookTest is the event a partner sends itself to check its endpoint.
	WebhookTest = "webhook.test"
)

// Types are the event types, for the events API's type filter.
var Types = []string{UserCreated, KYCSessionCreated, KYCSessionExpired, KYCStatusChanged, UserIdentifierLinked,
	FederatedIdentitySet, FederatedIdentityDelete, UserDeleted, WebhookTest}

// Retention is how long an event is kept (DynamoDB TTL) after it is
// written: what the partner's events API lists. Its personal data leaves
// it earlier, when it is delivered or its retries end.
const Retention = 30 * 24 * time.Hour

// personalFields are the data fields that hold personal data: removed from
// the payload once the event is delivered or its retries end.
var personalFields = []string{"externalUserId", "identifier", "country"}

// payload is the JSON body a partner's webhook receives.
type payload struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	CreatedAt string `json:"createdAt"`
	Data      any    `json:"data"`
	// Livemode is false for a test-mode event (its partner's test side's).
	Livemode bool `json:"livemode"`
	// PersonalDataRemoved marks a payload whose personal fields were
	// removed after delivery (a redelivery of it).
	PersonalDataRemoved bool `json:"personalDataRemoved,omitempty"`
}

// NewID is a new event id: "evt_", 12 hex digits of the Unix time in
// milliseconds, 20 random hex digits. Ids sort by time (the events API
// lists newest first by id) and cannot be guessed.
func NewID(now time.Time) string { return newID(now, true) }

// newID is NewID, its random part marked as a test-mode event's when live
// is false (domain.MarkRandom).
func newID(now time.Time, live bool) string {
	var b [16]byte
	ms := uint64(now.UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	_, _ = rand.Read(b[6:])
	domain.MarkRandom(b[6:], live)
	return "evt_" + hex.EncodeToString(b[:])
}

// ValidID tells whether id has the form of an event id.
func ValidID(id string) bool {
	rest, ok := strings.CutPrefix(id, "evt_")
	if !ok || len(rest) != 32 {
		return false
	}
	_, err := hex.DecodeString(rest)
	return err == nil && strings.ToLower(rest) == rest
}

// New builds an event of type typ for partnerID with data, with a new id
// that stays the event's id on every delivery attempt.
func New(typ, partnerID string, data any, now time.Time) (domain.OutboxEvent, error) {
	now = now.UTC()
	id := newID(now, domain.Livemode(partnerID))
	body, err := wire.Marshal(payload{ID: id, Type: typ, CreatedAt: wire.Time(now), Data: data, Livemode: domain.Livemode(partnerID)})
	if err != nil {
		return domain.OutboxEvent{}, err
	}
	return domain.OutboxEvent{ID: id, Type: typ, PartnerID: partnerID, Payload: body, CreatedAt: now, RetainUntil: now.Add(Retention)}, nil
}

// scrub is payload without its personal data fields, marked so; nil when
// it holds none.
func scrub(body []byte) []byte {
	var p struct {
		ID        string                     `json:"id"`
		Type      string                     `json:"type"`
		CreatedAt string                     `json:"createdAt"`
		Data      map[string]json.RawMessage `json:"data"`
		Livemode  bool                       `json:"livemode"`
	}
	if json.Unmarshal(body, &p) != nil {
		return nil
	}
	removed := false
	for _, f := range personalFields {
		if _, ok := p.Data[f]; ok {
			delete(p.Data, f)
			removed = true
		}
	}
	if !removed {
		return nil
	}
	out, err := wire.Marshal(payload{ID: p.ID, Type: p.Type, CreatedAt: p.CreatedAt, Data: p.Data, Livemode: p.Livemode, PersonalDataRemoved: true})
	if err != nil {
		return nil
	}
	return out
}

// Must is New for data that always marshals (maps and structs of strings).
func Must(typ, partnerID string, data any, now time.Time) domain.OutboxEvent {
	ev, err := New(typ, partnerID, data, now)
	if err != nil {
		panic(err)
	}
	return ev
}

// Personal is New for an event whose data carries personal data of user
// userID beyond ids (an externalUserId, an identifier, a KYC country): the
// event is kept with the user and erased with it.
func Personal(typ, partnerID, userID string, data any, now time.Time) (domain.OutboxEvent, error) {
	ev, err := New(typ, partnerID, data, now)
	ev.UserID = userID
	ev.Scrubbed = scrub(ev.Payload)
	return ev, err
}

// MustPersonal is Personal for data that always marshals.
func MustPersonal(typ, partnerID, userID string, data any, now time.Time) domain.OutboxEvent {
	ev := Must(typ, partnerID, data, now)
	ev.UserID = userID
	ev.Scrubbed = scrub(ev.Payload)
	return ev
}
