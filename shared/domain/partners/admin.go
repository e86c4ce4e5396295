package partners

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/ratelimit"
)

// MaxKeys is how many API keys a partner may hold at once (a rotation
// needs two).
const MaxKeys = 10

// Admin is the operators' management of the partners (cmd/partnerctl):
// each change is read, validated as the registry document was, written
// in one step with its audit entry (who, when, what; never a key), and
// made again from a fresh read when another change came in between. A
// change that changes nothing writes nothing.
type Admin struct {
	store domain.Partners
	now   func() time.Time
	// inLambda validates webhook URLs as a deployed stack uses them
	// (https to a host name, port 443).
	inLambda bool
	// sealer seals webhook secrets (WithSealer; nil: they cannot be set).
	sealer domain.Sealer
	// urlCheck checks the webhook URLs it sets against the dialling
	// policy (WithURLCheck; nil: their form only).
	urlCheck URLCheck
}

// NewAdmin is the management of store's partners; inLambda holds webhook
// URLs to a deployed stack's rules (false for make run's).
func NewAdmin(store domain.Partners, now func() time.Time, inLambda bool) *Admin {
	if now == nil {
		now = time.Now
	}
	return &Admin{store: store, now: now, inLambda: inLambda}
}

// KeyInfo is an API key as an operator sees it: never the key.
type KeyInfo struct {
	ID        string
	Hint      string // the last four characters of its random part ("" for an imported digest)
	CreatedAt time.Time
	ExpiresAt time.Time // zero: none
	LastUsed  time.Time // zero: never (to the day)
}

// Details is a partner as an operator sees it.
type Details struct {
	Partner *Partner
	Keys    []KeyInfo
	// WebhookSecrets are the secrets that sign its webhooks, the current
	// first (Show's only).
	WebhookSecrets []SecretInfo
	Rev            int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// TestKey is the test key Create made with the partner's test side
	// (Create's only: shown this once), TestKeyInfo its record.
	TestKey     string
	TestKeyInfo KeyInfo
}

// NewPartner is what creating a partner takes.
type NewPartner struct {
	ID, Name, Flow, IdentityProvider, WebhookURL string
}

func invalid(field string, err error) error {
	return domain.InvalidInput(domain.Problem{Field: field, Issue: err.Error()})
}

// Create writes a new partner with one API key, returned (the only time
// it is shown). E(Conflict, ReasonPartnerExists) when the id is taken.
func (a *Admin) Create(ctx context.Context, actor string, in NewPartner) (*Details, string, error) {
	if in.Flow == "" {
		in.Flow = FlowAPI
	}
	if in.Flow != FlowAPI && in.Flow != FlowWidget {
		return nil, "", invalid("flow", errors.New(`must be "API" or "WIDGET"`))
	}
	p := &Partner{ID: in.ID, Name: in.Name, Flow: in.Flow, IdentityProvider: in.IdentityProvider, Webhook: Webhook{URL: in.WebhookURL}}
	if !ValidID(in.ID) {
		return nil, "", invalid("partner", errors.New("id must be 1 to 64 of a-z A-Z 0-9 _ -"))
	}
	if err := Validate(p, a.inLambda); err != nil {
		return nil, "", invalid("partner", err)
	}
	if err := a.checkURL(ctx, in.WebhookURL); err != nil {
		return nil, "", err
	}
	key, k := a.newKey(p.ID, time.Time{})
	now := a.now().UTC()
	rec := domain.PartnerRecord{ID: p.ID, Settings: p.Settings(), Provider: p.IdentityProvider, Keys: []domain.APIKey{k}, Active: !p.Suspended(), Hooked: p.Hooked(),
		Rev: 1, CreatedAt: now, UpdatedAt: now}
	if err := a.store.SavePartner(ctx, nil, rec, a.audit(actor, p.ID, "create", "key "+k.ID)); err != nil {
		return nil, "", err
	}
	d, err := details(rec, nil)
	if err != nil {
		return nil, "", err
	}
	// Its test side, with a test key: a partner integrates in test mode
	// from its first day.
	testKey, tk := a.newKey(domain.TestPartnerOf(p.ID), time.Time{})
	if _, err := a.saveTestSide(ctx, actor, p, []domain.APIKey{tk}); err != nil {
		return nil, "", err
	}
	d.TestKey, d.TestKeyInfo = testKey, keyInfo(tk)
	return d, key, nil
}

