package dynamostore

// Key builders of the single table (docs/ARCHITECTURE.md, data). Every key
// of every item is built here; no other file spells a key. The in-memory
// store keys its maps its own way.

import (
	"strconv"
	"strings"
	"time"

	"github.com/partner-identity/api/shared/domain"
)

// Attribute names of the table's keys and indexes.
const (
	attrPK = "pk"
	attrSK = "sk"
	// attrPendingShard and attrPendingExpiry form the sparse index of pending
	// KYC sessions by expiry: only a pending session carries them.
	attrPendingShard  = "pendingShard"
	attrPendingExpiry = "pendingExpiry"
	attrTTL           = "ttl"
	// attrStatusAt is the provider's time of the callback that set a KYC
	// session's status: only a newer one may change it.
	attrStatusAt = "statusAt"
	// attrApplicantID is the provider's applicant of a KYC session, from
	// the first result that named one.
	attrApplicantID = "applicantId"
	// attrKYCResultAt is the provider's time, in Unix nanoseconds (a number,
	// so that a condition compares it), of the newest result applied to
	// any of a user's sessions.
	attrKYCResultAt = "kycResultAt"
	// attrRedeliveryAt marks an outbox event whose redelivery is queued
	// (Unix nanoseconds), until the redelivery is made.
	attrRedeliveryAt = "redeliveryAt"
	// attrCount is a budget's count.
	attrCount = "n"
	// attrDeletedAt marks an erased user's tombstone.
	attrDeletedAt = "deletedAt"
	// attrRev counts the changes of a user's profile that add to what an
	// erasure deletes (a KYC session, a link, a federated identity): the
	// erasure's first write holds only if it is what the erasure read.
	attrRev = "rev"
	// indexPendingByExpiry is the name of that index.
	indexPendingByExpiry = "pending-by-expiry"
	// indexEventsByPartner is the index of outbox events by partner
	// (partnerId) and id (eventId, which sorts by time): only outbox items
	// carry both. It projects the delivery state, not the payload.
	indexEventsByPartner = "events-by-partner"
)

// userPK is the partition key of a user's items.
func userPK(userID string) string { return "USER#" + userID }

// userProfileSK is the sort key of a user's profile item.
const userProfileSK = "PROFILE"

// guardPK is the partition key of the externalUserId guard.
func guardPK(partnerID, externalUserID string) string {
	return "PARTNER#" + partnerID + "#EXT#" + externalUserID
}

// guardSK is the sort key of the externalUserId guard.
const guardSK = "GUARD"

// kycSessionPK is the partition key of a KYC session.
func kycSessionPK(sessionID string) string { return "KYC#" + sessionID }

// kycSessionSK is the sort key of a KYC session.
const kycSessionSK = "SESSION"

// pendingShards is how many partitions the pending index spreads over, so
// that no one index partition takes every new session.
const pendingShards = 4

// pendingShard is the pending-index partition of a session.
func pendingShard(sessionID string) string {
	var h byte
	for i := 0; i < len(sessionID); i++ {
		h = h*31 + sessionID[i]
	}
	return pendingShardName(int(h) % pendingShards)
}

// pendingShardName is the key of pending-index partition i.
func pendingShardName(i int) string { return "PENDING#" + string(rune('0'+i)) }

// linkPK is the partition key of an identifier link: unique by its key.
func linkPK(partnerID, hash string) string { return "IDENT#" + partnerID + "#" + hash }

// linkSK is the sort key of an identifier link.
const linkSK = "LINK"

// outboxPK is the partition key of an outbox event: its own, or, for an
// event kept with its user (domain.OutboxEvent.UserID), the user's outbox
// partition, which the erasure queries.
func outboxPK(k domain.EventKey) string {
	if k.UserID != "" {
		return userOutboxPK(k.UserID)
	}
	return outboxPKPrefix + k.ID
}

// userOutboxPK is the partition of the events kept with a user.
func userOutboxPK(userID string) string { return userOutboxPrefix + userID }

const userOutboxPrefix = "OUTBOX#USER#"

