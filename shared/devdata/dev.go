package devdata

import (
	"encoding/json"
	"time"

	"github.com/partner-identity/api/shared/domain/partners"
)

// The development partner that the local runner and local invokes use
// when no registry is given. Nothing here is linked into a function
// binary (shared/layers' test holds every function's dependencies to
// that).
const (
	PartnerID = "p_dev"
	APIKey    = "pk_live_devpartnerkey0123456789abcdefghijklmnopqrst_p_dev"
	// TestAPIKey is the development partner's test key (its test side,
	// p_dev.test): test-mode users, sessions and events, apart from the
	// live ones, and the sandbox.
	TestAPIKey = "pk_test_devsandboxkey0123456789abcdefghijklmnopqrs_p_dev"
	// WebhookSecret signs the development partner's webhooks.
	WebhookSecret = "whsec_gpo3zAIrqR+BKqbEzAZu8Eh7cA2s/rPsalPtEeNiaxA="
)

// ProviderURL is where the local runner serves its stand-in for the KYC
// provider's page unless told otherwise.
const ProviderURL = "http://127.0.0.1:3000"

// Registry is a registry with the development partner (flow API, a KYC
// template for MX and US whose links go to providerURL + "/kyc/{sessionId}",
// identity provider "devpartner") holding apiKey, whose webhooks go to
// webhookURL ("" for none).
func Registry(apiKey, webhookURL, providerURL string) (*partners.Registry, error) {
	return partners.Parse([]byte(RegistryJSON(apiKey, webhookURL, providerURL)))
}

// RegistryJSON is Registry's document, in the secret's shape (the bench
// stores it in Secrets Manager).
func RegistryJSON(apiKey, webhookURL, providerURL string) string {
	if providerURL == "" {
		providerURL = ProviderURL
	}
	hook, _ := json.Marshal(webhookURL)
	mx, _ := json.Marshal(providerURL + "/kyc/" + partners.SessionIDPlaceholder)
	return `{"partners":[{"id":"` + PartnerID + `","name":"Local Development Partner",
		"apiKeySha256":["` + partners.KeyDigest(apiKey) + `"],"testApiKeySha256":["` + partners.KeyDigest(TestAPIKey) + `"],"flow":"API",
		"kycTemplates":{"MX":{"templateId":"mx-basic","linkUrl":` + string(mx) + `},
		                "US":{"templateId":"us-basic","linkUrl":` + string(mx) + `}},
		"webhook":{"url":` + string(hook) + `},"identityProvider":"devpartner"}]}`
}

// WebhookSecretsJSON is the development partner's webhook secret document.
const WebhookSecretsJSON = `{"webhookSecrets":{"` + PartnerID + `":"` + WebhookSecret + `"}}`

// TokenLifetime is the lifetime of the development tokens in events/ (ten
// years, so that the event files keep working); verifying functions
// accept it only with the development keys.
const TokenLifetime = 3650 * 24 * time.Hour

// ServiceKeysJSON is the development service keys secret: fixed, so that
// a token minted by one local process verifies in another (make run, make
// invoke, the token in events/).
const ServiceKeysJSON = `{"tokenSigningKeys":[{"kid":"dev","ed25519Seed":"ZGV2LW9ubHktZWQyNTUxOS1zZWVkLTAwMDAwMDAwMDA=",` +
	`"ed25519PublicKey":"xQr6i7Zf+MuaNrHxabCEHtMsJqB6aCETCheuEXUoByc="}],` +
	`"identifierPepper":"ZGV2LW9ubHktaWRlbnRpZmllci1wZXBwZXItMDAwMDAwMDA="}`

// KYCProvidersJSON is the development KYC providers secret: the hosted
// provider's callback secret, which the local stand-in provider page signs
// with, and a Sumsub account whose webhook secret signs
// events/kyc-sumsub-webhook.json; its app token is no Sumsub's (a Sumsub
// template's link fails with it: give -kyc-providers a sandbox account's).
const KYCProvidersJSON = `{
  "sumsub": {"baseUrl": "https://api.sumsub.com", "appToken": "dev-not-a-sumsub-app-token", "secretKey": "dev-not-a-sumsub-secret-key",
             "webhookSecret": "dev-sumsub-webhook-secret-not-for-production"},
  "hosted": {"webhookSecret": "whsec_TQQ/D2ZG6FMPHwgqzZKMZ73jxFZ1MX+u9Tj0NL5pzKQ="}
}`
