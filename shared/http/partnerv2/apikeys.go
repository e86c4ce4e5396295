package partnerv2

import (
	"bytes"
	"net/http"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/jsonmember"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/http/apierr"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/kit/wire"
)

// The partner's own API keys: /api/partner/v2/api-keys. Every change is
// made as the operator's command makes it (partners.Admin: validated,
// audited with the calling key's id as the actor, made again on a
// concurrent change); a key is shown once, when it is made.

// keyView is an API key as its partner sees it: never the key itself.
type keyView struct {
	ID string `json:"id"`
	// Hint is the last four characters of the key's random part (null for
	// a key imported as a digest).
	Hint      *string `json:"hint"`
	CreatedAt string  `json:"createdAt"`
	// ExpiresAt is null for a key without an expiry.
	ExpiresAt *string `json:"expiresAt"`
	// LastUsedAt is the day of its last recorded use (coarse: recorded
	// once a day per container), null before any.
	LastUsedAt *string `json:"lastUsedAt"`
	// Current tells the key this request was made with.
	Current bool `json:"current"`
	// Mode is "live" or "test" (the key's prefix says it too).
	Mode string `json:"mode"`
}

// newKeyView is a key just made: the key itself, shown this once.
type newKeyView struct {
	keyView
	Key string `json:"key"`
}

// rolledView is a roll's answer: the new key, and the rolled one's id and
// when it stops working.
type rolledView struct {
	newKeyView
	Rolled rolledKey `json:"rolledKey"`
}

type rolledKey struct {
	ID        string `json:"id"`
	ExpiresAt string `json:"expiresAt"`
}

type revokedView struct {
	ID        string `json:"id"`
	RevokedAt string `json:"revokedAt"`
}

type keysView struct {
	Keys []keyView `json:"keys"`
}

func keyViewOf(k partners.KeyInfo, current, partnerID string) keyView {
	v := keyView{ID: k.ID, CreatedAt: wire.Time(k.CreatedAt), Current: k.ID == current, Mode: partners.ModeLive}
	if !domain.Livemode(partnerID) {
		v.Mode = partners.ModeTest
	}
	if k.Hint != "" {
		h := k.Hint
		v.Hint = &h
	}
	if !k.ExpiresAt.IsZero() {
		at := wire.Time(k.ExpiresAt)
		v.ExpiresAt = &at
	}
	if !k.LastUsed.IsZero() {
		day := k.LastUsed.UTC().Format(time.DateOnly)
		v.LastUsedAt = &day
	}
	return v
}

// caller is the request's partner, allowed to manage its keys, and the
// digest of the key it called with.
func (a *API) caller(r *http.Request) (*partners.Partner, string, error) {
	return a.authenticated(r, partners.OpManageKeys)
}

// ListAPIKeys is GET /api/partner/v2/api-keys: the partner's live keys,
// oldest first.
func (a *API) ListAPIKeys(w http.ResponseWriter, r *http.Request) error {
	p, digest, err := a.caller(r)
	if err != nil {
		return err
	}
	keys, current, err := a.d.Admin.LiveKeys(r.Context(), p.ID, digest)
	if err != nil {
		return answer(err, apierr.APIKeyNotFound)
	}
	v := keysView{Keys: make([]keyView, len(keys))}
	for i, k := range keys {
		v.Keys[i] = keyViewOf(k, current, p.ID)
	}
	httpx.WritePartnerV2(w, http.StatusOK, v)
	return nil
}

// CreateAPIKey is POST /api/partner/v2/api-keys: 201, a new key, shown
// this once; 409 API_KEY_LIMIT_REACHED at partners.MaxLiveKeys (of its
// mode). The body, optional, is {"mode": "live" | "test"}: the calling
// key's mode without it; a live key may make test keys, a test key only
// test keys (403 LIVE_MODE_REQUIRED).
func (a *API) CreateAPIKey(w http.ResponseWriter, r *http.Request) error {
	p, digest, err := a.caller(r)
	if err != nil {
		return err
	}
	mode, err := keyMode(r)
	if err != nil {
		return err
	}
	k, key, err := a.d.Admin.CreateKeyIn(r.Context(), digest, p.ID, mode)
	if err != nil {
		return answer(err, apierr.APIKeyNotFound)
	}
	owner := p.ID
	if mode == partners.ModeTest {
		owner = domain.TestPartnerOf(p.ID)
	}
	httpx.WritePartnerV2(w, http.StatusCreated, newKeyView{keyView: keyViewOf(k, "", owner), Key: key})
	return nil
}

