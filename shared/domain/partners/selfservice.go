package partners

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/jsonmember"
)

// A partner's own management of its API keys (Partner v2's /api-keys):
// each change goes through change, as the operator's do; caller is the
// digest of the key the partner called with, whose id the audit names as
// the change's actor.
const (
	// MaxLiveKeys is how many unexpired keys a partner may hold at once
	// (a rotation needs two; several services of the partner, more).
	MaxLiveKeys = 5
	// DefaultRollOverlap is how long a rolled key keeps working when the
	// roll names no expiry; MaxRollOverlap the longest it may.
	DefaultRollOverlap = 24 * time.Hour
	MaxRollOverlap     = 7 * 24 * time.Hour
)

// byKey is the audit's actor of a change a partner made itself, with the
// key whose digest is digest: "partner api (<key id>)".
func byKey(digest string) func(domain.PartnerRecord) string {
	return func(rec domain.PartnerRecord) string {
		for _, k := range rec.Keys {
			if k.Digest == digest {
				return "partner api (" + k.ID + ")"
			}
		}
		return "partner api"
	}
}

// LiveKeys are partnerID's keys that have not expired, the oldest first,
// with their last use (to the day), and the id of the one whose digest
// is caller ("" for none).
func (a *Admin) LiveKeys(ctx context.Context, partnerID, caller string) ([]KeyInfo, string, error) {
	rec, err := a.store.GetPartner(ctx, partnerID)
	if err != nil {
		return nil, "", err
	}
	now, current := a.now(), ""
	var live []domain.APIKey
	var digests []string
	for _, k := range rec.Keys {
		if !k.Expired(now) {
			live = append(live, k)
			digests = append(digests, k.Digest)
		}
		if k.Digest == caller {
			current = k.ID
		}
	}
	used, err := a.store.KeysLastUsed(ctx, digests)
	if err != nil {
		return nil, "", err
	}
	out := make([]KeyInfo, len(live))
	for i, k := range live {
		out[i] = keyInfo(k)
		out[i].LastUsed = used[k.Digest]
	}
	return out, current, nil
}

// CreateKey issues partnerID a new key, returned (the only time it is
// shown): E(Conflict, ReasonKeyLimit) when it holds MaxLiveKeys. Expired
// keys are dropped from the record on the way.
func (a *Admin) CreateKey(ctx context.Context, caller, partnerID string) (KeyInfo, string, error) {
	var key string
	var made domain.APIKey
	_, err := a.changeAs(ctx, byKey(caller), partnerID, "create key", "", func(_ *Partner, keys *[]domain.APIKey) error {
		a.dropExpired(keys)
		if len(*keys) >= MaxLiveKeys {
			return domain.E(domain.Conflict, domain.ReasonKeyLimit)
		}
		key, made = a.newKey(partnerID, time.Time{})
		*keys = append(*keys, made)
		return nil
	})
	if err != nil {
		return KeyInfo{}, "", err
	}
	return keyInfo(made), key, nil
}

// Rolled is a roll's outcome: the new key (Key, shown only here) and the
// rolled one, with its digest (for the caller's container to forget it
// when it stopped at once).
type Rolled struct {
	New       KeyInfo
	Key       string
	Old       KeyInfo
	OldDigest string
}

