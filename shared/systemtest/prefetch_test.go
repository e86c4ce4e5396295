package systemtest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/partner-identity/api/shared/http/federatedids"
	"github.com/partner-identity/api/shared/http/kyccallbacks"
	"github.com/partner-identity/api/shared/http/oauth"
	"github.com/partner-identity/api/shared/http/partnerv2"
	"github.com/partner-identity/api/shared/http/sandboxpage"
	"github.com/partner-identity/api/shared/http/surface"
	"github.com/partner-identity/api/shared/http/userv2"
	"github.com/partner-identity/api/shared/http/wellknown"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/lambda/callbackapi"
	"github.com/partner-identity/api/shared/lambda/cleanup"
	"github.com/partner-identity/api/shared/lambda/dispatch"
	"github.com/partner-identity/api/shared/lambda/federatedapi"
	"github.com/partner-identity/api/shared/lambda/oauthapi"
	"github.com/partner-identity/api/shared/lambda/partnerapi"
	"github.com/partner-identity/api/shared/lambda/sandboxapi"
	"github.com/partner-identity/api/shared/lambda/userapi"
	"github.com/partner-identity/api/shared/lambda/wellknownapi"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/sam"
)

// TestPrefetchedNeedsAreWhatEachFunctionMayRead: what each function
// fetches during its initialisation (its route's or job's app.Needs) is
// exactly what its role allows it to read, in the template as
// aws-sam-translator transforms it: each secret it may read, the table
// when it may call DynamoDB, the queue when it may send to SQS, KMS when
// it may open the partners' webhook secrets or seal new ones. A need its role lacks would be refused in
// AWS at every start (and counted a failed prefetch); a readable secret
// not prefetched would be fetched on the first request's path. And each
// function's main starts the prefetch.
func TestPrefetchedNeedsAreWhatEachFunctionMayRead(t *testing.T) {
	declared := map[string]app.Needs{
		"cleanup-kyc-sessions": cleanup.Needs, "webhook-dispatcher": dispatch.Needs, "webhook-retry": dispatch.Needs,
		"unmatched-route": 0,
	}
	for _, rt := range partnerv2.Routes {
		declared[rt.Name] = partnerapi.Needs(rt.Name)
	}
	for _, rt := range userv2.Routes {
		declared[rt.Name] = userapi.Needs
	}
	for _, rt := range federatedids.Routes {
		declared[rt.Name] = federatedapi.Needs
	}
	for _, rt := range kyccallbacks.Routes {
		declared[rt.Name] = callbackapi.Needs
	}
	for _, rt := range wellknown.Routes {
		declared[rt.Name] = wellknownapi.Needs
	}
	for _, rt := range oauth.Routes {
		declared[rt.Name] = oauthapi.Needs
	}
	for _, rt := range sandboxpage.Routes {
		declared[rt.Name] = sandboxapi.NeedsOf(rt.Name)
	}
	if len(declared) != len(surface.All())+4 {
		t.Fatalf("%d functions declared, %d routes", len(declared), len(surface.All()))
	}
	secretOf := map[string]app.Needs{
		"secret:ServiceKeysSecretArn":  app.NeedServiceKeys,
		"secret:TokenSigningSecretArn": app.NeedSigningKeys,
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
				case (action == "kms:Decrypt" || action == "kms:Encrypt") && resource == "key:WebhookSigningKey":
					may |= app.NeedWebhookKey
				}
			}
		}
		got, ok := declared[fn]
		// More table connections are not reads: they go with the table.
		if more := got & (app.NeedSecondTableConn | app.NeedThirdTableConn); more != 0 && may&app.NeedTable != 0 {
			may |= more
		}
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
		// Each Lambda-side main starts its needs (lambdarun.Serve or Prefetch).
		starters := []string{"partnerapi.Main(", "partnerapi.MainWith(", "userapi.Main(", "federatedapi.Main(", "callbackapi.Main(",
			"wellknownapi.Main(", "oauthapi.Main(", "sandboxapi.Main(", "cleanup.Main()", "dispatch.MainStream()", "dispatch.MainRetries()"}
		if src := string(main); got != 0 && !slices.ContainsFunc(starters, func(m string) bool { return strings.Contains(src, m) }) {
			t.Errorf("%s: its main starts no prefetch (one of the Lambda side's mains)", fn)
		}
	}
}

func names(n app.Needs) string {
	var out []string
	for bit := range 8 { // every bit of app.Needs (a uint8: a shifted need past the last is 0)
		if need := app.Needs(1) << bit; n&need != 0 {
			out = append(out, app.NeedNames[need])
		}
	}
	if len(out) == 0 {
		return "nothing"
	}
	return strings.Join(out, ", ")
}
