package domain

import (
	"context"
	"time"
)

// PartnerRecord is a partner as stored: its settings (name, flow,
// standing, KYC templates, webhook URL, identity provider: a JSON document
// that package partners writes and reads), the identity provider the store
// keeps unique, its API keys, and a revision that every change counts.
type PartnerRecord struct {
	ID       string
	Settings []byte
	// Provider is the partner's identityProvider slug ("" for none): no two
	// partners hold the same.
	Provider string
	Keys     []APIKey
	// Active: the partner may call the API (in a flow, not suspended);
	// kept on each key's item too, so that a write can be conditioned on
	// the key that asks for it (KeyCheck).
	Active bool
	// Hooked: the partner has a webhook endpoint (kept on its keys' items
	// too, for KeyCheck.Hooked).
	Hooked    bool
	Rev       int64 // 1 when created; each change adds one
	CreatedAt time.Time
	UpdatedAt time.Time
}

// APIKey is one of a partner's API keys: the key itself is never stored,
// only its SHA-256 (hex), which a request's key is looked up by.
type APIKey struct {
	ID     string
	Digest string
	// Hint is the last four characters of the key's random part, which
	// tell a partner's keys apart without revealing them ("" for a key
	// imported as a digest).
	Hint      string
	CreatedAt time.Time
	// ExpiresAt ends the key ("zero": it does not expire): a rotation
	// issues a new key and gives the old one an expiry.
	ExpiresAt time.Time
}

// Expired tells whether the key has stopped working at now.
func (k APIKey) Expired(now time.Time) bool { return !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt) }

// KeyMatch is a key found by its digest and its partner as of the
// partner's last change (a copy kept with the key, so that finding both
// is one read).
type KeyMatch struct {
	Key     APIKey
	Partner PartnerRecord
}

// AuditEntry records one change of a partner: who made it, when, and
// what (an action and a detail without secrets: a key's id, never the key).
type AuditEntry struct {
	PartnerID string
	Actor     string
	Action    string
	Detail    string
	At        time.Time
}

// KeyCheck conditions a write on the API key that asks for it, checked in
// the write's own transaction: the key (by its SHA-256, Digest) is
// partner PartnerID's, unexpired at At, and its partner is active. A
// request whose key is not yet known to its container writes with it
// while the key is read beside it, so that neither waits for the other
// and a key that turns out invalid has written nothing.
type KeyCheck struct {
	Digest    string
	PartnerID string
	At        time.Time
	// Hooked: and the partner has a webhook endpoint (a test event's).
	Hooked bool
}

// ReasonKeyCheck is a write refused by its KeyCheck (Unauthenticated).
const ReasonKeyCheck = Reason("key_check")

type keyCheckKey struct{}

// WithKeyCheck is ctx whose writes (those that say so: CreateUser,
// PutOutboxEvent) are
// conditioned on c.
func WithKeyCheck(ctx context.Context, c KeyCheck) context.Context {
	return context.WithValue(ctx, keyCheckKey{}, c)
}

// KeyCheckOf is ctx's KeyCheck, if any.
func KeyCheckOf(ctx context.Context) (KeyCheck, bool) {
	c, ok := ctx.Value(keyCheckKey{}).(KeyCheck)
	return c, ok
}

// SealedSecrets are a partner's webhook signing secrets as stored, the
// current first: each sealed on its own by a Sealer (encrypted under the
// deployment's KMS key, bound to the partner), its dates in the clear, so
// that an operator rotates without decrypting and a role that reads the
// table cannot read a secret.
type SealedSecrets struct {
	PartnerID string
	// Secrets sign for the partner's first endpoint (the operator's
	// webhook URL); Endpoints for each of its other endpoints, by id.
	Secrets   []SealedSecret
	Endpoints map[string][]SealedSecret
	Rev       int64 // 1 when first written; each change adds one
	UpdatedAt time.Time
}

// DefaultEndpointID is the id of a partner's first webhook endpoint,
// whose secrets are SealedSecrets.Secrets.
const DefaultEndpointID = "we_default"

// For are the secrets of the partner's endpoint id.
func (s SealedSecrets) For(endpointID string) []SealedSecret {
	if endpointID == DefaultEndpointID || endpointID == "" {
		return s.Secrets
	}
	return s.Endpoints[endpointID]
}

