package store

// Key builders of the single table (DESIGN.md section 5). Every key of every
// item is built here; no other file spells a key.

// Attribute names of the table's keys and indexes.
const (
	AttrPK = "pk"
	AttrSK = "sk"
	// AttrPendingShard and AttrPendingExpiry form the sparse index of pending
	// KYC sessions by expiry: only a pending session carries them.
	AttrPendingShard  = "pendingShard"
	AttrPendingExpiry = "pendingExpiry"
	AttrTTL           = "ttl"
	// IndexPendingByExpiry is the name of that index.
	IndexPendingByExpiry = "pending-by-expiry"
)

// UserPK is the partition key of a user's items.
func UserPK(userID string) string { return "USER#" + userID }

// UserProfileSK is the sort key of a user's profile item.
const UserProfileSK = "PROFILE"

// GuardPK is the partition key of the externalUserId guard.
func GuardPK(partnerID, externalUserID string) string {
	return "PARTNER#" + partnerID + "#EXT#" + externalUserID
}

// GuardSK is the sort key of the externalUserId guard.
const GuardSK = "GUARD"

// KYCSessionPK is the partition key of a KYC session.
func KYCSessionPK(sessionID string) string { return "KYC#" + sessionID }

// KYCSessionSK is the sort key of a KYC session.
const KYCSessionSK = "SESSION"

// PendingShards is how many partitions the pending index spreads over, so
// that no one index partition takes every new session.
const PendingShards = 4

// PendingShard is the pending-index partition of a session.
func PendingShard(sessionID string) string {
	var h byte
	for i := 0; i < len(sessionID); i++ {
		h = h*31 + sessionID[i]
	}
	return PendingShardName(int(h) % PendingShards)
}

// PendingShardName is the key of pending-index partition i.
func PendingShardName(i int) string { return "PENDING#" + string(rune('0'+i)) }

// LinkPK is the partition key of an identifier link: unique by its key.
func LinkPK(partnerID, hash string) string { return "IDENT#" + partnerID + "#" + hash }

// LinkSK is the sort key of an identifier link.
const LinkSK = "LINK"

// OutboxPK is the partition key of an outbox event.
func OutboxPK(eventID string) string { return "OUTBOX#" + eventID }

// OutboxSK is the sort key of an outbox event.
const OutboxSK = "EVENT"

// FederatedIdentitySK is the sort key of a user's federated identity with
// provider, under the user's partition (UserPK).
func FederatedIdentitySK(provider string) string { return FederatedIdentityPrefix + provider }

// FederatedIdentityPrefix starts the sort key of every federated identity.
const FederatedIdentityPrefix = "FEDID#"
