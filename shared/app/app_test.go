package app_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/servicekeys"
	"github.com/partner-identity/api/shared/testkit"
)

// TestLocalEmulation: under a Runtime API the function is in Lambda (no
// memory store, no development keys) unless LAMBDA_LOCAL_EMULATION says
// the Runtime API is a local emulation; template.yaml never says so.
func TestLocalEmulation(t *testing.T) {
	t.Setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")
	t.Setenv("STORE", "memory")
	cfg := app.FromEnv()
	if !cfg.InLambda {
		t.Fatal("a Runtime API without LAMBDA_LOCAL_EMULATION is Lambda")
	}
	if _, err := app.Build(context.Background(), cfg); err == nil {
		t.Fatal("the memory store was allowed in Lambda")
	}
	t.Setenv(app.EnvLocalEmulation, "true")
	cfg = app.FromEnv()
	if cfg.InLambda {
		t.Fatal("LAMBDA_LOCAL_EMULATION=true is not Lambda")
	}
	if _, err := app.Build(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	t.Setenv(app.EnvLocalEmulation, "")
	t.Setenv(app.EnvSAMLocal, "true")
	if app.FromEnv().InLambda {
		t.Fatal("AWS_SAM_LOCAL=true (sam local) is not Lambda")
	}
	tpl, err := os.ReadFile(filepath.Join(testkit.Root(), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{app.EnvLocalEmulation, app.EnvSAMLocal} {
		if strings.Contains(string(tpl), name) {
			t.Fatal("template.yaml sets " + name)
		}
	}
}

// TestAWSFromTheEnvironment: a function reads its region and credentials
// from Lambda's environment, and refuses to start without them.
func TestAWSFromTheEnvironment(t *testing.T) {
	for _, v := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"} {
		t.Setenv(v, "")
	}
	cfg := app.Config{Store: "dynamodb", TableName: "t", PartnersSecretID: "p", InLambda: true}
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
// token lifetime; only with the development keys (public, never in Lambda)
// as long as the development tokens of events/.
func TestTokenMaxLifetime(t *testing.T) {
	keysFile := filepath.Join(t.TempDir(), "service-keys.json")
	if err := os.WriteFile(keysFile, []byte(servicekeys.DevDocument), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		cfg  app.Config
		want time.Duration
	}{
		{"service keys from a file", app.Config{Store: "memory", ServiceKeysFile: keysFile}, 0},
		{"service keys from a file, a configured lifetime", app.Config{Store: "memory", ServiceKeysFile: keysFile, UserTokenTTL: 2 * time.Hour}, 2 * time.Hour},
		{"the development keys", app.Config{Store: "memory"}, servicekeys.DevTokenLifetime},
	} {
		d, err := app.Build(context.Background(), c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if d.TokenMaxLifetime != c.want {
			t.Errorf("%s: %v, want %v", c.name, d.TokenMaxLifetime, c.want)
		}
	}
}
