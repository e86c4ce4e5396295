package signature

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/partner-identity/api/shared/domain/jsonmember"
)

// Secrets are the partners' webhook signing keys by partner id: a
// secret of its own that only the webhook functions may read (the
// registry, which every function reads, holds none):
//
//	{"webhookSecrets": {"p_acme": "whsec_...", "p_beta": ["whsec_<current>", "whsec_<previous>"]}}
//
// Each secret is Standard Webhooks' "whsec_" and the base64 of 24 to 64
// random bytes. During a rotation a partner has two, the current first:
// every delivery carries a signature by each, so the partner may switch
// its verifier at any time.
type Secrets map[string][]Key

// ParseSecrets reads and validates a webhook secrets document.
// An error names the partner, never the secret.
func ParseSecrets(data []byte) (Secrets, error) {
	var doc struct {
		WebhookSecrets map[string]json.RawMessage `json:"webhookSecrets"`
	}
	if err := jsonmember.DecodeStrict(data, &doc); err != nil {
		return nil, fmt.Errorf("webhook secrets: %w", err)
	}
	if doc.WebhookSecrets == nil {
		return nil, errors.New("webhook secrets: no webhookSecrets")
	}
	out := make(Secrets, len(doc.WebhookSecrets))
	for id, raw := range doc.WebhookSecrets {
		if id == "" {
			return nil, errors.New("webhook secrets: a partner id is empty")
		}
		var list []string
		var one string
		if err := json.Unmarshal(raw, &one); err == nil {
			list = []string{one}
		} else if err := json.Unmarshal(raw, &list); err != nil || len(list) == 0 || len(list) > 2 {
			return nil, fmt.Errorf("webhook secrets: partner %s: a secret, or a list of the current and the previous secret", id)
		}
		for _, s := range list {
			k, err := ParseSecret(s)
			if err != nil {
				return nil, fmt.Errorf(`webhook secrets: partner %s: each secret must be "whsec_" and the standard base64 of 24 to 64 random bytes`, id)
			}
			out[id] = append(out[id], k)
		}
	}
	return out, nil
}
