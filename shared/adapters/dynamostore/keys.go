package dynamostore

// Key builders of the single table (docs/ARCHITECTURE.md, data). Every key
// of every item is built here; no other file spells a key. The in-memory
// store keys its maps its own way.

import (
	"hash/fnv"
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
	// attrOpenKYC is a user's set of open KYC sessions (domain.User.OpenKYC).
	attrOpenKYC = "openKyc"
	// attrRev counts the changes of a user's profile that add to what an
	// erasure deletes (a KYC session, a link, a federated identity): the
	// erasure's first write holds only if it is what the erasure read.
	attrRev = "rev"
	// indexPendingByExpiry is the name of that index.
	indexPendingByExpiry = "pending-by-expiry"
	// The three indexes of outbox events, each sorted by eventId (ids
	// sort by time) and each spread so that no partition key takes more
	// than a small share of one partner's events (docs/PERFORMANCE.md,
	// capacity model). They project keys only (and the state index the
	// type): a listing reads its page's events from the table, so no
	// delivery update writes an index.
	//
	// indexEventsByShard: every event of a partner, under
	// eventShardKey (eventShards partitions).
	indexEventsByShard = "events-by-shard"
	attrEventShard     = "eventShard"
	// indexEventsByType: every event, under eventTypeKey (the type
	// filter).
	indexEventsByType  = "events-by-type"
	attrEventTypeShard = "eventTypeShard"
	// indexEventsByState: sparse, only a pending or failed event, under
	// eventStateKey (the status filter's two rare answers; the others,
	// delivered and skipped, are most events: they read the shard index).
	indexEventsByState = "events-by-state"
	attrEventState     = "eventState"
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

// pendingShards is how many partitions the pending index spreads over:
// each new session writes the index twice (in, and out with its result or
// its expiry), so 64 partitions take 20,000 new sessions a second at 625
// writes a second each, under DynamoDB's 1,000 (docs/PERFORMANCE.md).
const pendingShards = 64

// pendingShard is the pending-index partition of a session.
func pendingShard(sessionID string) string {
	return pendingShardName(shardOf(sessionID, pendingShards))
}

// pendingShardName is the key of pending-index partition i.
func pendingShardName(i int) string { return "PENDING#" + strconv.Itoa(i) }

// shardOf spreads ids over n partitions (FNV-1a).
func shardOf(id string, n int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return int(h.Sum32() % uint32(n))
}

// Spreads of a partner's events over the events indexes: at 5,000 events
// a second one partition of the shard index takes about 160 writes a
// second (one write an event: the indexes project nothing that changes),
// one of the type index as many for a partner whose events are all of one
// type, one of the state index about 160 (an event goes in pending and
// out delivered: two writes over 64 partitions). failedShards is small so
// that the failed filter's page is two queries: an event becomes failed
// once, after its last attempt.
const (
	eventShards        = 32
	pendingEventShards = 64
	failedShards       = 2
)

// eventShardKey is event id's partition of partnerID's events in the
// shard index; eventShardKeys are all of them.
func eventShardKey(partnerID, id string) string {
	return shardName(partnerID, shardOf(id, eventShards))
}

// eventTypeKey is event id's partition of partnerID's events of type typ.
func eventTypeKey(partnerID, typ, id string) string {
	return shardName(partnerID+"#"+typ, shardOf(id, eventShards))
}

// eventStateKey is event id's partition of partnerID's events in status
// (pending or failed; false for the others, which are not in the index).
func eventStateKey(partnerID, status, id string) (string, bool) {
	switch status {
	case domain.OutboxPending:
		return shardName(partnerID+"#"+status, shardOf(id, pendingEventShards)), true
	case domain.OutboxFailed:
		return shardName(partnerID+"#"+status, shardOf(id, failedShards)), true
	}
	return "", false
}

// shardKeys are the n partition keys of prefix.
func shardKeys(prefix string, n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = shardName(prefix, i)
	}
	return keys
}

func shardName(prefix string, i int) string { return prefix + "#" + strconv.Itoa(i) }

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
// reference to one of its KYC sessions, by which the erasure finds them:
// its creation time first, so that the newest sort last (UserKYC reads
// them backwards, only as many as it lists). "T" sorts above the hex of
// the references written before times led them (the session id alone).
func kycRefSK(createdAt time.Time, sessionID string) string {
	return kycRefPrefix + "T" + createdAt.UTC().Format("20060102T150405.000000000Z") + "#" + sessionID
}

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

// wipePK is test side partnerID's request to delete its data: one item,
// in the pending index's wiping partition while it waits.
func wipePK(partnerID string) string { return "WIPE#" + partnerID }

// wipeSK is a wipe request's sort key.
const wipeSK = "REQUEST"
