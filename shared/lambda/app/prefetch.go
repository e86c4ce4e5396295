package app

// Needs names what a function's first request reads over the network:
// Prefetch starts it during the container's initialisation, concurrently,
// so that the first request does not wait for each in turn.
type Needs uint8

// The needs, one per secret and one for DynamoDB.
const (
	// NeedTable is a connection to DynamoDB, opened ahead of the first call.
	NeedTable Needs = 1 << iota
	NeedServiceKeys
	NeedSigningKeys
	// NeedWebhookKey is a connection to KMS, which opens the partners'
	// webhook signing secrets.
	NeedWebhookKey
	NeedKYCProviders
	// NeedQueue is a connection to SQS (the webhook retry queue).
	NeedQueue
	// NeedSecondTableConn is a second connection to DynamoDB, for a first
	// request that makes two calls at once (its key's read beside its own).
	NeedSecondTableConn
	// NeedThirdTableConn is a third, for one that makes three (a user
	// token's partner and user, and a federated identity's provider).
	NeedThirdTableConn
)

// NeedNames are the needs by name, for messages and tests.
var NeedNames = map[Needs]string{NeedTable: "table", NeedServiceKeys: "service keys",
	NeedSigningKeys: "token signing keys", NeedWebhookKey: "webhook signing key", NeedKYCProviders: "KYC providers", NeedQueue: "queue",
	NeedSecondTableConn: "a second table connection", NeedThirdTableConn: "a third table connection"}

// Prefetch starts, without waiting for any of it, the fetch of each secret
// n names that comes from Secrets Manager and a connection to DynamoDB
// (NeedTable) when the store is DynamoDB, and to SQS (NeedQueue) when a
// webhook queue is configured. A request that needs a secret
// while its fetch is under way waits for it; one whose prefetch failed
// fetches again (secrets.Cache.Prefetch). Local sources (files, the
// development secrets, the memory store) need nothing.
func (d *Deps) Prefetch(n Needs) {
	if !prefetchEnabled {
		return
	}
	for need, start := range d.prefetch {
		if n&need != 0 {
			start()
		}
	}
}

// prefetchable records how Prefetch starts need.
func (d *Deps) prefetchable(need Needs, start func()) {
	if start == nil {
		return
	}
	if d.prefetch == nil {
		d.prefetch = map[Needs]func(){}
	}
	d.prefetch[need] = start
}

// prefetcher is prefetchable for need.
func (d *Deps) prefetcher(need Needs) func(start func()) {
	return func(start func()) { d.prefetchable(need, start) }
}