// Show is partner id with its keys' last use.
func (a *Admin) Show(ctx context.Context, id string) (*Details, error) {
	rec, err := a.store.GetPartner(ctx, id)
	if err != nil {
		return nil, err
	}
	digests := make([]string, len(rec.Keys))
	for i, k := range rec.Keys {
		digests[i] = k.Digest
	}
	used, err := a.store.KeysLastUsed(ctx, digests)
	if err != nil {
		return nil, err
	}
	d, err := details(rec, used)
	if err != nil {
		return nil, err
	}
	sealed, err := a.store.SealedSecrets(ctx, id)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return nil, err
	}
	d.WebhookSecrets = secretInfos(sealed, a.now())
	return d, nil
}

// List is a page of partners after the id after, and the next cursor.
func (a *Admin) List(ctx context.Context, after string, limit int) ([]*Details, string, error) {
	recs, next, err := a.store.ListPartners(ctx, after, limit)
	if err != nil {
		return nil, "", err
	}
	out := make([]*Details, 0, len(recs))
	for _, r := range recs {
		d, err := details(r, nil)
		if err != nil {
			return nil, "", err
		}
		out = append(out, d)
	}
	return out, next, nil
}

// Audit is the record of partner id's changes, oldest first.
func (a *Admin) Audit(ctx context.Context, id string) ([]domain.AuditEntry, error) {
	return a.store.ListAudit(ctx, id)
}

// SetTemplate sets the partner's KYC template for country.
func (a *Admin) SetTemplate(ctx context.Context, actor, id, country string, t KYCTemplate) (*Details, error) {
	return a.change(ctx, actor, id, "set KYC template", country, func(p *Partner, _ *[]domain.APIKey) error {
		if p.KYCTemplates == nil {
			p.KYCTemplates = map[string]KYCTemplate{}
		}
		p.KYCTemplates[country] = t
		return nil
	})
}

// RemoveTemplate removes the partner's KYC template for country (none
// there: nothing changes).
func (a *Admin) RemoveTemplate(ctx context.Context, actor, id, country string) (*Details, error) {
	return a.change(ctx, actor, id, "remove KYC template", country, func(p *Partner, _ *[]domain.APIKey) error {
		delete(p.KYCTemplates, country)
		return nil
	})
}

// SetWebhook sets the partner's webhook URL, its first endpoint's ("" removes
// it; the endpoints the partner added stay), checked as WithURLCheck says.
func (a *Admin) SetWebhook(ctx context.Context, actor, id, url string) (*Details, error) {
	if err := a.checkURL(ctx, url); err != nil {
		return nil, err
	}
	return a.change(ctx, actor, id, "set webhook URL", "", func(p *Partner, _ *[]domain.APIKey) error {
		p.Webhook.URL = url
		return nil
	})
}

// SetFlow sets the partner's flow (API or WIDGET).
func (a *Admin) SetFlow(ctx context.Context, actor, id, flow string) (*Details, error) {
	if flow != FlowAPI && flow != FlowWidget {
		return nil, invalid("flow", errors.New(`must be "API" or "WIDGET"`))
	}
	return a.change(ctx, actor, id, "set flow", flow, func(p *Partner, _ *[]domain.APIKey) error {
		p.Flow = flow
		return nil
	})
}

// SetLimit sets the partner's own rate policy of budget (package
// ratelimit), or with nil removes it: the default applies again. Every
// container reads it with the partner, within the partners' minute.
func (a *Admin) SetLimit(ctx context.Context, actor, id, budget string, p *ratelimit.Policy) (*Details, error) {
	if !slices.Contains(ratelimit.Budgets, budget) {
		return nil, invalid("budget", fmt.Errorf("must be one of %s", strings.Join(ratelimit.Budgets, ", ")))
	}
	what := "default"
	if p != nil {
		if !p.Valid() {
			return nil, invalid("limit", errors.New("rate must be over 0 and at most 100000 a second, burst 1 to 1000000"))
		}
		what = fmt.Sprintf("%g/s burst %d", p.Rate, p.Burst)
	}
	return a.change(ctx, actor, id, "set limit", budget+" "+what, func(pt *Partner, _ *[]domain.APIKey) error {
		if p == nil {
			delete(pt.Limits, budget)
			return nil
		}
		if pt.Limits == nil {
			pt.Limits = ratelimit.Limits{}
		}
		pt.Limits[budget] = *p
		return nil
	})
}

