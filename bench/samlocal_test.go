package bench_test

import (
	"context"
	"github.com/partner-identity/api/shared/kit/tracing"
	"github.com/partner-identity/api/shared/testkit/xraydaemon"
	"slices"

	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/adapters/kmsseal"
	"github.com/partner-identity/api/shared/devdata"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/testkit/moto"

	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/runtimeapi"
	"github.com/partner-identity/api/shared/testkit/sam"
)

// TestSamLocalInvoke: every function runs as `sam local invoke <Id> -e
// events/<event> --env-vars events/env.json` runs it: the real binary
// under a Runtime API, with the environment SAM CLI gives it (the
// function's variables from the template, env.json's values for those the
// template declares, AWS_SAM_LOCAL=true, and the developer's AWS
// credentials and region), against the resources env.json names (a
// development stack's table and secrets; moto_server stands in for AWS
// here, holding them as `make` would not: an empty table, the development
// partner's documents), and answers its event with the documented answer
// of an empty table (no user yet). A function binary has no memory store
// and no development fallback: sam local runs it as Lambda does.
func TestSamLocalInvoke(t *testing.T) {
	if *table {
		t.Skip("the table measures the functions")
	}
	tpl := sam.Transform(t)
	ids := sam.FunctionIDs(t)
	var envFile map[string]map[string]string
	if err := json.Unmarshal(mustRead(t, "events/env.json"), &envFile); err != nil {
		t.Fatal(err)
	}
	awsEnv := standInForAWS(t, envFile["Parameters"])
	want := map[string]string{
		"create-user": "201", "get-user": "404", "find-user": "404", "delete-user": "404", "create-verification-link": "404",
		"get-user-kyc": "404", "kyc-sumsub-webhook": "200", "kyc-hosted-webhook": "401",
		// The events' user tokens are the development keys' (ten years):
		// a function refuses them, as it would in Lambda.
		"create-user-token": "404", "link-identifier": "401", "user-info": "401", "set-federated-identity": "401",
		"delete-federated-identity": "401", "list-federated-identities": "401", "unmatched-route": "405",
		"cleanup-kyc-sessions": `"done":true`, "webhook-dispatcher": `"batchItemFailures":[]`, "webhook-retry": `"batchItemFailures":[]`,
		// No events yet, and the development partner has no webhook URL.
		"list-webhook-events": "200", "redeliver-webhook-event": "404", "send-test-webhook": "409",
		// The development partner's test key, about a session it never opened.
		"sandbox-kyc-outcome": "404", "sandbox-simulation": "404", "sandbox-kyc-page": "404", "sandbox-kyc-decision": "404",
		"sandbox-wipe-data": "202",
		// The events name a key id the development partner does not hold.
		"list-api-keys": "200", "create-api-key": "201", "roll-api-key": "404", "revoke-api-key": "404", "jwks": "200", "oauth2-token": "200",
		// Without a webhook URL the development partner has no endpoint yet.
		"get-limits": "200", "list-webhook-endpoints": "200", "create-webhook-endpoint": "201", "get-webhook-endpoint": "404", "update-webhook-endpoint": "404",
		"delete-webhook-endpoint": "404", "rotate-webhook-endpoint-secret": "404",
	}
	events := map[string]string{"cleanup-kyc-sessions": "cleanup-schedule"}

	dir := t.TempDir()
	const commit = "5a31ca10ca11" // stamped as the Makefile stamps a build
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath",
		"-ldflags", "-X github.com/partner-identity/api/shared/kit/version.Commit="+commit, "-o", dir+string(os.PathSeparator), "./functions/...")
	build.Dir, build.Env = testkit.Root(), append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	// Lambda's X-Ray daemon, where the functions send their calls'
	// subsegments (every invocation here is sampled).
	daemon := xraydaemon.Start(t)
	root, _ := tracing.Parse(runtimeapi.DefaultTraceHeader)
	for _, fn := range sam.Sorted(ids) {
		t.Run(fn, func(t *testing.T) {
			emptyTable(t, envFile["Parameters"]["TABLE_NAME"]) // each function meets a fresh stack
			daemon.Received(t, 50*time.Millisecond)            // none of another's
			env := append(samLocalEnv(t, tpl, ids[fn], envFile), awsEnv...)
			env = append(env, tracing.EnvDaemonAddress+"="+daemon.Addr())
			event := events[fn]
			if event == "" {
				event = fn
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var logs strings.Builder
			_, res, err := runtimeapi.ColdStart(ctx, filepath.Join(dir, fn), env, mustRead(t, "events/"+event+".json"), io.MultiWriter(&logs, io.Discard))
			if err != nil || res.Error {
				t.Fatalf("%v %s\n%s", err, res.Body, logs.String())
			}
			// Every application line says which build and which stack wrote it.
			lines := 0
			for _, l := range strings.Split(logs.String(), "\n") {
				var line map[string]any
				if json.Unmarshal([]byte(l), &line) != nil || line["msg"] == nil {
					continue
				}
				lines++
				if line["version"] != commit || line["service"] == nil || line["service"] == "" {
					t.Fatalf("a log line without its build or its service: %s", l)
				}
			}
			if lines == 0 && fn != "webhook-dispatcher" && fn != "webhook-retry" { // an empty batch logs nothing
				t.Fatalf("no application log line:\n%s", logs.String())
			}
			// Each call the request made is a subsegment of its trace
			// (Lambda's segment the parent): every function but the two
			// that call nothing on a request (the JWK Set is read at
			// start, an unmatched route answers alone) makes one at least.
			docs := daemon.Received(t, 200*time.Millisecond)
			if len(docs) == 0 && fn != "jwks" && fn != "unmatched-route" {
				t.Fatal("no subsegment: the request's calls are not traced")
			}
			for _, d := range docs {
				if d.Str("trace_id") != root.Root || d.Str("parent_id") != root.Parent || d.Str("type") != "subsegment" ||
					d.Str("namespace") != "aws" || !slices.Contains([]string{"DynamoDB", "KMS", "SQS", "Secrets Manager"}, d.Str("name")) ||
					d.Str("aws.operation") == "" || d.Str("http.response.status") == "" {
					t.Fatalf("a subsegment out of its trace or without its call: %v", d)
				}
			}
			got := string(res.Body)
			if w := want[fn]; strings.HasPrefix(w, `"`) {
				if !strings.Contains(strings.ReplaceAll(strings.ReplaceAll(got, " ", ""), "\n", ""), w) {
					t.Fatalf("answered %s, want %s", got, w)
				}
			} else if s := fmt.Sprint(statusOf(t, res.Body)); s != w {
				t.Fatalf("status %s, want %s: %s", s, w, got)
			}
		})
	}
}

