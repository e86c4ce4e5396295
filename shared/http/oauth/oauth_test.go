package oauth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/domain/servicekeys"
	"github.com/partner-identity/api/shared/domain/tokens"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
	"github.com/partner-identity/api/shared/testkit/moto"
)

func TestMain(m *testing.M) { fixture.Main(m) }

const (
	tokenPath = "/oauth2/token"
	form      = "application/x-www-form-urlencoded"
)

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// oauthError checks an RFC 6749 section 5.2 answer.
func oauthError(t *testing.T, r *apitest.Response, status int, code string) {
	t.Helper()
	var body map[string]string
	if r.Status != status || json.Unmarshal(r.Body, &body) != nil || body["error"] != code || body["error_description"] == "" || len(body) != 2 {
		t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, status, code)
	}
	if (r.Header.Get("WWW-Authenticate") != "") != (status == 401) {
		t.Fatalf("WWW-Authenticate %q on a %d", r.Header.Get("WWW-Authenticate"), status)
	}
}

// granted checks a token answer and returns the token's claims, verified
// as a partner access token.
func granted(t *testing.T, r *apitest.Response, now time.Time) *tokens.PartnerClaims {
	t.Helper()
	var body struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if r.Status != 200 || json.Unmarshal(r.Body, &body) != nil || body.TokenType != "Bearer" || body.ExpiresIn <= 0 || body.ExpiresIn > 3600 ||
		r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("Pragma") != "no-cache" {
		t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
	}
	c, err := tokens.VerifyPartner(fixture.ServiceKeys(t), body.AccessToken, now)
	if err != nil {
		t.Fatalf("the access token does not verify: %v", err)
	}
	if got := c.ExpiresAt.Sub(c.IssuedAt.Time); got != time.Duration(body.ExpiresIn)*time.Second {
		t.Fatalf("expires_in %d, the token's lifetime %s", body.ExpiresIn, got)
	}
	return c
}