// Suspend suspends the partner: it may call nothing and its webhooks wait.
func (a *Admin) Suspend(ctx context.Context, actor, id string) (*Details, error) {
	return a.change(ctx, actor, id, "suspend", "", func(p *Partner, _ *[]domain.APIKey) error {
		p.Standing = StandingSuspended
		return nil
	})
}

// Reinstate lifts a suspension.
func (a *Admin) Reinstate(ctx context.Context, actor, id string) (*Details, error) {
	return a.change(ctx, actor, id, "reinstate", "", func(p *Partner, _ *[]domain.APIKey) error {
		p.Standing = StandingActive
		return nil
	})
}

// IssueKey adds an API key (expiring at expires, zero for never) and
// returns it: the only time it is shown.
func (a *Admin) IssueKey(ctx context.Context, actor, id string, expires time.Time) (*Details, string, error) {
	var key string
	d, err := a.change(ctx, actor, id, "issue key", "", func(p *Partner, keys *[]domain.APIKey) error {
		if len(*keys) >= MaxKeys {
			return invalid("keys", fmt.Errorf("a partner holds at most %d keys: revoke one first", MaxKeys))
		}
		var k domain.APIKey
		key, k = a.newKey(id, expires)
		*keys = append(*keys, k)
		return nil
	})
	return d, key, err
}

// ExpireKey gives key keyID an expiry (a rotation: the new key is issued,
// the old one expires when every client has the new one).
func (a *Admin) ExpireKey(ctx context.Context, actor, id, keyID string, at time.Time) (*Details, error) {
	return a.change(ctx, actor, id, "expire key", keyID+" at "+at.UTC().Format(time.RFC3339), func(_ *Partner, keys *[]domain.APIKey) error {
		i := slices.IndexFunc(*keys, func(k domain.APIKey) bool { return k.ID == keyID })
		if i < 0 {
			return domain.ErrNotFound
		}
		(*keys)[i].ExpiresAt = at.UTC()
		return nil
	})
}

// RevokeKey removes key keyID at once (none such: nothing changes).
func (a *Admin) RevokeKey(ctx context.Context, actor, id, keyID string) (*Details, error) {
	return a.change(ctx, actor, id, "revoke key", keyID, func(_ *Partner, keys *[]domain.APIKey) error {
		*keys = slices.DeleteFunc(*keys, func(k domain.APIKey) bool { return k.ID == keyID })
		return nil
	})
}

// Remove removes the partner and its keys (its users stay, and its
// audit), and its test side with its test keys.
func (a *Admin) Remove(ctx context.Context, actor, id string) error {
	if err := a.remove(ctx, actor, id); err != nil {
		return err
	}
	if domain.Livemode(id) {
		if err := a.remove(ctx, actor, domain.TestPartnerOf(id)); err != nil && !errors.Is(err, domain.ErrNotFound) {
			return err
		}
	}
	return nil
}

func (a *Admin) remove(ctx context.Context, actor, id string) error {
	for attempt := 0; ; attempt++ {
		rec, err := a.store.GetPartner(ctx, id)
		if err != nil {
			return err
		}
		err = a.store.DeletePartner(ctx, rec, a.audit(actor, id, "remove", ""))
		if !errors.Is(err, domain.ErrStale) || attempt == 2 {
			return err
		}
	}
}

