package partners

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/jsonmember"
)

// A partner's webhook signing secrets are Standard Webhooks' "whsec_" and
// the base64 of 24 to 64 random bytes. They are kept apart from the
// partner (domain.SealedSecrets), each sealed under the deployment's KMS
// key for its partner: the operator's command seals (kms:Encrypt), only
// the webhook functions open (kms:Decrypt), and a rotation changes dates
// kept in the clear, so an operator never decrypts.

// Overlaps of a webhook secret rotation: how long the replaced secret
// keeps signing beside the new one.
const (
	DefaultSecretOverlap = 24 * time.Hour
	MaxSecretOverlap     = 7 * 24 * time.Hour
)

// MaxWebhookSecrets is how many secrets sign at once: the current and
// the one being rotated out.
const MaxWebhookSecrets = 2

// SecretInfo is a webhook secret as an operator sees it: never the secret.
type SecretInfo struct {
	ID        string
	CreatedAt time.Time
	ExpiresAt time.Time // zero: none
}

// DecodeWebhookSecret returns the key of a "whsec_" secret.
func DecodeWebhookSecret(secret string) ([]byte, error) {
	b64, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return nil, errBadWebhookSecret
	}
	key, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil || len(key) < 24 || len(key) > 64 {
		return nil, errBadWebhookSecret
	}
	return key, nil
}

var errBadWebhookSecret = errors.New(`each secret must be "whsec_" and the standard base64 of 24 to 64 random bytes`)

// NewWebhookSecret is a new secret of 32 random bytes.
func NewWebhookSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails
	return "whsec_" + base64.StdEncoding.EncodeToString(b[:])
}

func newSecretID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "whs_" + hex.EncodeToString(b[:])
}

// ParseWebhookSecrets reads the webhook secrets document of the retired
// Secrets Manager secret, the import format of those secrets: by partner
// id, a secret or the current and the previous one.
//
//	{"webhookSecrets": {"p_acme": "whsec_...", "p_beta": ["whsec_<current>", "whsec_<previous>"]}}
//
// An error names the partner, never the secret.
func ParseWebhookSecrets(data []byte) (map[string][]string, error) {
	var doc struct {
		WebhookSecrets map[string]json.RawMessage `json:"webhookSecrets"`
	}
	if err := jsonmember.DecodeStrict(data, &doc); err != nil {
		return nil, fmt.Errorf("webhook secrets: %w", err)
	}
	if doc.WebhookSecrets == nil {
		return nil, errors.New("webhook secrets: no webhookSecrets")
	}
	out := make(map[string][]string, len(doc.WebhookSecrets))
	for id, raw := range doc.WebhookSecrets {
		if id == "" {
			return nil, errors.New("webhook secrets: a partner id is empty")
		}
		var list []string
		var one string
		if err := json.Unmarshal(raw, &one); err == nil {
			list = []string{one}
		} else if err := json.Unmarshal(raw, &list); err != nil || len(list) == 0 || len(list) > MaxWebhookSecrets {
			return nil, fmt.Errorf("webhook secrets: partner %s: a secret, or a list of the current and the previous secret", id)
		}
		for _, s := range list {
			if _, err := DecodeWebhookSecret(s); err != nil {
				return nil, fmt.Errorf("webhook secrets: partner %s: %w", id, err)
			}
		}
		out[id] = list
	}
	return out, nil
}

// Live are the secrets of list (an endpoint's, SealedSecrets.For) that
// sign at now, the current first.
func Live(list []domain.SealedSecret, now time.Time) []domain.SealedSecret {
	var out []domain.SealedSecret
	for _, x := range list {
		if x.ExpiresAt.IsZero() || now.Before(x.ExpiresAt) {
			out = append(out, x)
		}
	}
	return out
}

// WithSealer is a with s to seal new webhook secrets (without one they
// cannot be set: ErrNoSealer).
func (a *Admin) WithSealer(s domain.Sealer) *Admin {
	a.sealer = s
	return a
}

// ErrNoSealer is a webhook secret change on an admin without a sealer.
var ErrNoSealer = errors.New("partners: no key to seal webhook secrets with")

// RotateWebhookSecret gives partner id a new webhook signing secret,
// returned (the only time it is shown). The secret it replaces keeps
// signing beside it for overlap (0: it stops now; at most
// MaxSecretOverlap); an older one still signing stops now.
func (a *Admin) RotateWebhookSecret(ctx context.Context, actor, id string, overlap time.Duration) (string, error) {
	if overlap < 0 || overlap > MaxSecretOverlap {
		return "", invalid("overlap", fmt.Errorf("must be between 0 and %s", MaxSecretOverlap))
	}
	secret, _, err := a.rotate(ctx, actor, id, DefaultEndpointID, overlap)
	return secret, err
}

// rotate gives partner id's endpoint a new secret, the replaced one
// signing beside it for overlap (prev, zero when none does).
func (a *Admin) rotate(ctx context.Context, actor, id, endpoint string, overlap time.Duration) (secret string, prev SecretInfo, err error) {
	secret = NewWebhookSecret()
	action := "rotate webhook secret"
	if endpoint != DefaultEndpointID {
		action += " of " + endpoint
	}
	err = a.setSecrets(ctx, actor, id, endpoint, action, func(now time.Time, held []domain.SealedSecret) ([]string, []domain.SealedSecret, string) {
		prev = SecretInfo{}
		if len(held) == 0 || overlap <= 0 {
			return []string{secret}, nil, "previous stops now"
		}
		kept := held[0]
		kept.ExpiresAt = now.Add(overlap)
		if !held[0].ExpiresAt.IsZero() && held[0].ExpiresAt.Before(kept.ExpiresAt) {
			kept.ExpiresAt = held[0].ExpiresAt
		}
		prev = SecretInfo{ID: kept.ID, CreatedAt: kept.CreatedAt, ExpiresAt: kept.ExpiresAt}
		return []string{secret}, []domain.SealedSecret{kept}, kept.ID + " signs until " + kept.ExpiresAt.Format(time.RFC3339)
	})
	if err != nil {
		return "", SecretInfo{}, err
	}
	return secret, prev, nil
}