// TestClientCredentialsGrant: RFC 6749 section 4.4 with the client
// authenticated either way; every refusal as section 5.2 says, and none
// mints a token.
func TestClientCredentialsGrant(t *testing.T) {
	clk := testkit.NewClock(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC))
	e := fixture.NewEnv(t, fixture.Options{Now: clk.Now})
	c := e.Client
	post := func(h apitest.Headers, body string) *apitest.Response {
		if _, ok := h["Content-Type"]; !ok {
			h["Content-Type"] = form
		}
		return c.Do(http.MethodPost, tokenPath, h, body)
	}
	t.Run("HTTP Basic", func(t *testing.T) {
		claims := granted(t, post(apitest.Headers{"Authorization": basic("p_acme", fixture.KeyAcme)}, "grant_type=client_credentials"), clk.Now())
		if claims.Subject != "p_acme" || claims.PartnerID != "p_acme" || claims.KeyID == "" || claims.ExpiresAt.Sub(clk.Now()) != time.Hour {
			t.Fatalf("claims %+v", claims)
		}
	})
	t.Run("in the body", func(t *testing.T) {
		claims := granted(t, post(apitest.Headers{}, "grant_type=client_credentials&client_id=p_acme&client_secret="+fixture.KeyAcme+"&unknown=ignored"), clk.Now())
		if claims.Subject != "p_acme" {
			t.Fatalf("claims %+v", claims)
		}
	})
	t.Run("each key its own id", func(t *testing.T) {
		a := granted(t, post(apitest.Headers{"Authorization": basic("p_acme", fixture.KeyAcme)}, "grant_type=client_credentials"), clk.Now())
		b := granted(t, post(apitest.Headers{"Authorization": basic("p_acme", fixture.KeyAcmeOld)}, "grant_type=client_credentials"), clk.Now())
		if a.KeyID == b.KeyID || a.ID == b.ID {
			t.Fatalf("two keys, one akid (%s) or one jti", a.KeyID)
		}
	})
	before := e.Mem.Dump()
	for _, tc := range []struct {
		name   string
		h      apitest.Headers
		body   string
		status int
		code   string
	}{
		{"JSON body", apitest.Headers{"Content-Type": "application/json", "Authorization": basic("p_acme", fixture.KeyAcme)}, `{"grant_type":"client_credentials"}`, 400, "invalid_request"},
		{"grant_type missing", apitest.Headers{"Authorization": basic("p_acme", fixture.KeyAcme)}, "scope=", 400, "invalid_request"},
		{"grant_type repeated", apitest.Headers{"Authorization": basic("p_acme", fixture.KeyAcme)}, "grant_type=client_credentials&grant_type=client_credentials", 400, "invalid_request"},
		{"not form encoding", apitest.Headers{"Authorization": basic("p_acme", fixture.KeyAcme)}, "grant_type=%zz", 400, "invalid_request"},
		{"another grant", apitest.Headers{"Authorization": basic("p_acme", fixture.KeyAcme)}, "grant_type=password&username=a&password=b", 400, "unsupported_grant_type"},
		{"a scope", apitest.Headers{"Authorization": basic("p_acme", fixture.KeyAcme)}, "grant_type=client_credentials&scope=admin", 400, "invalid_scope"},
		{"two methods", apitest.Headers{"Authorization": basic("p_acme", fixture.KeyAcme)}, "grant_type=client_credentials&client_id=p_acme&client_secret=" + fixture.KeyAcme, 400, "invalid_request"},
		{"no client", apitest.Headers{}, "grant_type=client_credentials", 401, "invalid_client"},
		{"id without secret", apitest.Headers{}, "grant_type=client_credentials&client_id=p_acme", 401, "invalid_client"},
		{"another scheme", apitest.Headers{"Authorization": "Bearer " + fixture.KeyAcme}, "grant_type=client_credentials", 401, "invalid_client"},
		{"Basic not base64", apitest.Headers{"Authorization": "Basic %%%"}, "grant_type=client_credentials", 401, "invalid_client"},
		{"unknown key", apitest.Headers{"Authorization": basic("p_acme", fixture.KeyUnknown)}, "grant_type=client_credentials", 401, "invalid_client"},
		{"malformed key", apitest.Headers{"Authorization": basic("p_acme", "short")}, "grant_type=client_credentials", 401, "invalid_client"},
		{"another partner's key", apitest.Headers{"Authorization": basic("p_acme", fixture.KeyBeta)}, "grant_type=client_credentials", 401, "invalid_client"},
		{"another partner's id", apitest.Headers{"Authorization": basic("p_beta", fixture.KeyAcme)}, "grant_type=client_credentials", 401, "invalid_client"},
		{"suspended partner", apitest.Headers{"Authorization": basic("p_gamma", fixture.KeyGamma)}, "grant_type=client_credentials", 400, "unauthorized_client"},
	} {
		t.Run(tc.name, func(t *testing.T) { oauthError(t, post(tc.h, tc.body), tc.status, tc.code) })
	}
	t.Run("GET is 405 in the same dialect", func(t *testing.T) {
		r := c.Do(http.MethodGet, tokenPath, apitest.Headers{}, "")
		if r.Status != 405 || r.Header.Get("Allow") != "POST" || !strings.Contains(string(r.Body), `"error":"invalid_request"`) {
			t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
		}
	})
	if after := e.Mem.Dump(); after != before {
		t.Fatal("a refused grant changed the store")
	}
	t.Run("a key that expires sooner bounds the token", func(t *testing.T) {
		r := c.Do(http.MethodPost, "/api/partner/v2/api-keys", apitest.Headers{"partner-api-key": fixture.KeyAcme}, "")
		made := r.JSON()["data"].(map[string]any)
		r = c.Do(http.MethodPost, "/api/partner/v2/api-keys/"+made["id"].(string)+"/roll", apitest.Headers{"partner-api-key": fixture.KeyAcme}, `{"expiresAt":"`+clk.Now().Add(10*time.Minute).Format(time.RFC3339)+`"}`)
		if r.Status != 201 {
			t.Fatalf("roll: %d %s", r.Status, r.Body)
		}
		claims := granted(t, post(apitest.Headers{"Authorization": basic("p_acme", made["key"].(string))}, "grant_type=client_credentials"), clk.Now())
		if claims.ExpiresAt.Sub(clk.Now()) != 10*time.Minute || claims.KeyID != made["id"] {
			t.Fatalf("a key of 10 more minutes: a token until %s (akid %s)", claims.ExpiresAt, claims.KeyID)
		}
	})
	t.Run("500 without internal text", func(t *testing.T) {
		down := fixture.Client(t, e.Mem, fixture.Options{Now: clk.Now, Keys: func(context.Context) (*servicekeys.Keys, error) {
			return nil, errors.New("secretsmanager: throttled reading arn:aws:secretsmanager:token-signing")
		}})
		r := down.Do(http.MethodPost, tokenPath, apitest.Headers{"Content-Type": form, "Authorization": basic("p_acme", fixture.KeyAcme)}, "grant_type=client_credentials")
		if r.Status != 500 || strings.Contains(string(r.Body), "secretsmanager") {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		oauthError(t, r, 500, "server_error")
	})
}

// TestGrantOnMoto: the grant against DynamoDB: one GetItem for the key
// (its partner with it), none again in the same container.
func TestGrantOnMoto(t *testing.T) {
	calls := moto.NewCalls()
	db, table := moto.Require(t).NewTable(t, calls, nil)
	s := dynamostore.New(db, table)
	dir := fixture.Partners(t, s, nil)
	c := fixture.Client(t, s, fixture.Options{Partners: dir})
	h := apitest.Headers{"Content-Type": form, "Authorization": basic("p_acme", fixture.KeyAcme)}
	calls.Reset()
	granted(t, c.Do(http.MethodPost, tokenPath, h, "grant_type=client_credentials"), time.Now())
	dir.Wait()
	if calls.Get("GetItem") != 1 {
		t.Fatalf("the first grant made %d GetItem, want 1 (the key, its partner with it)", calls.Get("GetItem"))
	}
	calls.Reset()
	granted(t, c.Do(http.MethodPost, tokenPath, h, "grant_type=client_credentials"), time.Now())
	dir.Wait()
	if calls.Get("GetItem") != 0 {
		t.Fatalf("the second grant made %d GetItem, want 0 (the key cached)", calls.Get("GetItem"))
	}
}