// Import writes the partners of a registry document: a partner absent is
// created with the document's key digests, one present is given the
// document's settings and keys (keys it holds keep their ids and dates;
// the webhook endpoints it added itself stay unless the document lists
// webhookEndpoints).
// A partner already as the document says is not written. It returns how
// many partners were created and changed.
func (a *Admin) Import(ctx context.Context, actor string, doc []byte) (created, changed int, err error) {
	reg, err := parse(doc, a.inLambda)
	if err != nil {
		return 0, 0, invalid("document", err)
	}
	for i := range reg.partners {
		in := reg.partners[i]
		rec, err := a.store.GetPartner(ctx, in.ID)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			now := a.now().UTC()
			keys := importedKeys(in.APIKeySHA256, nil, now)
			rec := domain.PartnerRecord{ID: in.ID, Settings: in.Settings(), Provider: in.IdentityProvider, Keys: keys, Active: !in.Suspended(), Hooked: in.Hooked(),
				Rev: 1, CreatedAt: now, UpdatedAt: now}
			if err := a.store.SavePartner(ctx, nil, rec, a.audit(actor, in.ID, "import", fmt.Sprintf("created, %d keys", len(keys)))); err != nil {
				return created, changed, err
			}
			created++
			if err := a.importTestSide(ctx, actor, &in); err != nil {
				return created, changed, err
			}
			continue
		case err != nil:
			return created, changed, err
		}
		d, err := a.change(ctx, actor, in.ID, "import", "", func(p *Partner, keys *[]domain.APIKey) error {
			own, first := p.WebhookEndpoints, p.Webhook
			*p = in
			// The endpoints the partner keeps itself stay unless the
			// document names them; so do its first endpoint's settings
			// while the document gives the same URL and nothing more.
			if in.WebhookEndpoints == nil {
				p.WebhookEndpoints = own
			}
			if w := in.Webhook; w.URL == first.URL && w.EnabledEvents == nil && w.Description == "" && !w.Disabled {
				p.Webhook = first
			}
			*keys = importedKeys(in.APIKeySHA256, *keys, a.now().UTC())
			return nil
		})
		if err != nil {
			return created, changed, err
		}
		if d.Rev != rec.Rev {
			changed++
		}
		if err := a.importTestSide(ctx, actor, &in); err != nil {
			return created, changed, err
		}
	}
	return created, changed, nil
}

// importTestSide makes in's test side when it has none, with the
// document's test keys; gives an existing one the document's test keys
// when it lists any (the test keys a partner made itself stay otherwise).
func (a *Admin) importTestSide(ctx context.Context, actor string, in *Partner) error {
	id := domain.TestPartnerOf(in.ID)
	_, err := a.store.GetPartner(ctx, id)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		_, err = a.saveTestSide(ctx, actor, in, importedKeys(in.TestAPIKeySHA256, nil, a.now().UTC()))
		return err
	case err != nil || in.TestAPIKeySHA256 == nil:
		return err
	}
	_, err = a.change(ctx, actor, id, "import", "", func(_ *Partner, keys *[]domain.APIKey) error {
		*keys = importedKeys(in.TestAPIKeySHA256, *keys, a.now().UTC())
		return nil
	})
	return err
}

// importedKeys are the keys of digests: those of held that are listed
// keep their id and dates; the others are new.
func importedKeys(digests []string, held []domain.APIKey, now time.Time) []domain.APIKey {
	var out []domain.APIKey
	for _, d := range digests {
		if i := slices.IndexFunc(held, func(k domain.APIKey) bool { return k.Digest == d }); i >= 0 {
			out = append(out, held[i])
			continue
		}
		out = append(out, domain.APIKey{ID: newKeyID(), Digest: d, CreatedAt: now})
	}
	return out
}

// change applies fn to partner id as read and writes the result when it
// differs, validated, with its audit entry; a change that met another is
// made again from a fresh read (three times at most).
func (a *Admin) change(ctx context.Context, actor, id, action, detail string, fn func(p *Partner, keys *[]domain.APIKey) error) (*Details, error) {
	return a.changeAs(ctx, func(domain.PartnerRecord) string { return actor }, id, action, detail, fn)
}