// samLocalEnv is the environment SAM CLI gives function id: the template's
// variables (a resource's Ref is its logical id, a parameter's its value),
// each overridden by env.json's Parameters and then its section for id,
// which set nothing the template does not declare.
func samLocalEnv(t *testing.T, tpl *sam.Template, id string, file map[string]map[string]string) []string {
	t.Helper()
	params := map[string]string{}
	for _, p := range sam.Parameters {
		k, v, _ := strings.Cut(p, "=")
		params[k] = v
	}
	fn := tpl.Resources[id]
	envProp, _ := fn.Properties["Environment"].(map[string]any)
	vars, _ := envProp["Variables"].(map[string]any)
	out := []string{"AWS_SAM_LOCAL=true"}
	for name, v := range vars {
		val := fmt.Sprint(v)
		if m, ok := v.(map[string]any); ok {
			ref, _ := m["Ref"].(string)
			val = ref
			if pv, ok := params[ref]; ok {
				val = pv
			}
		}
		for _, section := range []string{"Parameters", id} {
			if o, ok := file[section][name]; ok {
				val = o
			}
		}
		out = append(out, name+"="+val)
	}
	return out
}

// standInForAWS creates, on moto_server, the table and the secrets that
// env.json's parameters name (the table from template.yaml, holding the
// development partner as partnerctl import puts it; each secret holding
// the development partner's document), and returns the
// environment that points the SDK at it with test credentials, as a
// developer's AWS credentials would point it at AWS.
func standInForAWS(t *testing.T, params map[string]string) []string {
	t.Helper()
	srv := moto.Require(t)
	ctx := context.Background()
	cfg := srv.Config(nil, nil)
	in, err := moto.TableInput(params["TABLE_NAME"])
	if err != nil {
		t.Fatal(err)
	}
	db := dynamodb.NewFromConfig(cfg)
	if _, err := db.CreateTable(ctx, in); err != nil && !strings.Contains(err.Error(), "ResourceInUseException") {
		t.Fatal(err)
	}
	devPartnerInto(t, db, params["TABLE_NAME"], "")
	sealDevSecret(t, srv, db, params["TABLE_NAME"], params["WEBHOOK_KEY_ID"])
	sm := secretsmanager.NewFromConfig(cfg)
	for name, doc := range map[string]string{
		"SERVICE_KEYS_SECRET_ID":  devdata.ServiceKeysJSON,
		"TOKEN_SIGNING_SECRET_ID": devdata.ServiceKeysJSON,
		"KYC_PROVIDERS_SECRET_ID": devdata.KYCProvidersJSON,
	} {
		_, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(params[name]), SecretString: aws.String(doc)})
		if err != nil && !strings.Contains(err.Error(), "ResourceExistsException") {
			t.Fatal(err)
		}
	}
	return []string{"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_ENDPOINT_URL=" + srv.Endpoint}
}