// userOfOutboxPK is the user an outbox partition key keeps its event with
// ("" for an event of its own partition).
func userOfOutboxPK(pk string) string {
	if u, ok := strings.CutPrefix(pk, userOutboxPrefix); ok {
		return u
	}
	return ""
}

// outboxSK is the sort key of an outbox event.
func outboxSK(eventID string) string { return outboxSKPrefix + eventID }

const (
	outboxPKPrefix = "OUTBOX#"
	outboxSKPrefix = "EVENT#"
)

// OutboxKeyOf is the event an item's keys name when the item is an outbox
// event (the table's stream carries keys only: the dispatcher reads the
// event itself), or false for any other item.
func OutboxKeyOf(pk, sk string) (domain.EventKey, bool) {
	id, ok := strings.CutPrefix(sk, outboxSKPrefix)
	if !ok || id == "" || !strings.HasPrefix(pk, outboxPKPrefix) {
		return domain.EventKey{}, false
	}
	k := domain.EventKey{ID: id, UserID: userOfOutboxPK(pk)}
	if outboxPK(k) != pk {
		return domain.EventKey{}, false
	}
	return k, true
}

// kycRefSK is the sort key, under the user's partition (userPK), of the
// reference to one of its KYC sessions, by which the erasure finds them.
func kycRefSK(sessionID string) string { return kycRefPrefix + sessionID }

// kycRefPrefix starts the sort key of every KYC session reference.
const kycRefPrefix = "KYC#"

// federatedIdentitySK is the sort key of a user's federated identity with
// provider, under the user's partition (userPK).
func federatedIdentitySK(provider string) string { return federatedIdentityPrefix + provider }

// federatedIdentityPrefix starts the sort key of every federated identity.
const federatedIdentityPrefix = "FEDID#"

// budgetPK is the partition key of a partner's budget count for one
// window: a key per partner, kind and window, written at most the
// budget's limit times (small limits: never a hot key).
func budgetPK(partnerID, name string, window int64) string {
	return "BUDGET#" + partnerID + "#" + name + "#" + strconv.FormatInt(window, 10)
}

// budgetSK is the sort key of a budget count.
const budgetSK = "COUNT"

// ratePK is the partition key of a partner's rate budget (package
// ratelimit): one item per partner and budget, written about once per
// lease (a container's half second of traffic), not per request.
func ratePK(partnerID, budget string) string { return "RATE#" + partnerID + "#" + budget }

// rateSK is the sort key of a rate budget.
const rateSK = "TAT"

// attrTAT is a rate budget's theoretical arrival time (Unix nanoseconds).
const attrTAT = "tat"

// The partners' items. A partner's profile and its audit share the
// partner's partition (PTN#, not PARTNER#: a role that may write the
// externalUserId guards, PARTNER#..., may not reach a partner's profile);
// each API key and each identity provider has a partition of its own,
// holding a copy of the partner, so that a request finds either with one
// read; the listing of partners is one partition that only operators read.
func partnerPK(id string) string { return "PTN#" + id }

const partnerSK = "PROFILE"

func apiKeyPK(digest string) string { return "APIKEY#" + digest }

const apiKeySK = "KEY"

// apiKeyUsedSK is the sort key of a key's last use, kept apart from the
// key (which every change of its partner rewrites).
const apiKeyUsedSK = "USED"

func providerPK(slug string) string { return "IDP#" + slug }

const providerSK = "PARTNER"

// sealedSecretsPK is a partner's webhook signing secrets' partition, apart
// from its profile: only the roles that sign webhooks may read it (and
// only they may decrypt what it holds).
func sealedSecretsPK(id string) string { return "WHSEC#" + id }

const sealedSecretsSK = "SECRETS"

// partnersIndexPK is the listing's partition; its sort key is the id.
const partnersIndexPK = "PTNS"

// auditSK is an audit entry's sort key: its time (sortable) and a random
// suffix, so that two changes in one nanosecond both stay.
func auditSK(at time.Time, suffix string) string {
	return auditPrefix + at.UTC().Format("20060102T150405.000000000Z") + "#" + suffix
}

const auditPrefix = "AUDIT#"
