package systemtest_test

import (
	"context"
	"encoding/json"
	"github.com/partner-identity/api/shared/devdata"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/partner-identity/api/shared/adapters/sumsub"
	"github.com/partner-identity/api/shared/domain/tokens"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/http/partnerv2"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/lambda/cleanup"
	"github.com/partner-identity/api/shared/lambda/dispatch"
	"github.com/partner-identity/api/shared/lambda/lambdarun"
	"github.com/partner-identity/api/shared/lambda/partnerapi"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/fixture"
)

func httpEvent(method, path, query string, headers map[string]string, body string) []byte {
	ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: method + " " + path, RawPath: path, RawQueryString: query,
		Headers: headers, Body: body, RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: "hang-test",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, Protocol: "HTTP/1.1", SourceIP: "192.0.2.1"}}}
	b, _ := json.Marshal(ev)
	return b
}

// TestHangingDynamoDBAnswersBeforeTheDeadline: with DynamoDB accepting
// connections and never answering, every route, the cleanup and the
// dispatcher answer while their invocation's deadline is still ahead: the
// routes a 500 in their dialect, the cleanup an error, the dispatcher the
// records to retry.
func TestHangingDynamoDBAnswersBeforeTheDeadline(t *testing.T) {
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(testkit.HangingEndpoint(t)),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	_, keysFile := fixture.SecretFiles(t)
	// Sumsub hangs too: a Sumsub link answers before the deadline as well.
	kycFile := filepath.Join(t.TempDir(), "kyc-providers.json")
	if err := os.WriteFile(kycFile, []byte(fixture.KYCProvidersJSON(testkit.HangingEndpoint(t))), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := app.Build(context.Background(), app.Config{TableName: "t",
		ServiceKeysFile: keysFile, KYCProvidersFile: kycFile, AWS: &cfg, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	user := "2f1c6b52-8d8e-4a55-9d53-3c8d2b0f4a11"
	tok, err := tokens.Mint(fixture.ServiceKeys(t), user, "p_acme", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	key := map[string]string{"partner-api-key": fixture.KeyAcme, "content-type": "application/json"}
	sumsubBody := `{"type":"applicantPending","externalUserId":"` + user + `","createdAtMs":"2026-11-24 09:00:00.000"}`
	sumsubSigned := func(body string) map[string]string {
		return map[string]string{"x-payload-digest": sumsub.Digest(fixture.SumsubWebhookSecret, []byte(body)), "content-type": "application/json"}
	}
	hostedBody := `{"sessionId":"0d5e6f7a8b9c4d1e2f3a4b5c6d7e8f90","status":"APPROVED","occurredAt":"2026-11-24T09:00:00Z"}`
	hostedSigned := func(body string) map[string]string {
		h := fixture.HostedHeaders(body, time.Now())
		h["content-type"] = "application/json"
		return h
	}
	bearer := map[string]string{"authorization": "Bearer " + tok.Token}
	userBearer := map[string]string{"user-authorization": "Bearer " + tok.Token, "content-type": "application/json"}
	requests := map[string][]byte{
		"create-user":                    httpEvent("POST", "/api/partner/v2/users", "", key, `{"externalUserId":"e1","type":"INDIVIDUAL"}`),
		"get-user":                       httpEvent("GET", "/api/partner/v2/users/"+user, "", key, ""),
		"find-user":                      httpEvent("GET", "/api/partner/v2/users", "externalUserId=e1", key, ""),
		"delete-user":                    httpEvent("DELETE", "/api/partner/v2/users/"+user, "", key, ""),
		"create-verification-link":       httpEvent("POST", "/api/partner/v2/users/"+user+"/kyc/verification-link", "", key, `{"country":"MX","partnerRedirectUri":"https://a.example/done"}`),
		"create-user-token":              httpEvent("POST", "/api/partner/v2/users/"+user+"/token", "", key, ""),
		"link-identifier":                httpEvent("POST", "/api/v2/user/link-identifier", "", userBearer, `{"identifier":"abcdefghijabcdefghijabcdefghijabcdefghij"}`),
		"user-info":                      httpEvent("GET", "/api/v2/user/info", "", userBearer, ""),
		"set-federated-identity":         httpEvent("PUT", "/federated-identities/acme", "", bearer, ""),
		"delete-federated-identity":      httpEvent("DELETE", "/federated-identities/acme", "", bearer, ""),
		"list-federated-identities":      httpEvent("GET", "/federated-identities", "", bearer, ""),
		"get-user-kyc":                   httpEvent("GET", "/api/partner/v2/users/"+user+"/kyc", "", key, ""),
		"kyc-sumsub-webhook":             httpEvent("POST", "/kyc/providers/sumsub/webhook", "", sumsubSigned(sumsubBody), sumsubBody),
		"kyc-hosted-webhook":             httpEvent("POST", "/kyc/providers/hosted/webhook", "", hostedSigned(hostedBody), hostedBody),
		"list-webhook-events":            httpEvent("GET", "/api/partner/v2/webhooks/events", "status=pending", key, ""),
		"redeliver-webhook-event":        httpEvent("POST", "/api/partner/v2/webhooks/events/evt_0123456789abcdef0123456789abcdef/redeliver", "", key, ""),
		"send-test-webhook":              httpEvent("POST", "/api/partner/v2/webhooks/test", "", key, ""),
		"sandbox-kyc-outcome":            httpEvent("POST", "/api/partner/v2/sandbox/kyc-sessions/7e576f7a8b9c4d1e2f3a4b5c6d7e8f90/outcome", "", key, `{"outcome":"approve"}`),
		"sandbox-wipe-data":              httpEvent("DELETE", "/api/partner/v2/sandbox/data", "", key, ""),
		"sandbox-kyc-page":               httpEvent("GET", "/sandbox/kyc/7e576f7a8b9c4d1e2f3a4b5c6d7e8f90", "", nil, ""),
		"sandbox-kyc-decision":           httpEvent("POST", "/sandbox/kyc/7e576f7a8b9c4d1e2f3a4b5c6d7e8f90", "", map[string]string{"content-type": "application/x-www-form-urlencoded"}, "outcome=approve"),
		"sandbox-simulation":             httpEvent("POST", "/api/partner/v2/sandbox/simulations", "", key, `{"scenario":"late_rejection","sessionId":"7e576f7a8b9c4d1e2f3a4b5c6d7e8f90"}`),
		"list-api-keys":                  httpEvent("GET", "/api/partner/v2/api-keys", "", key, ""),
		"create-api-key":                 httpEvent("POST", "/api/partner/v2/api-keys", "", key, ""),
		"roll-api-key":                   httpEvent("POST", "/api/partner/v2/api-keys/key_000000000000/roll", "", key, ""),
		"revoke-api-key":                 httpEvent("DELETE", "/api/partner/v2/api-keys/key_000000000000", "", key, ""),
		"jwks":                           httpEvent("GET", "/.well-known/jwks.json", "", nil, ""), // reads no table: 200
		"get-limits":                     httpEvent("GET", "/api/partner/v2/limits", "", key, ""),
		"list-webhook-endpoints":         httpEvent("GET", "/api/partner/v2/webhooks/endpoints", "", key, ""),
		"create-webhook-endpoint":        httpEvent("POST", "/api/partner/v2/webhooks/endpoints", "", key, `{"url":"https://hooks.acme.example/kyc"}`),
		"get-webhook-endpoint":           httpEvent("GET", "/api/partner/v2/webhooks/endpoints/we_default", "", key, ""),
		"update-webhook-endpoint":        httpEvent("PATCH", "/api/partner/v2/webhooks/endpoints/we_default", "", key, `{"description":"all"}`),
		"delete-webhook-endpoint":        httpEvent("DELETE", "/api/partner/v2/webhooks/endpoints/we_0000000000000000", "", key, ""),
		"rotate-webhook-endpoint-secret": httpEvent("POST", "/api/partner/v2/webhooks/endpoints/we_default/rotate-secret", "", key, ""),
		"oauth2-token": httpEvent("POST", "/oauth2/token", "", map[string]string{"content-type": "application/x-www-form-urlencoded"},
			"grant_type=client_credentials&client_id=p_acme&client_secret="+fixture.KeyAcme),
		"create-verification-link (Sumsub)": httpEvent("POST", "/api/partner/v2/users/"+user+"/kyc/verification-link", "", key, `{"country":"DE"}`),
	}
	const budget = 2400 * time.Millisecond // the invocation's time, as Lambda's deadline gives it
	routes := devdata.Endpoints(d, nil)
	sumsubLink := partnerv2.CreateVerificationLinkRoute.On(partnerapi.New(d, nil))
	sumsubLink.Name += " (Sumsub)"
	routes = append(routes, sumsubLink)
	for _, rt := range routes {
		t.Run(rt.Name, func(t *testing.T) {
			// Each waits out its own deadline against the hanging
			// endpoint: at once, the whole takes one budget, not forty.
			t.Parallel()
			h := lambda.NewHandler(lambdarun.HTTP(httpx.Mux(rt)))
			ctx, cancel := context.WithTimeout(context.Background(), budget)
			defer cancel()
			out, err := h.Invoke(ctx, requests[rt.Name])
			if ctx.Err() != nil {
				t.Fatal("answered after the deadline")
			}
			if err != nil {
				t.Fatal(err)
			}
			var resp events.APIGatewayV2HTTPResponse
			if rt.Name == "jwks" { // the one route that reads no table
				if json.Unmarshal(out, &resp) != nil || resp.StatusCode != 200 {
					t.Fatalf("%d %s, want 200 (it reads no table)", resp.StatusCode, resp.Body)
				}
				return
			}
			if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode != 500 {
				t.Fatalf("%d %s, want 500", resp.StatusCode, resp.Body)
			}
			if !strings.Contains(resp.Body, "ER999") && !strings.Contains(resp.Body, "INTERNAL_SERVER_ERROR") && !strings.Contains(resp.Body, "internal-server-error") &&
				!strings.Contains(resp.Body, `"error":"server_error"`) {
				t.Fatalf("not the dialect's 500: %s", resp.Body)
			}
			if strings.Contains(resp.Body, "deadline") || strings.Contains(resp.Body, "context") {
				t.Fatalf("internal text: %s", resp.Body)
			}
		})
	}
	t.Run("cleanup-kyc-sessions", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), budget)
		defer cancel()
		c := cleanup.New(d)
		c.Reserve = 100 * time.Millisecond // its own page-taking reserve (5 s) would not start a page in this budget
		_, err := cleanup.Handler(c)(ctx, nil)
		if ctx.Err() != nil || err == nil {
			t.Fatalf("cleanup: %v, deadline passed: %v", err, ctx.Err() != nil)
		}
	})
	t.Run("webhook-dispatcher", func(t *testing.T) {
		var ev events.DynamoDBEvent
		raw, err := os.ReadFile("../../events/webhook-dispatcher.json")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), budget)
		defer cancel()
		resp, err := dispatch.Stream(dispatch.New(d))(ctx, ev)
		if ctx.Err() != nil || err != nil || len(resp.BatchItemFailures) != len(ev.Records) {
			t.Fatalf("dispatcher: %+v, %v, deadline passed: %v", resp, err, ctx.Err() != nil)
		}
	})
}