// SealedSecret is one sealed webhook signing secret.
type SealedSecret struct {
	ID        string
	Sealed    []byte
	CreatedAt time.Time
	// ExpiresAt ends it (zero: it does not expire): a rotation gives the
	// replaced secret one, so that both sign during the overlap.
	ExpiresAt time.Time
}

// Sealer encrypts and decrypts a partner's secrets, bound to the partner:
// what was sealed for one partner does not open for another. In AWS it is
// KMS (only the roles granted kms:Decrypt on the key can open).
type Sealer interface {
	Seal(ctx context.Context, partnerID string, plaintext []byte) ([]byte, error)
	Open(ctx context.Context, partnerID string, sealed []byte) ([]byte, error)
}

// Reasons of the partners' store.
const (
	ReasonPartnerExists = Reason("partner_exists") // Conflict: the id is taken
	ReasonKeyTaken      = Reason("key_taken")      // Conflict: a key's digest is another partner's
	ReasonProviderTaken = Reason("provider_taken") // Conflict: the identity provider is another partner's
	ReasonStalePartner  = Reason("partner")        // Stale: the partner changed since it was read
)

// Partners stores the partners, their keys and the record of their
// changes. A request reads one item: a key with its partner, a partner by
// id or by identity provider; nothing reads every partner but an
// operator's listing.
type Partners interface {
	// SavePartner writes p as the partner's state in one step: prev is the
	// state it replaces as read (nil to create: E(Conflict,
	// ReasonPartnerExists) when the id exists), E(Stale,
	// ReasonStalePartner) when the stored revision is not prev's;
	// E(Conflict, ReasonKeyTaken) when a new key's digest is held,
	// E(Conflict, ReasonProviderTaken) when p's provider is another
	// partner's. p.Rev is prev's plus one (1 for a new partner). Keys of
	// prev missing from p are removed; a is recorded with the change.
	SavePartner(ctx context.Context, prev *PartnerRecord, p PartnerRecord, a AuditEntry) error
	// DeletePartner removes p (as read: E(Stale, ReasonStalePartner) when
	// it changed since), its keys and its provider, recording a. Its
	// users stay, and its audit.
	DeletePartner(ctx context.Context, p PartnerRecord, a AuditEntry) error
	// GetPartner returns partner id (ErrNotFound).
	GetPartner(ctx context.Context, id string) (PartnerRecord, error)
	// PartnerByKey returns the key whose digest is digest, with its
	// partner (ErrNotFound): one read.
	PartnerByKey(ctx context.Context, digest string) (KeyMatch, error)
	// PartnerByProvider returns the partner whose identity provider is
	// slug (ErrNotFound): one read.
	PartnerByProvider(ctx context.Context, slug string) (PartnerRecord, error)
	// ListPartners returns up to limit partners by id after the id after
	// ("" from the first), and the cursor of the next page ("" at the end).
	ListPartners(ctx context.Context, after string, limit int) ([]PartnerRecord, string, error)
	// ListAudit returns partnerID's recorded changes, oldest first (a
	// removed partner's too).
	ListAudit(ctx context.Context, partnerID string) ([]AuditEntry, error)
	// TouchKey records that the key digest was used on day (midnight UTC),
	// unless as late a day is recorded: a key's last use, to the day.
	TouchKey(ctx context.Context, digest string, day time.Time) error
	// SaveSealedSecrets writes s as its partner's webhook signing secrets,
	// recording a: prevRev is the revision it replaces as read (0: none
	// yet), E(Stale, ReasonStalePartner) when the stored one is another;
	// ErrNotFound when the partner does not exist. s.Rev is prevRev plus one.
	SaveSealedSecrets(ctx context.Context, prevRev int64, s SealedSecrets, a AuditEntry) error
	// SealedSecrets returns partnerID's webhook signing secrets
	// (ErrNotFound when it has none): one read. DeletePartner removes them.
	SealedSecrets(ctx context.Context, partnerID string) (SealedSecrets, error)
	// KeysLastUsed returns the recorded last use of each of digests that
	// has one.
	KeysLastUsed(ctx context.Context, digests []string) (map[string]time.Time, error)
}
