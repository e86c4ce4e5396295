package partnerv2_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/domain/tokens"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
	"github.com/partner-identity/api/shared/testkit/moto"
)

// accessToken is a partner access token for id's key, from POST /oauth2/token.
func accessToken(t *testing.T, c *apitest.Client, id, key string) string {
	t.Helper()
	r := c.Do(http.MethodPost, "/oauth2/token", apitest.Headers{"Content-Type": "application/x-www-form-urlencoded",
		"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+key))}, "grant_type=client_credentials")
	if r.Status != 200 {
		t.Fatalf("token: %d %s", r.Status, r.Body)
	}
	return r.JSON()["access_token"].(string)
}

// TestAccessTokensInPlaceOfTheKey: a partner access token is accepted
// wherever the key is (a read, a create, the key listing, which names
// the token's key as current); refused as invalid, expired, a user's
// credential or beside a key, each with its message; a revoked key or a
// suspended partner ends its tokens within the partners' cache. On both
// stores.
func TestAccessTokensInPlaceOfTheKey(t *testing.T) {
	stores := map[string]func(t *testing.T) (domain.Store, func() (string, bool)){
		"memory": func(t *testing.T) (domain.Store, func() (string, bool)) {
			e := fixture.NewEnv(t, fixture.Options{})
			return e.Mem, func() (string, bool) { return e.Mem.Dump(), true }
		},
		"dynamodb": func(t *testing.T) (domain.Store, func() (string, bool)) {
			db, table := moto.Require(t).NewTable(t, nil, nil)
			return dynamostore.New(db, table), func() (string, bool) { return "", false }
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			s, dump := open(t)
			clk := testkit.NewClock(time.Now().UTC().Truncate(time.Second))
			dir := fixture.Partners(t, s, clk.Now)
			c := fixture.Client(t, s, fixture.Options{Partners: dir, Now: clk.Now})
			tok := accessToken(t, c, "p_acme", keyAcme)
			bearer := apitest.Headers{"Authorization": "Bearer " + tok}

			// Accepted as the key is.
			r := c.Do(http.MethodPost, usersPath, bearer, `{"externalUserId":"ext-by-access-token","type":"INDIVIDUAL"}`)
			if r.Status != 201 {
				t.Fatalf("create with a token: %d %s", r.Status, r.Body)
			}
			user := r.JSON()["data"].(map[string]any)["userId"].(string)
			if r := c.Do(http.MethodGet, usersPath+"/"+user, bearer, ""); r.Status != 200 {
				t.Fatalf("read with a token: %d %s", r.Status, r.Body)
			}
			r = c.Do(http.MethodGet, keysPath, bearer, "")
			claims, _ := tokens.VerifyPartner(fixture.ServiceKeys(t), tok, clk.Now())
			current := ""
			for _, k := range r.JSON()["data"].(map[string]any)["keys"].([]any) {
				if k := k.(map[string]any); k["current"] == true {
					current = k["id"].(string)
				}
			}
			if r.Status != 200 || current != claims.KeyID {
				t.Fatalf("keys with a token: %d, current %q, the token's key %q", r.Status, current, claims.KeyID)
			}
			if r := c.Do(http.MethodGet, usersPath+"/"+user, apitest.Headers{"Authorization": "Bearer " + accessToken(t, c, "p_beta", keyBeta)}, ""); r.Status != 401 {
				t.Fatalf("another partner's token reads acme's user: %d", r.Status)
			}

			// Refused, each with its message, writing nothing.
			userTok := c.Do(http.MethodPost, usersPath+"/"+user+"/token", bearer, "").JSON()["data"].(map[string]any)["token"].(string)
			before, comparable := dump()
			for _, tc := range []struct {
				name string
				h    apitest.Headers
				msg  string
			}{
				{"garbage", apitest.Headers{"Authorization": "Bearer x.y.z"}, "Invalid access token"},
				{"another scheme", apitest.Headers{"Authorization": "Basic " + tok}, "Invalid access token"},
				{"no token after Bearer", apitest.Headers{"Authorization": "Bearer "}, "Invalid access token"},
				{"a changed signature", apitest.Headers{"Authorization": "Bearer " + changedSignature(tok)}, "Invalid access token"},
				{"a user token", apitest.Headers{"Authorization": "Bearer " + userTok}, "Partner information is required for this operation"},
				{"a key beside it", apitest.Headers{"Authorization": "Bearer " + tok, "partner-api-key": keyAcme}, "Multiple authorization methods used"},
			} {
				r := c.Do(http.MethodPost, usersPath, tc.h, `{"externalUserId":"ext-refused","type":"INDIVIDUAL"}`)
				if r.Status < 400 {
					t.Fatalf("%s: %d %s", tc.name, r.Status, r.Body)
				}
				if code, msg, _ := errorOf(t, r); r.Status != 401 || code != "UNAUTHORIZED" || msg != tc.msg {
					t.Fatalf("%s: %d %s %q, want 401 %q", tc.name, r.Status, code, msg, tc.msg)
				}
			}
			if after, _ := dump(); comparable && after != before {
				t.Fatal("a refused token changed the store")
			}

			// Expired after its hour.
			clk.Add(time.Hour + time.Minute)
			if _, msg, _ := errorOf(t, c.Do(http.MethodGet, usersPath+"/"+user, bearer, "")); msg != "Access token has expired" {
				t.Fatalf("an hour later: %q", msg)
			}

			// A revoked key's tokens stop within the partners' cache.
			admin := partners.NewAdmin(s, clk.Now, false)
			fresh := accessToken(t, c, "p_acme", keyAcmeOld)
			old, _ := tokens.VerifyPartner(fixture.ServiceKeys(t), fresh, clk.Now())
			if r := c.Do(http.MethodGet, usersPath+"/"+user, apitest.Headers{"Authorization": "Bearer " + fresh}, ""); r.Status != 200 {
				t.Fatalf("before the revocation: %d", r.Status)
			}
			if _, err := admin.RevokeKey(context.Background(), "test", "p_acme", old.KeyID); err != nil {
				t.Fatal(err)
			}
			clk.Add(partners.CacheTTL + time.Second)
			if _, msg, _ := errorOf(t, c.Do(http.MethodGet, usersPath+"/"+user, apitest.Headers{"Authorization": "Bearer " + fresh}, "")); msg != "Invalid access token" {
				t.Fatalf("a revoked key's token: %q", msg)
			}

			// A suspended partner's tokens: 403, as its keys.
			live := accessToken(t, c, "p_acme", keyAcme)
			if _, err := admin.Suspend(context.Background(), "test", "p_acme"); err != nil {
				t.Fatal(err)
			}
			clk.Add(partners.CacheTTL + time.Second)
			r = c.Do(http.MethodGet, usersPath+"/"+user, apitest.Headers{"Authorization": "Bearer " + live}, "")
			if code, _, _ := errorOf(t, r); r.Status != 403 || code != "INVALID_PARTNER_FLOW" {
				t.Fatalf("a suspended partner's token: %d %s", r.Status, code)
			}
		})
	}
}

// changedSignature is tok with the first character of its signature
// replaced by another (the first character carries six bits of the
// signature's first byte: never a no-op, unlike the last ones, which may
// already hold what replaces them).
func changedSignature(tok string) string {
	i := strings.LastIndexByte(tok, '.') + 1
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}