// sealDevSecret creates a KMS key on srv (named alias too, unless ""), as
// the stack's WebhookSigningKey, and seals the development partner's
// webhook secret under it into table, as partnerctl does; it returns the
// key's id.
func sealDevSecret(t testing.TB, srv *moto.Server, db dynamostore.API, table, alias string) string {
	t.Helper()
	ctx := context.Background()
	k := kms.NewFromConfig(srv.Config(nil, nil))
	key, err := k.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	id := *key.KeyMetadata.KeyId
	if alias != "" {
		_, err := k.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: key.KeyMetadata.KeyId})
		if err != nil && !strings.Contains(err.Error(), "AlreadyExists") {
			t.Fatal(err)
		}
		if err != nil { // an earlier run's alias names an earlier key
			_, err = k.UpdateAlias(ctx, &kms.UpdateAliasInput{AliasName: aws.String(alias), TargetKeyId: key.KeyMetadata.KeyId})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	admin := partners.NewAdmin(dynamostore.New(db, table), nil, false).WithSealer(kmsseal.New(k, id))
	if _, err := admin.ImportWebhookSecrets(ctx, "bench", []byte(devdata.WebhookSecretsJSON)); err != nil {
		t.Fatal(err)
	}
	return id
}

// devPartnerInto imports the development partner (its webhook at
// webhookURL, "" for none) into table, as partnerctl import would.
func devPartnerInto(t testing.TB, db dynamostore.API, table, webhookURL string) {
	t.Helper()
	doc := devdata.RegistryJSON(devdata.APIKey, webhookURL, "")
	if _, _, err := partners.NewAdmin(dynamostore.New(db, table), nil, false).Import(context.Background(), "bench", []byte(doc)); err != nil {
		t.Fatal(err)
	}
}

// emptyTable deletes and creates again the table name on moto_server,
// holding the development partner only.
func emptyTable(t *testing.T, name string) {
	t.Helper()
	db := dynamodb.NewFromConfig(moto.Require(t).Config(nil, nil))
	if _, err := db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	in, err := moto.TableInput(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateTable(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	devPartnerInto(t, db, name, "")
}
