package partners

import "encoding/json"

// DevPartnerID and DevAPIKey are the development partner that the local
// runner and local invokes use when no registry is given. They are never
// used inside Lambda (see package app).
const (
	DevPartnerID = "p_dev"
	DevAPIKey    = "dev_partner_key_0123456789abcdef"
	// DevWebhookSecret signs the development partner's webhooks.
	DevWebhookSecret = "dev-webhook-secret-0123456789"
)

// DevRegistry is a registry with the development partner (flow API, a KYC
// template for MX and US, identity provider "devpartner") holding apiKey,
// whose webhooks go to webhookURL ("" for none).
func DevRegistry(apiKey, webhookURL string) *Registry {
	hook, _ := json.Marshal(webhookURL)
	r, err := Parse([]byte(`{"partners":[{"id":"` + DevPartnerID + `","name":"Local Development Partner",
		"apiKeySha256":["` + KeyDigest(apiKey) + `"],"flow":"API",
		"kycTemplates":{"MX":{"templateId":"mx-basic","linkUrl":"http://127.0.0.1:3000/kyc/{sessionId}"},
		                "US":{"templateId":"us-basic","linkUrl":"http://127.0.0.1:3000/kyc/{sessionId}"}},
		"webhook":{"url":` + string(hook) + `},"identityProvider":"devpartner"}]}`))
	if err != nil {
		panic(err)
	}
	return r
}

// DevWebhookSecrets is the development partner's webhook secret document.
const DevWebhookSecrets = `{"webhookSecrets":{"` + DevPartnerID + `":"` + DevWebhookSecret + `"}}`
