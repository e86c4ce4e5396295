package systemtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/jobs/cleanup"
	"github.com/partner-identity/api/shared/jobs/dispatch"
	"github.com/partner-identity/api/shared/surface"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/sam"
)

// TestPrefetchedNeedsAreWhatEachFunctionMayRead: what each function
// fetches during its initialisation (its route's or job's app.Needs) is
// exactly what its role allows it to read, in the template as
// aws-sam-translator transforms it: each secret it may read, the table
// when it may call DynamoDB, the queue when it may send to SQS. A need its role lacks would be refused in
// AWS at every start (and counted a failed prefetch); a readable secret
// not prefetched would be fetched on the first request's path. And each
// function's main starts the prefetch.
func TestPrefetchedNeedsAreWhatEachFunctionMayRead(t *testing.T) {
	declared := map[string]app.Needs{
		"cleanup-kyc-sessions": cleanup.Needs, "webhook-dispatcher": dispatch.Needs, "webhook-retry": dispatch.Needs,
		"unmatched-route": 0,
	}
	for _, rt := range surface.All() {
		declared[rt.Name] = rt.Needs
	}
	secretOf := map[string]app.Needs{
		"secret:PartnerRegistrySecretArn": app.NeedRegistry, "secret:ServiceKeysSecretArn": app.NeedServiceKeys,
		"secret:TokenSigningSecretArn": app.NeedSigningKeys, "secret:WebhookSecretsSecretArn": app.NeedWebhookSecrets,
		"secret:KycProvidersSecretArn": app.NeedKYCProviders,
	}
	tpl := sam.Transform(t)
	ids := sam.FunctionIDs(t)
	for _, fn := range sam.Sorted(ids) {
		statements, _, err := tpl.RoleStatements(ids[fn], map[string]bool{"HasSecretsKmsKey": false})
		if err != nil {
			t.Fatal(err)
		}
		var may app.Needs
		for _, st := range statements {
			for _, g := range st.Grants() {
				action, resource, _ := strings.Cut(g, " ")
				switch {
				case action == "secretsmanager:GetSecretValue":
					need, ok := secretOf[resource]
					if !ok {
						t.Fatalf("%s: unknown secret %s", fn, resource)
					}
					may |= need
				case strings.HasPrefix(action, "dynamodb:") && !strings.HasPrefix(resource, "stream"):
					may |= app.NeedTable
				case action == "sqs:SendMessage":
					may |= app.NeedQueue
				}
			}
		}
		got, ok := declared[fn]
		switch {
		case !ok:
			t.Errorf("%s: no declared needs", fn)
		case got != may:
			t.Errorf("%s prefetches %s; its role allows it to read %s", fn, names(got), names(may))
		}
		main, err := os.ReadFile(filepath.Join(testkit.Root(), "functions", fn, "main.go"))
		if err != nil {
			t.Fatal(err)
		}
		if src := string(main); got != 0 && !strings.Contains(src, "lambdarun.Serve(deps, ") && !strings.Contains(src, "deps.Prefetch(") {
			t.Errorf("%s: its main starts no prefetch (lambdarun.Serve or deps.Prefetch)", fn)
		}
	}
}

func names(n app.Needs) string {
	var out []string
	for need := app.NeedTable; need <= app.NeedQueue; need <<= 1 {
		if n&need != 0 {
			out = append(out, app.NeedNames[need])
		}
	}
	if len(out) == 0 {
		return "nothing"
	}
	return strings.Join(out, ", ")
}