// RollKey issues partnerID a new key in place of its key keyID, which
// keeps working until expires (zero: DefaultRollOverlap from now; at most
// MaxRollOverlap from now; now or earlier: it stops at once). A key
// already due to expire sooner keeps its expiry. E(NotFound) for no live
// key keyID; Invalid for an expiry past the bound; E(Conflict,
// ReasonKeyLimit) when the new key would exceed MaxLiveKeys while the old
// one lives.
func (a *Admin) RollKey(ctx context.Context, caller, partnerID, keyID string, expires time.Time) (Rolled, error) {
	now := a.now().UTC()
	switch {
	case expires.IsZero():
		expires = now.Add(DefaultRollOverlap)
	case expires.After(now.Add(MaxRollOverlap)):
		return Rolled{}, domain.InvalidInput(domain.Problem{Field: "expiresAt",
			Issue: fmt.Sprintf("is more than %d days ahead", int(MaxRollOverlap/(24*time.Hour)))})
	case expires.Before(now):
		expires = now
	}
	var out Rolled
	_, err := a.changeAs(ctx, byKey(caller), partnerID, "roll key", keyID+" until "+expires.UTC().Format(time.RFC3339), func(_ *Partner, keys *[]domain.APIKey) error {
		a.dropExpired(keys)
		i := slices.IndexFunc(*keys, func(k domain.APIKey) bool { return k.ID == keyID })
		if i < 0 {
			return domain.ErrNotFound
		}
		if k := &(*keys)[i]; k.ExpiresAt.IsZero() || expires.Before(k.ExpiresAt) {
			k.ExpiresAt = expires.UTC()
		}
		old := (*keys)[i]
		live := len(*keys)
		if old.Expired(now) {
			live--
		}
		if live >= MaxLiveKeys {
			return domain.E(domain.Conflict, domain.ReasonKeyLimit)
		}
		key, made := a.newKey(partnerID, time.Time{})
		*keys = append(*keys, made)
		out = Rolled{New: keyInfo(made), Key: key, Old: keyInfo(old), OldDigest: old.Digest}
		return nil
	})
	if err != nil {
		return Rolled{}, err
	}
	return out, nil
}

// RevokeOwnKey revokes partnerID's key keyID at once: E(NotFound) for no
// live key keyID, E(Conflict, ReasonLastKey) for the partner's last live
// key (a partner can never lock itself out). It returns the revoked key's
// digest (for the caller's container to forget it now).
func (a *Admin) RevokeOwnKey(ctx context.Context, caller, partnerID, keyID string) (string, error) {
	var digest string
	_, err := a.changeAs(ctx, byKey(caller), partnerID, "revoke key", keyID, func(_ *Partner, keys *[]domain.APIKey) error {
		a.dropExpired(keys)
		i := slices.IndexFunc(*keys, func(k domain.APIKey) bool { return k.ID == keyID })
		switch {
		case i < 0:
			return domain.ErrNotFound
		case len(*keys) == 1:
			return domain.E(domain.Conflict, domain.ReasonLastKey)
		}
		digest = (*keys)[i].Digest
		*keys = slices.Delete(*keys, i, i+1)
		return nil
	})
	return digest, err
}

// dropExpired removes the keys whose expiry has passed: they no longer
// work, and no longer count against MaxLiveKeys.
func (a *Admin) dropExpired(keys *[]domain.APIKey) {
	now := a.now()
	*keys = slices.DeleteFunc(*keys, func(k domain.APIKey) bool { return k.Expired(now) })
}

func keyInfo(k domain.APIKey) KeyInfo {
	return KeyInfo{ID: k.ID, Hint: k.Hint, CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt}
}

// ParseRoll reads a roll's body: its expiresAt, an RFC 3339 time (up to
// a minute in the past, for clocks apart: now) or "now"; zero when the
// body names none. One problem per bad member.
func ParseRoll(obj map[string]json.RawMessage, now time.Time) (time.Time, []domain.Problem) {
	c := jsonmember.Check(obj)
	var at time.Time
	if s, present, ok := c.Optional("expiresAt"); ok && present {
		t, err := time.Parse(time.RFC3339, s)
		switch {
		case s == "now":
			at = now
		case err != nil:
			c.Fail("expiresAt", `must be an RFC 3339 time or "now"`)
		case t.Before(now.Add(-time.Minute)):
			c.Fail("expiresAt", `is in the past (use "now" to stop the key at once)`)
		default:
			at = t
		}
	}
	c.RejectUnknown("expiresAt")
	return at, c.Details
}
