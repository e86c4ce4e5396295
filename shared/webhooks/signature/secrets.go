package signature

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/partners"
	"golang.org/x/sync/singleflight"
)

// Keyring is where a sender finds the webhook signing keys of a partner's
// endpoint: those that sign now, the current first (none: the endpoint
// has no secret).
type Keyring interface {
	For(ctx context.Context, partnerID, endpointID string) ([]Key, error)
}

// Secrets is a fixed Keyring by partner id, the same keys for each of its
// endpoints, or by "partnerID/endpointID" for one (tests).
type Secrets map[string][]Key

func (s Secrets) For(_ context.Context, partnerID, endpointID string) ([]Key, error) {
	if k, ok := s[partnerID+"/"+endpointID]; ok {
		return k, nil
	}
	return s[partnerID], nil
}

// SealedStore is the part of the store a Stored keyring reads.
type SealedStore interface {
	SealedSecrets(ctx context.Context, partnerID string) (domain.SealedSecrets, error)
}

// Stored is the Keyring of the partners' sealed secrets in the store, for
// one container: a partner's secrets are read at most once per
// partners.CacheTTL (a rotation signs within a minute), and each secret is
// opened once per container (the sealer: KMS Decrypt), so that KMS sees a
// call per partner per container, and one more per rotation, not one per
// event. Both caches are bounded (partners.CacheEntries partners).
type Stored struct {
	store  SealedStore
	sealer domain.Sealer
	now    func() time.Time

	mu     sync.Mutex
	read   map[string]readSecrets
	opened map[[sha256.Size]byte]Key
	group  singleflight.Group
}

type readSecrets struct {
	s         domain.SealedSecrets
	at, until time.Time
}

// missAfter is how long after a read an endpoint missing from it makes
// the partner's secrets read again: a new endpoint signs at once (its
// secret was written before it), and an endpoint whose secret is missing
// costs a read a second at most.
const missAfter = time.Second

// NewStored is the keyring of store's secrets, opened by sealer.
func NewStored(store SealedStore, sealer domain.Sealer, now func() time.Time) *Stored {
	if now == nil {
		now = time.Now
	}
	return &Stored{store: store, sealer: sealer, now: now, read: map[string]readSecrets{}, opened: map[[sha256.Size]byte]Key{}}
}

// For returns the live keys of partnerID's endpoint, the current first.
func (k *Stored) For(ctx context.Context, partnerID, endpointID string) ([]Key, error) {
	now := k.now()
	k.mu.Lock()
	r, ok := k.read[partnerID]
	k.mu.Unlock()
	missing := ok && endpointID != domain.DefaultEndpointID && r.s.For(endpointID) == nil && now.Sub(r.at) >= missAfter
	if !ok || !now.Before(r.until) || missing {
		v, err, _ := k.group.Do(partnerID, func() (any, error) {
			s, err := k.store.SealedSecrets(ctx, partnerID)
			if err != nil && !errors.Is(err, domain.ErrNotFound) {
				return nil, err
			}
			at := k.now()
			r := readSecrets{s: s, at: at, until: at.Add(partners.CacheTTL)}
			k.mu.Lock()
			if len(k.read) >= partners.CacheEntries {
				clear(k.read)
			}
			k.read[partnerID] = r
			k.mu.Unlock()
			return r, nil
		})
		if err != nil {
			return nil, err
		}
		r = v.(readSecrets)
	}
	live := partners.Live(r.s.For(endpointID), now)
	keys := make([]Key, 0, len(live))
	for _, x := range live {
		key, err := k.open(ctx, partnerID, x)
		if err != nil {
			return nil, err
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// open is x's key, opened once per container.
func (k *Stored) open(ctx context.Context, partnerID string, x domain.SealedSecret) (Key, error) {
	h := sha256.New()
	h.Write([]byte(partnerID))
	h.Write([]byte{0})
	h.Write(x.Sealed)
	var id [sha256.Size]byte
	h.Sum(id[:0])
	k.mu.Lock()
	key, ok := k.opened[id]
	k.mu.Unlock()
	if ok {
		return key, nil
	}
	v, err, _ := k.group.Do("open\x00"+string(id[:]), func() (any, error) {
		plain, err := k.sealer.Open(ctx, partnerID, x.Sealed)
		if err != nil {
			return nil, err
		}
		key, err := ParseSecret(string(plain))
		if err != nil {
			return nil, err
		}
		k.mu.Lock()
		if len(k.opened) >= partners.MaxWebhookSecrets*partners.MaxEndpoints*partners.CacheEntries {
			clear(k.opened)
		}
		k.opened[id] = key
		k.mu.Unlock()
		return key, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(Key), nil
}
