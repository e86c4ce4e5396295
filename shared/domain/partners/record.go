package partners

import (
	"encoding/json"
	"fmt"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/ratelimit"
)

// settings are a partner's settings as the store keeps them
// (domain.PartnerRecord.Settings): everything but its id and its keys.
type settings struct {
	Name             string                 `json:"name"`
	Flow             string                 `json:"flow"`
	Standing         string                 `json:"standing,omitempty"`
	KYCTemplates     map[string]KYCTemplate `json:"kycTemplates,omitempty"`
	Webhook          Webhook                `json:"webhook"`
	IdentityProvider string                 `json:"identityProvider,omitempty"`
	WebhookEndpoints []Endpoint             `json:"webhookEndpoints,omitempty"`
	Limits           ratelimit.Limits       `json:"limits,omitempty"`
}

// Standings. A suspended partner may call nothing and its webhooks wait;
// reinstating it restores its flow.
const (
	StandingActive    = ""
	StandingSuspended = "SUSPENDED"
)

// FromRecord is the partner a stored record holds (its keys' digests
// listed in APIKeySHA256).
func FromRecord(r domain.PartnerRecord) (*Partner, error) {
	var s settings
	if err := json.Unmarshal(r.Settings, &s); err != nil {
		return nil, fmt.Errorf("partner %s: settings: %w", r.ID, err)
	}
	p := &Partner{ID: r.ID, Name: s.Name, Flow: s.Flow, Standing: s.Standing, KYCTemplates: s.KYCTemplates,
		Webhook: s.Webhook, IdentityProvider: s.IdentityProvider, WebhookEndpoints: s.WebhookEndpoints, Limits: s.Limits}
	for _, k := range r.Keys {
		p.APIKeySHA256 = append(p.APIKeySHA256, k.Digest)
	}
	p.Keys = r.Keys
	return p, nil
}

// Settings are p's settings as the store keeps them.
func (p *Partner) Settings() []byte {
	b, _ := json.Marshal(settings{Name: p.Name, Flow: p.Flow, Standing: p.Standing, KYCTemplates: p.KYCTemplates,
		Webhook: p.Webhook, IdentityProvider: p.IdentityProvider, WebhookEndpoints: p.WebhookEndpoints, Limits: p.Limits}) // strings, times, numbers and maps: cannot fail
	return b
}
