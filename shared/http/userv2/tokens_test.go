package userv2_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/partner-identity/api/shared/domain/tokens"
	"github.com/partner-identity/api/shared/testkit/fixture"
)

func b64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hs256 signs header.payload with HMAC-SHA256 under key, whatever the header says.
func hs256(header, claims map[string]any, key []byte) string {
	signing := b64(header) + "." + b64(claims)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func TestTokenAttacks(t *testing.T) {
	e := fixture.NewEnv(t, fixture.Options{})
	c := e.Client
	alice := createUser(t, c, fixture.KeyAcme, "attack-alice")
	mallory := createUser(t, c, fixture.KeyAcme, "attack-mallory")
	good := mint(t, c, fixture.KeyAcme, alice)
	if r := c.Do(http.MethodGet, infoPath, bearer(good), ""); r.Status != 200 {
		t.Fatalf("a good token is refused: %d %s", r.Status, r.Body)
	}
	keys := fixture.ServiceKeys(t)
	now := time.Now()
	claims := func(mod func(m map[string]any)) map[string]any {
		m := map[string]any{"iss": tokens.Issuer, "aud": []string{tokens.Audience}, "sub": alice, "pid": "p_acme",
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "j1"}
		if mod != nil {
			mod(m)
		}
		return m
	}
	// signed signs with the real current key, so only the claim under test is wrong.
	signed := func(mod func(m map[string]any), kid string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims(claims(mod)))
		tok.Header["kid"] = kid
		s, err := tok.SignedString(must(keys.Signing[0].Private()))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	parts := strings.Split(good, ".")
	tamperedPayload := func() string {
		raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		m["sub"] = mallory
		return parts[0] + "." + b64(m) + "." + parts[2]
	}()
	cases := []struct {
		name  string
		token string
		code  string
	}{
		{"alg none", b64(map[string]any{"alg": "none", "typ": "JWT", "kid": "k2"}) + "." + b64(claims(nil)) + ".", "ER702"},
		{"alg none with a signature", b64(map[string]any{"alg": "none", "kid": "k2"}) + "." + b64(claims(nil)) + "." + parts[2], "ER702"},
		{"HS256 signed with the public key", hs256(map[string]any{"alg": "HS256", "typ": "JWT", "kid": "k2"}, claims(nil), keys.Signing[0].Public), "ER702"},
		{"HS256 signed with a wrong key", hs256(map[string]any{"alg": "HS256", "typ": "JWT", "kid": "k2"}, claims(nil), []byte("a-wrong-secret-key-of-32-bytes!!")), "ER702"},
		{"RS256 header on an HMAC signature", hs256(map[string]any{"alg": "RS256", "typ": "JWT", "kid": "k2"}, claims(nil), keys.Pepper), "ER702"},
		{"expired", signed(func(m map[string]any) {
			m["exp"] = now.Add(-time.Hour).Unix()
			m["iat"] = now.Add(-2 * time.Hour).Unix()
		}, "k2"), "ER701"},
		{"not yet valid", signed(func(m map[string]any) { m["nbf"] = now.Add(time.Hour).Unix() }, "k2"), "ER702"},
		{"issued in the future", signed(func(m map[string]any) { m["iat"] = now.Add(time.Hour).Unix() }, "k2"), "ER702"},
		{"no expiry", signed(func(m map[string]any) { delete(m, "exp") }, "k2"), "ER702"},
		{"wrong issuer", signed(func(m map[string]any) { m["iss"] = "someone-else" }, "k2"), "ER702"},
		{"no issuer", signed(func(m map[string]any) { delete(m, "iss") }, "k2"), "ER702"},
		{"wrong audience", signed(func(m map[string]any) { m["aud"] = []string{"another-api"} }, "k2"), "ER702"},
		{"no partner", signed(func(m map[string]any) { delete(m, "pid") }, "k2"), "ER702"},
		{"unknown partner", signed(func(m map[string]any) { m["pid"] = "p_nobody" }, "k2"), "ER702"},
		{"user of another partner than the claim", signed(func(m map[string]any) { m["pid"] = "p_beta" }, "k2"), "ER702"},
		{"tampered payload", tamperedPayload, "ER702"},
		{"tampered signature", parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2])), "ER702"},
		{"unknown key id", signed(nil, "k9"), "ER702"},
		{"no key id", signed(nil, ""), "ER702"},
		{"two parts", parts[0] + "." + parts[1], "ER702"},
		{"a ten-year token from the real signing key", signed(func(m map[string]any) { m["exp"] = now.AddDate(10, 0, 0).Unix() }, "k2"), "ER702"},
		{"a lifetime a second over the hour", signed(func(m map[string]any) { m["exp"] = now.Add(time.Hour + time.Second).Unix() }, "k2"), "ER702"},
		{"the signature's last character in another encoding of the same bytes", parts[0] + "." + parts[1] + "." + otherEncoding(parts[2]), "ER702"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status := 401
			assertER(t, c.Do(http.MethodGet, infoPath, bearer(tc.token), ""), status, tc.code)
			assertER(t, c.Do(http.MethodPost, linkPath, bearer(tc.token), linkBody(identA)), status, tc.code)
		})
	}
	t.Run("a token for partner A's user sent with partner B's key", func(t *testing.T) {
		h := bearer(good)
		h["partner-api-key"] = fixture.KeyBeta
		assertER(t, c.Do(http.MethodGet, infoPath, h, ""), 401, "ER803")
	})
	t.Run("partner B cannot mint a token for partner A's user", func(t *testing.T) {
		r := c.Do(http.MethodPost, usersPath+"/"+alice+"/token", partnerKey(fixture.KeyBeta), "")
		if r.Status != 401 || !strings.Contains(string(r.Body), "User is not associated with the partner") {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("the previous signing key still verifies during a rotation", func(t *testing.T) {
		tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims(claims(nil)))
		tok.Header["kid"] = "k1"
		s, _ := tok.SignedString(must(keys.Signing[1].Private()))
		if r := c.Do(http.MethodGet, infoPath, bearer(s), ""); r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		tok.Header["kid"] = "k2" // the previous key's signature under the current kid
		s, _ = tok.SignedString(must(keys.Signing[1].Private()))
		assertER(t, c.Do(http.MethodGet, infoPath, bearer(s), ""), 401, "ER702")
	})
}

func TestUserTokenEndpoint(t *testing.T) {
	e := fixture.NewEnv(t, fixture.Options{})
	c := e.Client
	alice := createUser(t, c, fixture.KeyAcme, "tok-alice")
	before := time.Now().Truncate(time.Second)
	r := c.Do(http.MethodPost, usersPath+"/"+alice+"/token", partnerKey(fixture.KeyAcme), "")
	if r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	data := r.JSON()["data"].(map[string]any)
	if data["tokenType"] != "Bearer" {
		t.Fatalf("tokenType %v", data["tokenType"])
	}
	keys := fixture.ServiceKeys(t)
	cl, err := tokens.Verify(keys, data["token"].(string), time.Now(), 0)
	if err != nil {
		t.Fatal(err)
	}
	exp, _ := time.Parse(time.RFC3339, data["expiresAt"].(string))
	if cl.Subject != alice || cl.PartnerID != "p_acme" || cl.Issuer != tokens.Issuer || cl.Audience[0] != tokens.Audience ||
		cl.ID == "" || cl.IssuedAt.Before(before) || !cl.ExpiresAt.Time.Equal(exp) || cl.ExpiresAt.Sub(cl.IssuedAt.Time) != time.Hour {
		t.Fatalf("claims %+v, expiresAt %s", cl, exp)
	}
	parsed, _, _ := jwt.NewParser().ParseUnverified(data["token"].(string), jwt.MapClaims{})
	if parsed.Header["kid"] != "k2" || parsed.Header["alg"] != "EdDSA" {
		t.Fatalf("header %v", parsed.Header)
	}
	second := mint(t, c, fixture.KeyAcme, alice)
	cl2, _ := tokens.Verify(keys, second, time.Now(), 0)
	if cl2.ID == cl.ID {
		t.Fatal("two tokens share an id")
	}
	beta := createUser(t, c, fixture.KeyBeta, "tok-beta")
	mint(t, c, fixture.KeyBeta, beta) // a WIDGET partner mints for its widget
	for _, tc := range []struct {
		name, key, user string
		status          int
		message         string
	}{
		{"another partner's user", fixture.KeyBeta, alice, 401, "User is not associated with the partner"},
		{"unknown user", fixture.KeyAcme, "2f1c6b52-8d8e-4a55-9d53-3c8d2b0f4a11", 404, "Requested User was not found"},
		{"no key", "", alice, 401, "API Key is missing"},
		{"suspended partner", fixture.KeyGamma, alice, 403, "The partner has an invalid flow."},
	} {
		r := c.Do(http.MethodPost, usersPath+"/"+tc.user+"/token", partnerKey(tc.key), "")
		if r.Status != tc.status || !strings.Contains(string(r.Body), tc.message) {
			t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// otherEncoding is seg (base64url without padding, whose last character
// carries unused bits) with one unused bit of its last character flipped:
// the same bytes to a lenient decoder.
func otherEncoding(seg string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, seg[len(seg)-1])
	return seg[:len(seg)-1] + string(alphabet[last^1])
}