// changeAs is change by the actor actor names from the partner as read.
func (a *Admin) changeAs(ctx context.Context, actor func(domain.PartnerRecord) string, id, action, detail string, fn func(p *Partner, keys *[]domain.APIKey) error) (*Details, error) {
	for attempt := 0; ; attempt++ {
		rec, err := a.store.GetPartner(ctx, id)
		if err != nil {
			return nil, err
		}
		who := actor(rec)
		p, err := FromRecord(rec)
		if err != nil {
			return nil, err
		}
		before := *p
		p.KYCTemplates = maps.Clone(p.KYCTemplates)
		p.WebhookEndpoints = slices.Clone(p.WebhookEndpoints)
		keys := slices.Clone(rec.Keys)
		if err := fn(p, &keys); err != nil {
			return nil, err
		}
		if err := Validate(p, a.inLambda); err != nil {
			return nil, invalid("partner", err)
		}
		next := rec
		next.Settings, next.Provider, next.Keys = p.Settings(), p.IdentityProvider, keys
		next.Active, next.Hooked = !p.Suspended(), p.Hooked()
		if string(next.Settings) == string(rec.Settings) && slices.Equal(next.Keys, rec.Keys) && next.Active == rec.Active && next.Hooked == rec.Hooked {
			return details(rec, nil) // nothing to write
		}
		next.Rev, next.UpdatedAt = rec.Rev+1, a.now().UTC()
		err = a.store.SavePartner(ctx, &rec, next, a.audit(who, id, action, detail))
		switch {
		case err == nil && domain.Livemode(id) && !mirrored(&before, p):
			// Its test side takes the change too.
			if err := a.mirror(ctx, who, p); err != nil {
				return nil, err
			}
			return details(next, nil)
		case err == nil:
			return details(next, nil)
		case !errors.Is(err, domain.ErrStale) || attempt == 2:
			return nil, err
		}
	}
}

func (a *Admin) audit(actor, id, action, detail string) domain.AuditEntry {
	return domain.AuditEntry{PartnerID: id, Actor: actor, Action: action, Detail: detail, At: a.now().UTC()}
}

// newKey is a new API key of partner id (a live partner or a test side)
// and its record: its mode's prefix ("pk_live_" or "pk_test_"), 32 random
// bytes in URL-safe base64 (43 characters), "_" and the live partner's
// id (KeyClaim), at most 116 characters.
func (a *Admin) newKey(id string, expires time.Time) (string, domain.APIKey) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails
	random := base64.RawURLEncoding.EncodeToString(b[:])
	prefix := LiveKeyPrefix
	if !domain.Livemode(id) {
		prefix = TestKeyPrefix
	}
	key := prefix + random + "_" + domain.LivePartnerOf(id)
	if !expires.IsZero() {
		expires = expires.UTC()
	}
	return key, domain.APIKey{ID: newKeyID(), Digest: KeyDigest(key), Hint: random[len(random)-4:], CreatedAt: a.now().UTC(), ExpiresAt: expires}
}

// The prefixes of the keys the API and partnerctl make, which tell their
// mode: a live key's, a test key's, and a live key's made before test
// mode (still valid, live). keySecretLen is the length of their random
// part.
const (
	LiveKeyPrefix   = "pk_live_"
	TestKeyPrefix   = "pk_test_"
	legacyKeyPrefix = "pik_"
	keySecretLen    = 43
)

// KeyClaim is the partner id a key made by partnerctl or the API claims:
// the live partner's id it carries after its random part, or its test
// side's for a test key ("" for a key that carries none, as the imported
// ones): a claim only, which the key's lookup (or a write's KeyCheck)
// proves. A request whose key its container does not know yet starts its
// route's work for the claimed partner beside the lookup.
func KeyClaim(key string) string {
	for _, prefix := range []string{LiveKeyPrefix, TestKeyPrefix, legacyKeyPrefix} {
		at := len(prefix) + keySecretLen
		if len(key) <= at+1 || !strings.HasPrefix(key, prefix) || key[at] != '_' || !ValidID(key[at+1:]) {
			continue
		}
		if prefix == TestKeyPrefix {
			return domain.TestPartnerOf(key[at+1:])
		}
		return key[at+1:]
	}
	return ""
}

// KeyMode is "test" for a key with the test prefix, else "live" (a key's
// mode is its record's: the prefix tells it to the eye).
func KeyMode(key string) string {
	if strings.HasPrefix(key, TestKeyPrefix) {
		return ModeTest
	}
	return ModeLive
}

// The modes a key is made in.
const (
	ModeLive = "live"
	ModeTest = "test"
)

func newKeyID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "key_" + hex.EncodeToString(b[:])
}

func details(rec domain.PartnerRecord, used map[string]time.Time) (*Details, error) {
	p, err := FromRecord(rec)
	if err != nil {
		return nil, err
	}
	d := &Details{Partner: p, Rev: rec.Rev, CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt}
	for _, k := range rec.Keys {
		info := keyInfo(k)
		info.LastUsed = used[k.Digest]
		d.Keys = append(d.Keys, info)
	}
	return d, nil
}
