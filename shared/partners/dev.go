package partners

// DevPartnerID and DevAPIKey are the development partner that the local
// runner and local invokes use when no registry is given. They are never
// used inside Lambda (see package app).
const (
	DevPartnerID = "p_dev"
	DevAPIKey    = "dev_partner_key_0123456789abcdef"
)

// DevRegistry is a registry with the development partner (flow API, a KYC
// template for MX and US) holding apiKey.
func DevRegistry(apiKey string) *Registry {
	r, err := Parse([]byte(`{"partners":[{"id":"` + DevPartnerID + `","name":"Local Development Partner",
		"apiKeySha256":["` + KeyDigest(apiKey) + `"],"flow":"API",
		"kycTemplates":{"MX":{"templateId":"mx-basic","linkUrl":"http://127.0.0.1:3000/kyc/{sessionId}"},
		                "US":{"templateId":"us-basic","linkUrl":"http://127.0.0.1:3000/kyc/{sessionId}"}},
		"webhook":{"url":"","secret":"dev-webhook-secret"},"identityProvider":"devpartner"}]}`))
	if err != nil {
		panic(err)
	}
	return r
}
