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