// keyMode is the new key's mode the body asks for ("" without a body).
func keyMode(r *http.Request) (string, error) {
	obj, bad := httpx.ReadOptionalObject(r)
	switch {
	case bad != nil:
		return "", apierr.InvalidInput(*bad)
	case obj == nil:
		return "", nil
	}
	c := jsonmember.Check(obj)
	mode, present, ok := c.Optional("mode")
	if ok && present && mode != partners.ModeLive && mode != partners.ModeTest {
		c.Fail("mode", `must be "live" or "test"`)
	}
	c.RejectUnknown("mode")
	if len(c.Details) > 0 {
		return "", apierr.InvalidInput(c.Details...)
	}
	return mode, nil
}

// RollAPIKey is POST /api/partner/v2/api-keys/{keyId}/roll: 201, a new
// key in place of keyId, which keeps working until the body's expiresAt
// (an RFC 3339 time at most 7 days ahead, or "now"; 24 hours when there is
// no body).
func (a *API) RollAPIKey(w http.ResponseWriter, r *http.Request) error {
	p, digest, err := a.caller(r)
	if err != nil {
		return err
	}
	expires, err := rollExpiry(r, a.d.Users.Now())
	if err != nil {
		return err
	}
	rolled, err := a.d.Admin.RollKey(r.Context(), digest, p.ID, r.PathValue("keyId"), expires)
	if err != nil {
		return answer(err, apierr.APIKeyNotFound)
	}
	if !a.d.Users.Now().Before(rolled.Old.ExpiresAt) {
		a.forget(rolled.OldDigest)
	}
	httpx.WritePartnerV2(w, http.StatusCreated, rolledView{newKeyView: newKeyView{keyView: keyViewOf(rolled.New, "", p.ID), Key: rolled.Key},
		Rolled: rolledKey{ID: rolled.Old.ID, ExpiresAt: wire.Time(rolled.Old.ExpiresAt)}})
	return nil
}

// RevokeAPIKey is DELETE /api/partner/v2/api-keys/{keyId}: the key stops
// working at once (in this container; in every other within the partner
// cache's minute); 409 LAST_API_KEY for the partner's last live key.
func (a *API) RevokeAPIKey(w http.ResponseWriter, r *http.Request) error {
	p, digest, err := a.caller(r)
	if err != nil {
		return err
	}
	id := r.PathValue("keyId")
	revoked, err := a.d.Admin.RevokeOwnKey(r.Context(), digest, p.ID, id)
	if err != nil {
		return answer(err, apierr.APIKeyNotFound)
	}
	a.forget(revoked)
	httpx.WritePartnerV2(w, http.StatusOK, revokedView{ID: id, RevokedAt: wire.Time(a.d.Users.Now())})
	return nil
}

// forget drops a key the partner just revoked from this container's cache.
func (a *API) forget(digest string) {
	if f, ok := a.d.Partners.(interface{ Forget(string) }); ok && digest != "" {
		f.Forget(digest)
	}
}

// noBody refuses a body on a route that takes none (an empty one, or
// "{}", is fine).
func noBody(r *http.Request) error {
	raw, bad := httpx.ReadRaw(r)
	if bad != nil {
		return apierr.InvalidInput(*bad)
	}
	if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "{}" {
		return nil
	}
	return apierr.InvalidInput(apierr.Detail{Field: "body", Issue: "must be empty: this operation takes no input"})
}

// rollExpiry is the roll's expiresAt (partners.ParseRoll): zero (the
// default) without a body.
func rollExpiry(r *http.Request, now time.Time) (time.Time, error) {
	obj, bad := httpx.ReadOptionalObject(r)
	switch {
	case bad != nil:
		return time.Time{}, apierr.InvalidInput(*bad)
	case obj == nil:
		return time.Time{}, nil
	}
	at, problems := partners.ParseRoll(obj, now)
	if len(problems) > 0 {
		return time.Time{}, apierr.InvalidInput(problems...)
	}
	return at, nil
}
