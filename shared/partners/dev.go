package partners

import "encoding/json"

// DevPartnerID and DevAPIKey are the development partner that the local
// runner and local invokes use when no registry is given. They are never
// used inside Lambda (see package app).
const (
	DevPartnerID = "p_dev"
	DevAPIKey    = "dev_partner_key_0123456789abcdef"
	// DevWebhookSecret signs the development partner's webhooks.
	DevWebhookSecret = "whsec_gpo3zAIrqR+BKqbEzAZu8Eh7cA2s/rPsalPtEeNiaxA="
)

// DevProviderURL is where the local runner serves its stand-in for the KYC
// provider's page unless told otherwise.
const DevProviderURL = "http://127.0.0.1:3000"

// DevRegistry is a registry with the development partner (flow API, a KYC
// template for MX and US whose links go to providerURL + "/kyc/{sessionId}",
// identity provider "devpartner") holding apiKey, whose webhooks go to
// webhookURL ("" for none).
func DevRegistry(apiKey, webhookURL, providerURL string) *Registry {
	r, err := Parse([]byte(DevRegistryJSON(apiKey, webhookURL, providerURL)))
	if err != nil {
		panic(err)
	}
	return r
}

// DevRegistryJSON is DevRegistry's document, in the secret's shape (the
// bench stores it in Secrets Manager).
func DevRegistryJSON(apiKey, webhookURL, providerURL string) string {
	if providerURL == "" {
		providerURL = DevProviderURL
	}
	hook, _ := json.Marshal(webhookURL)
	mx, _ := json.Marshal(providerURL + "/kyc/" + SessionIDPlaceholder)
	return `{"partners":[{"id":"` + DevPartnerID + `","name":"Local Development Partner",
		"apiKeySha256":["` + KeyDigest(apiKey) + `"],"flow":"API",
		"kycTemplates":{"MX":{"templateId":"mx-basic","linkUrl":` + string(mx) + `},
		                "US":{"templateId":"us-basic","linkUrl":` + string(mx) + `}},
		"webhook":{"url":` + string(hook) + `},"identityProvider":"devpartner"}]}`
}

// DevWebhookSecrets is the development partner's webhook secret document.
const DevWebhookSecrets = `{"webhookSecrets":{"` + DevPartnerID + `":"` + DevWebhookSecret + `"}}`
