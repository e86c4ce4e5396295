package partners

import (
	"errors"
	"fmt"

	"github.com/partner-identity/api/shared/jsonmember"
)

// WebhookSecrets are the partners' webhook signing secrets by partner id:
// a secret of its own, {"webhookSecrets": {"p_acme": "whsec_..."}}, that
// only the webhook dispatcher may read (the registry, which every function
// reads, holds none).
type WebhookSecrets map[string]string

// ParseWebhookSecrets reads and validates a webhook secrets document: each
// secret at least 16 characters.
func ParseWebhookSecrets(data []byte) (WebhookSecrets, error) {
	var doc struct {
		WebhookSecrets map[string]string `json:"webhookSecrets"`
	}
	if err := jsonmember.DecodeStrict(data, &doc); err != nil {
		return nil, fmt.Errorf("webhook secrets: %w", err)
	}
	if doc.WebhookSecrets == nil {
		return nil, errors.New("webhook secrets: no webhookSecrets")
	}
	for id, s := range doc.WebhookSecrets {
		if id == "" || len(s) < 16 {
			return nil, errors.New("webhook secrets: each partner's secret must be at least 16 characters")
		}
	}
	return WebhookSecrets(doc.WebhookSecrets), nil
}