// ImportWebhookSecrets writes the secrets of a webhook secrets document
// (ParseWebhookSecrets) to the partners it names, which must exist: a
// partner's first secret is its current, a second signs beside it for
// DefaultSecretOverlap. A partner whose live secrets are already those is
// not written (each is opened to compare: the import needs kms:Decrypt
// as well). It returns how many partners were written.
func (a *Admin) ImportWebhookSecrets(ctx context.Context, actor string, doc []byte) (int, error) {
	secrets, err := ParseWebhookSecrets(doc)
	if err != nil {
		return 0, invalid("document", err)
	}
	ids := make([]string, 0, len(secrets))
	for id := range secrets {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	written := 0
	for _, id := range ids {
		want := secrets[id]
		if same, err := a.holds(ctx, id, want); err != nil || same {
			if err != nil {
				return written, err
			}
			continue
		}
		err := a.setSecrets(ctx, actor, id, DefaultEndpointID, "import webhook secrets", func(now time.Time, _ []domain.SealedSecret) ([]string, []domain.SealedSecret, string) {
			return want, nil, fmt.Sprintf("%d secrets", len(want))
		})
		if err != nil {
			return written, err
		}
		written++
	}
	return written, nil
}

// holds tells whether partner id's live secrets are want, in order.
func (a *Admin) holds(ctx context.Context, id string, want []string) (bool, error) {
	held, err := a.store.SealedSecrets(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	live := Live(held.Secrets, a.now())
	if len(live) != len(want) || a.sealer == nil {
		return false, nil
	}
	for i, x := range live {
		got, err := a.sealer.Open(ctx, id, x.Sealed)
		if err != nil || string(got) != want[i] {
			return false, nil
		}
	}
	return true, nil
}

// setSecrets replaces the secrets of partner id's endpoint with fresh,
// sealed (the first current; a second expiring DefaultSecretOverlap from
// now), followed by what keep returns of the live ones held, in one write
// with its audit entry; made again from a fresh read when another change
// came in between. The same write drops the secrets of endpoints the
// partner no longer has.
func (a *Admin) setSecrets(ctx context.Context, actor, id, endpoint, action string,
	next func(now time.Time, held []domain.SealedSecret) (fresh []string, keep []domain.SealedSecret, detail string)) error {
	for attempt := 0; ; attempt++ {
		rec, err := a.store.GetPartner(ctx, id)
		if err != nil {
			return err
		}
		p, err := FromRecord(rec)
		if err != nil {
			return err
		}
		held, err := a.store.SealedSecrets(ctx, id)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		now := a.now().UTC()
		fresh, keep, detail := next(now, Live(held.For(endpoint), now))
		if len(fresh) > 0 && a.sealer == nil {
			return ErrNoSealer
		}
		var list []domain.SealedSecret
		for i, s := range fresh {
			sealed, err := a.sealer.Seal(ctx, id, []byte(s))
			if err != nil {
				return err
			}
			x := domain.SealedSecret{ID: newSecretID(), Sealed: sealed, CreatedAt: now}
			if i > 0 {
				x.ExpiresAt = now.Add(DefaultSecretOverlap)
			}
			list = append(list, x)
		}
		list = append(list, keep...)
		if len(list) > MaxWebhookSecrets {
			list = list[:MaxWebhookSecrets]
		}
		ids := make([]string, len(list))
		for i, x := range list {
			ids[i] = x.ID
		}
		s := domain.SealedSecrets{PartnerID: id, Secrets: held.Secrets, Rev: held.Rev + 1, UpdatedAt: now}
		for e, l := range held.Endpoints {
			if _, ok := p.Endpoint(e); ok && len(Live(l, now)) > 0 {
				if s.Endpoints == nil {
					s.Endpoints = map[string][]domain.SealedSecret{}
				}
				s.Endpoints[e] = l
			}
		}
		if endpoint == DefaultEndpointID {
			s.Secrets = list
		} else if len(list) > 0 {
			if s.Endpoints == nil {
				s.Endpoints = map[string][]domain.SealedSecret{}
			}
			s.Endpoints[endpoint] = list
		} else {
			delete(s.Endpoints, endpoint)
		}
		err = a.store.SaveSealedSecrets(ctx, held.Rev, s, a.audit(actor, id, action, strings.Join(ids, ", ")+"; "+detail))
		if !errors.Is(err, domain.ErrStale) || attempt == 2 {
			return err
		}
	}
}

// secretInfos are s's live secrets as an operator sees them.
func secretInfos(s domain.SealedSecrets, now time.Time) []SecretInfo {
	var out []SecretInfo
	for _, x := range Live(s.Secrets, now) {
		out = append(out, SecretInfo{ID: x.ID, CreatedAt: x.CreatedAt, ExpiresAt: x.ExpiresAt})
	}
	return out
}
