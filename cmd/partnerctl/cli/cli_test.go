package cli_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/partner-identity/api/cmd/partnerctl/cli"

	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/adapters/kmsseal"
	"github.com/partner-identity/api/shared/adapters/localseal"
	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/domain/ratelimit"
	"github.com/partner-identity/api/shared/testkit/fixture"
	"github.com/partner-identity/api/shared/testkit/moto"
	"github.com/partner-identity/api/shared/webhooks/signature"
)

func TestMain(m *testing.M) { moto.Main(m) }

var (
	keyLine    = regexp.MustCompile(`(?m)API key (key_[0-9a-f]+)(?: for \S+)?: (\S+)$`)
	secretLine = regexp.MustCompile(`(?m)webhook secret(?: whs_[0-9a-f]+ for \S+)?: (whsec_\S+)$`)
)

// TestEveryCommand: each command on both stores, as an operator types it;
// what it writes is what a request then meets.
func TestEveryCommand(t *testing.T) {
	type world struct {
		s      domain.Store
		sealer domain.Sealer
		// raw is the stored item of a partner's webhook secrets, as bytes
		raw func(id string) string
	}
	srv := moto.Require(t)
	db, table := srv.NewTable(t, nil, nil)
	mem := memstore.New()
	for name, w := range map[string]world{
		"memory": {mem, localseal.New([]byte("test")), func(id string) string {
			sec, _ := mem.SealedSecrets(context.Background(), id)
			return fmt.Sprintf("%+v", sec)
		}},
		"dynamodb": {dynamostore.New(db, table), kmsseal.New(kms.NewFromConfig(srv.Config(nil, nil)), srv.NewKey(t)), func(id string) string {
			out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &table,
				Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "WHSEC#" + id}, "sk": &types.AttributeValueMemberS{Value: "SECRETS"}}})
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf("%+v", out.Item)
		}},
	} {
		s := w.s
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			admin := partners.NewAdmin(s, nil, true).WithSealer(w.sealer)
			dir := partners.NewDirectoryTouchingAfter(s, nil, 0)
			defer dir.Wait()
			files := map[string][]byte{"registry.json": []byte(fixture.RegistryJSON), "hooks.json": []byte(fixture.WebhookSecretsJSON)}
			readFile := func(n string) ([]byte, error) {
				if b, ok := files[n]; ok {
					return b, nil
				}
				return nil, os.ErrNotExist
			}
			run := func(args ...string) (string, error) {
				var out bytes.Buffer
				err := cli.Run(ctx, args, admin, "alice@ops", readFile, &out)
				return out.String(), err
			}
			must := func(args ...string) string {
				t.Helper()
				out, err := run(args...)
				if err != nil {
					t.Fatalf("%v: %v", args, err)
				}
				return out
			}

			out := must("create", "-id", "p_new", "-name", "New Pay", "-flow", "WIDGET", "-webhook-url", "https://hooks.new.example/id")
			m := keyLine.FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("no key printed: %s", out)
			}
			firstKeyID, firstKey := m[1], m[2]
			firstSecret := secretLine.FindStringSubmatch(out)
			if firstSecret == nil {
				t.Fatalf("no webhook secret printed: %s", out)
			}
			// What signs p_new's webhooks, as a webhook function's
			// container started now reads it.
			signsWith := func(what string, want ...string) {
				t.Helper()
				keys, err := signature.NewStored(s, w.sealer, nil).For(ctx, "p_new", "we_default")
				if err != nil || len(keys) != len(want) {
					t.Fatalf("%s: %d keys, %v", what, len(keys), err)
				}
				for i, secret := range want {
					if string(keys[i]) != string(signature.MustSecret(secret)) {
						t.Fatalf("%s: key %d is not the one printed", what, i)
					}
				}
			}
			signsWith("created", firstSecret[1])
			if raw := w.raw("p_new"); strings.Contains(raw, firstSecret[1]) || strings.Contains(raw, firstSecret[1][6:]) {
				t.Fatalf("the secret is stored in the clear: %s", raw)
			}
			if p, err := dir.Authenticate(ctx, firstKey); err != nil || p.ID != "p_new" || p.Flow != partners.FlowWidget {
				t.Fatalf("the printed key: %+v %v", p, err)
			}
			must("set-template", "p_new", "FI", "-template-id", "basic-kyc-level", "-provider", "sumsub")
			must("set-template", "p_new", "MX", "-template-id", "mx", "-link-url", "https://verify.example.com/s/{sessionId}")
			must("remove-template", "p_new", "MX")
			must("set-flow", "p_new", "API")
			must("suspend", "p_new")
			out = must("show", "p_new")
			for _, want := range []string{"partner p_new (New Pay)", "flow API, suspended", "KYC FI: sumsub basic-kyc-level", "key " + firstKeyID} {
				if !strings.Contains(out, want) {
					t.Fatalf("show lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "KYC MX") || strings.Contains(out, firstKey) {
				t.Fatalf("show:\n%s", out)
			}
			must("reinstate", "p_new")

			// Its own rate limit, shown, read by a container started now, then the
			// default again.
			must("set-limit", "p_new", "kyc-links", "-rate", "5", "-burst", "20")
			out = must("show", "p_new")
			for _, want := range []string{"limit kyc-links: 5/s, burst 20 (its own)", "limit default: 50/s, burst 100 (default)"} {
				if !strings.Contains(out, want) {
					t.Fatalf("show lacks %q:\n%s", want, out)
				}
			}
			if p, err := partners.NewDirectoryTouchingAfter(s, nil, 0).Authenticate(ctx, firstKey); err != nil || p.Limits.For("kyc-links") != (ratelimit.Policy{Rate: 5, Burst: 20}) {
				t.Fatalf("the partner's limits as a function reads them: %+v %v", p, err)
			}
			if out = must("limits"); !strings.Contains(out, "kyc-links      7/s, bursts 30") { // p_new's, and its test side's default
				t.Fatalf("limits:\n%s", out)
			}
			must("set-limit", "p_new", "kyc-links", "-default")
			if out = must("show", "p_new"); !strings.Contains(out, "limit kyc-links: 2/s, burst 10 (default)") {
				t.Fatalf("back to the default:\n%s", out)
			}

			// A rotation: a new key, the old one given an end.
			m = keyLine.FindStringSubmatch(must("issue-key", "p_new", "-expires", "8760h"))
			secondKey := m[2]
			must("expire-key", "p_new", firstKeyID, "-at", "2020-01-01T00:00:00Z")
			dir2 := partners.NewDirectoryTouchingAfter(s, nil, 0) // a container started after the change
			defer dir2.Wait()
			if _, err := dir2.Authenticate(ctx, firstKey); !errors.Is(err, domain.ErrUnauthorized) {
				t.Fatalf("the expired key: %v", err)
			}
			if p, err := dir2.Authenticate(ctx, secondKey); err != nil || p.Suspended() {
				t.Fatalf("the new key: %+v %v", p, err)
			}
			must("revoke-key", "p_new", firstKeyID)
			if out := must("show", "p_new"); strings.Contains(out, firstKeyID) || !strings.Contains(out, "expires ") {
				t.Fatalf("after revoking:\n%s", out)
			}
			// A webhook secret rotation: both sign for the overlap; then one
			// that ends the old one at once.
			out = must("rotate-webhook-secret", "p_new", "-overlap", "1h")
			second := secretLine.FindStringSubmatch(out)
			if second == nil || !strings.Contains(out, "signs until ") {
				t.Fatalf("rotate:\n%s", out)
			}
			signsWith("rotated, with an overlap", second[1], firstSecret[1])
			third := secretLine.FindStringSubmatch(must("rotate-webhook-secret", "p_new", "-overlap", "0"))
			signsWith("rotated, the old one stopped", third[1])
			// An endpoint the partner added itself: shown; the operator's
			// commands on the first endpoint leave it and its secret be.
			url := "https://hooks.new.example/kyc"
			added, addedSecret, err := admin.CreateEndpoint(ctx, "", "p_new", partners.EndpointInput{URL: &url, EnabledEvents: &[]string{"kyc.status_changed"}})
			if err != nil {
				t.Fatal(err)
			}
			if out := must("show", "p_new"); !strings.Contains(out, "webhook endpoint "+added.ID+" "+url+" kyc.status_changed") {
				t.Fatalf("show with an endpoint of the partner's:\n%s", out)
			}
			must("rotate-webhook-secret", "p_new", "-overlap", "0")
			must("set-webhook", "p_new", "https://hooks.new.example/v2")
			if keys, err := signature.NewStored(s, w.sealer, nil).For(ctx, "p_new", added.ID); err != nil || len(keys) != 1 || string(keys[0]) != string(signature.MustSecret(addedSecret)) {
				t.Fatalf("the partner's endpoint after the operator's changes: %d keys, %v", len(keys), err)
			}
			if out := must("show", "p_new"); !strings.Contains(out, "webhook https://hooks.new.example/v2") || !strings.Contains(out, "webhook endpoint "+added.ID) {
				t.Fatalf("show after set-webhook:\n%s", out)
			}
			must("set-webhook", "p_new", "")

			// Import: the registry document; again, nothing changes.
			if out := must("import", "registry.json"); !strings.Contains(out, "3 created, 0 changed") {
				t.Fatalf("import: %s", out)
			}
			if out := must("import", "registry.json"); !strings.Contains(out, "0 created, 0 changed") {
				t.Fatalf("import again: %s", out)
			}
			// The retired webhook secrets document: sealed, idempotent.
			if out := must("import-webhook-secrets", "hooks.json"); !strings.Contains(out, "1 partners' secrets written") {
				t.Fatalf("import-webhook-secrets: %s", out)
			}
			if out := must("import-webhook-secrets", "hooks.json"); !strings.Contains(out, "0 partners' secrets written") {
				t.Fatalf("import-webhook-secrets again: %s", out)
			}
			if keys, err := signature.NewStored(s, w.sealer, nil).For(ctx, "p_acme", "we_default"); err != nil || len(keys) != 1 ||
				string(keys[0]) != string(signature.MustSecret(fixture.AcmeWebhookSecret)) {
				t.Fatalf("imported secret: %d %v", len(keys), err)
			}
			if out := must("list", "-limit", "4"); !strings.Contains(out, "p_acme.test") || !strings.Contains(out, "more: list -after p_beta.test") {
				t.Fatalf("list:\n%s", out)
			}
			if out := must("list", "-after", "p_beta.test"); !strings.Contains(out, "p_gamma") || !strings.Contains(out, "p_new") || strings.Contains(out, "p_acme") {
				t.Fatalf("list after p_beta:\n%s", out)
			}

			// Refused, nothing written, and said so.
			for _, c := range []struct {
				args []string
				want string
			}{
				{[]string{"create", "-id", "p_new", "-name", "again"}, "a partner with this id exists"},
				{[]string{"set-webhook", "p_new", "http://hooks.new.example/"}, "refused, nothing written: partner p_new: webhook.url must be https"},
				{[]string{"set-template", "p_new", "DE", "-template-id", "x", "-provider", "other"}, "refused, nothing written"},
				{[]string{"create", "-id", "p_x", "-name", "X", "-identity-provider", "acme"}, "another partner holds this identity provider"},
				{[]string{"show", "p_none"}, "no such partner"},
				{[]string{"expire-key", "p_new", "key_none", "-at", "1h"}, "no such partner or key"},
				{[]string{"frobnicate"}, "unknown command"},
				{[]string{"set-limit", "p_new", "everything", "-rate", "1", "-burst", "1"}, "refused, nothing written: must be one of default, kyc-links, webhook-tests, tokens"},
				{[]string{"set-limit", "p_new", "default", "-rate", "0", "-burst", "1"}, "rate must be over 0"},
				{[]string{"show"}, "0 arguments, want 1"},
				{[]string{"import", "missing.json"}, "cannot be read"},
				{[]string{"rotate-webhook-secret", "p_new", "-overlap", "200h"}, "refused, nothing written: must be between 0 and 168h"},
				{[]string{"rotate-webhook-secret", "p_none"}, "no such partner"},
				{[]string{"import-webhook-secrets", "registry.json"}, "refused, nothing written: webhook secrets:"},
			} {
				if _, err := run(c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%v: %v, want %q", c.args, err, c.want)
				}
			}
			if _, err := s.GetPartner(ctx, "p_x"); !errors.Is(err, domain.ErrNotFound) {
				t.Fatalf("a refused create wrote: %v", err)
			}

			// Every change recorded, with its actor; never a key.
			out = must("audit", "p_new")
			for _, want := range []string{"alice@ops", "create", "rotate webhook secret", "set KYC template", "remove KYC template", "set flow", "suspend", "reinstate", "issue key", "expire key", "revoke key", "set webhook URL"} {
				if !strings.Contains(out, want) {
					t.Fatalf("audit lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, firstKey) || strings.Contains(out, secondKey) || strings.Contains(out, firstSecret[1][6:]) || strings.Contains(out, second[1][6:]) {
				t.Fatalf("a key in the audit:\n%s", out)
			}
			must("remove", "p_new")
			if keys, err := signature.NewStored(s, w.sealer, nil).For(ctx, "p_new", "we_default"); err != nil || len(keys) != 0 {
				t.Fatalf("a removed partner's secrets: %d %v", len(keys), err)
			}
			if _, err := dir2.Partner(ctx, "nobody"); !errors.Is(err, domain.ErrNotFound) {
				t.Fatal(err)
			}
			if out := must("audit", "p_new"); !strings.Contains(out, "remove") {
				t.Fatalf("audit after removal:\n%s", out)
			}
		})
	}
}
