package devdata_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partner-identity/api/shared/devdata"
	"github.com/partner-identity/api/shared/kit/logsafe"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/webhooks/signature"
)

// TestABadPartnersFileIsNamed: make run -partners FILE (or
// -webhook-secrets FILE) refuses a file that does not validate before
// serving, naming the file and the field, never a secret, and imports
// nothing of it.
func TestABadPartnersFileIsNamed(t *testing.T) {
	dir := t.TempDir()
	partnersFile := filepath.Join(dir, "partners.json")
	if err := os.WriteFile(partnersFile, []byte(`{"partners":[{"id":"p_acme"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		doc, want string
		secrets   bool
	}{
		"a bad webhook URL": {`{"partners":[{"id":"p_x","webhook":{"url":"http://hooks.x.example/"}}]}`,
			"config: file " + dir + "/a bad webhook URL.json: partner registry: partner 0: partner p_x: webhook.url must be https", false},
		"not JSON": {`{"partners": [secretvalue]}`, "config: file " + dir + "/not JSON.json: partner registry: ", false},
		"a short webhook secret": {`{"webhookSecrets":{"p_acme":"whsec_c2hvcnQ="}}`,
			"config: file " + dir + "/a short webhook secret.json: webhook secrets: partner p_acme: each secret must be", true},
		"secrets not JSON": {`{"webhookSecrets": [whsec_secretvalue]}`, "config: file " + dir + "/secrets not JSON.json: webhook secrets: ", true},
		"a secret of no partner": {`{"webhookSecrets":{"p_nobody":"whsec_` + strings.Repeat("QUFB", 8) + `"}}`,
			"config: file " + dir + "/a secret of no partner.json: names a partner that does not exist", true},
	} {
		path := filepath.Join(dir, name+".json")
		if err := os.WriteFile(path, []byte(c.doc), 0o600); err != nil {
			t.Fatal(err)
		}
		l := devdata.Local{Memory: true, PartnersFile: path}
		if c.secrets {
			l.PartnersFile, l.WebhookSecretsFile = partnersFile, path
		}
		_, err := devdata.Build(context.Background(), app.Config{}, l)
		if code := logsafe.Code(err); !strings.HasPrefix(code, c.want) || strings.Contains(code, "secretvalue") || strings.Contains(code, "QUFB") {
			t.Errorf("%s: %q, want %q...", name, code, c.want)
		}
	}
}

// TestAWebhookSecretsFileAloneSealsTheDevelopmentPartners: make run
// -webhook-secrets FILE without -partners keeps the development partner
// and seals the file's secret for it.
func TestAWebhookSecretsFileAloneSealsTheDevelopmentPartners(t *testing.T) {
	secret := "whsec_" + strings.Repeat("QUFB", 8)
	path := filepath.Join(t.TempDir(), "hooks.json")
	if err := os.WriteFile(path, []byte(`{"webhookSecrets":{"`+devdata.PartnerID+`":"`+secret+`"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := devdata.Build(context.Background(), app.Config{}, devdata.Local{Memory: true, WebhookSecretsFile: path})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := d.WebhookKeys.For(context.Background(), devdata.PartnerID, "we_default")
	if err != nil || len(keys) != 1 || string(keys[0]) != string(signature.MustSecret(secret)) {
		t.Fatalf("%d keys, %v", len(keys), err)
	}
}
