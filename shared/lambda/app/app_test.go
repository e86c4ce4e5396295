package app_test

import (
	"context"
	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/kit/tracing"
	"github.com/partner-identity/api/shared/testkit/xraydaemon"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/partner-identity/api/shared/devdata"
	"github.com/partner-identity/api/shared/kit/logsafe"
	"github.com/partner-identity/api/shared/lambda/app"
)

// TestAFunctionHasNoFallbacks: a function's configuration is the
// environment's and nothing else: without a table it does not start, saying which variable is missing; a secret it is not given
// fails where it is used, naming its variable (a configuration error,
// logged whole).
func TestAFunctionHasNoFallbacks(t *testing.T) {
	cfg := app.Config{AWS: &aws.Config{Region: "us-east-1"}}
	if _, err := app.Build(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "TABLE_NAME: is not set") {
		t.Fatalf("without a table: %v", err)
	}
	cfg.TableName = "t"
	d, err := app.Build(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for env, get := range map[string]func() error{
		"SERVICE_KEYS_SECRET_ID":  func() error { _, err := d.Keys(context.Background()); return err },
		"TOKEN_SIGNING_SECRET_ID": func() error { _, err := d.SigningKeys(context.Background()); return err },
		"WEBHOOK_KEY_ID":          func() error { _, err := d.Sealer.Open(context.Background(), "p_acme", nil); return err },
		"KYC_PROVIDERS_SECRET_ID": func() error { _, err := d.KYCProviders(context.Background()); return err },
	} {
		err := get()
		if code := logsafe.Code(err); code != "config: "+env+": is not set" {
			t.Errorf("%s unset: logged as %q", env, code)
		}
	}
}

// TestBadDocumentsAreNamed: a document that does not parse is reported
// with its source and the field at fault, whole in the log (no secret
// value is in it), and Validate finds it before anything is served.
func TestBadDocumentsAreNamed(t *testing.T) {
	dir := t.TempDir()
	write := func(name, doc string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for name, c := range map[string]struct {
		cfg  app.Config
		want string
	}{
		"a hosted secret that is not whsec_": {app.Config{KYCProvidersFile: write("kyc.json", `{"hosted":{"webhookSecret":"plain-secret-value"}}`)},
			"config: file " + dir + "/kyc.json: kyc providers: hosted.webhookSecret must be"},
		"not JSON": {app.Config{KYCProvidersFile: write("syntax.json", `{"hosted": [whsec_secretvalue]}`)},
			"config: file " + dir + "/syntax.json: not valid JSON (at byte "},
	} {
		c.cfg.TableName, c.cfg.AWS = "t", &aws.Config{Region: "us-east-1"}
		d, err := app.Build(context.Background(), c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		err = d.Validate(context.Background())
		code := logsafe.Code(err)
		if !strings.HasPrefix(code, c.want) || strings.Contains(code, "plain-secret-value") || strings.Contains(code, "secretvalue") {
			t.Errorf("%s: %q, want %q...", name, code, c.want)
		}
	}
}

// TestAWSFromTheEnvironment: a function reads its region and credentials
// from Lambda's environment, and refuses to start without them.
func TestAWSFromTheEnvironment(t *testing.T) {
	for _, v := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"} {
		t.Setenv(v, "")
	}
	cfg := app.Config{TableName: "t"}
	if _, err := app.Build(context.Background(), cfg); err == nil {
		t.Fatal("built without region and credentials")
	}
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "session")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
	d, err := app.Build(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if d.AWS == nil || d.AWS.Region != "eu-west-1" || d.AWS.BaseEndpoint == nil || *d.AWS.BaseEndpoint != "http://127.0.0.1:5000" {
		t.Fatalf("AWS config %+v", d.AWS)
	}
	creds, err := d.AWS.Credentials.Retrieve(context.Background())
	if err != nil || creds.AccessKeyID != "AKIDEXAMPLE" || creds.SessionToken != "session" {
		t.Fatalf("credentials %+v, %v", creds, err)
	}
}

// TestTokenMaxLifetime: a verified token may live as long as the configured
// token lifetime; only with a local runner's default keys as long as its
// defaults say (the development tokens of events/).
func TestTokenMaxLifetime(t *testing.T) {
	keysFile := filepath.Join(t.TempDir(), "service-keys.json")
	if err := os.WriteFile(keysFile, []byte(devdata.ServiceKeysJSON), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		cfg  app.Config
		want time.Duration
	}{
		{"service keys from a file", app.Config{ServiceKeysFile: keysFile}, 0},
		{"service keys from a file, a configured lifetime", app.Config{ServiceKeysFile: keysFile, UserTokenTTL: 2 * time.Hour}, 2 * time.Hour},
		{"the development keys", app.Config{}, devdata.TokenLifetime},
	} {
		d, err := devdata.Build(context.Background(), c.cfg, devdata.Local{Memory: true})
		if err != nil {
			t.Fatal(err)
		}
		if d.TokenMaxLifetime != c.want {
			t.Errorf("%s: %v, want %v", c.name, d.TokenMaxLifetime, c.want)
		}
	}
}

// TestTheKYCProvidersClientIsTraced: a call of the KYC providers' client
// in a sampled invocation is a subsegment named by the provider's host.
func TestTheKYCProvidersClientIsTraced(t *testing.T) {
	daemon := xraydaemon.Traced(t)
	d, err := app.Build(context.Background(), app.Config{Defaults: &app.Defaults{Store: memstore.New()}})
	if err != nil {
		t.Fatal(err)
	}
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer provider.Close()
	ctx := tracing.WithHeader(context.Background(), "Root=1-5f84c7a1-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1")
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, provider.URL+"/resources/applicants", nil)
	resp, err := d.HTTPClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if docs := daemon.Received(t, 200*time.Millisecond); len(docs) != 1 || docs[0].Str("namespace") != "remote" || docs[0].Str("http.response.status") != "200" {
		t.Fatalf("%v", docs)
	}
}
