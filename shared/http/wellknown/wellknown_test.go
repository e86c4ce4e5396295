package wellknown_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/domain/servicekeys"
	"github.com/partner-identity/api/shared/domain/tokens"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
)

func TestMain(m *testing.M) { fixture.Main(m) }

const jwksPath = "/.well-known/jwks.json"

// previousSigning signs with the fixture's previous key, k1, alone: a token
// minted before a rotation.
const previousSigning = `{"tokenSigningKeys":[{"kid":"k1","ed25519Seed":"dGVzdC1zaWduaW5nLWtleS1wcmV2aW91cy0wMDAwMDA="}]}`

type jwk struct {
	Kty, Crv, X, Kid, Use, Alg, D string
}

// TestJWKSPublishesEveryVerifyingKey: the set lists each verifying key
// (the current one and the one still verifying after a rotation), public
// halves only, as RFC 7517/8037 write Ed25519 keys; cacheable; without a
// credential.
func TestJWKSPublishesEveryVerifyingKey(t *testing.T) {
	e := fixture.NewEnv(t, fixture.Options{})
	r := e.Client.Do(http.MethodGet, jwksPath, apitest.Headers{}, "")
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/jwk-set+json" || r.Header.Get("Cache-Control") != "public, max-age=300" ||
		r.Header.Get("X-Request-Id") == "" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
	}
	var set struct{ Keys []map[string]any }
	if err := json.Unmarshal(r.Body, &set); err != nil {
		t.Fatal(err)
	}
	want := fixture.ServiceKeys(t)
	if len(set.Keys) != len(want.Signing) || len(set.Keys) != 2 {
		t.Fatalf("%d keys, want the %d verifying keys", len(set.Keys), len(want.Signing))
	}
	for i, k := range want.Signing {
		got := set.Keys[i]
		x, err := base64.RawURLEncoding.Strict().DecodeString(got["x"].(string))
		if err != nil || !ed25519.PublicKey(x).Equal(k.Public) || got["kid"] != k.ID || got["kty"] != "OKP" || got["crv"] != "Ed25519" ||
			got["use"] != "sig" || got["alg"] != "EdDSA" || len(got) != 6 {
			t.Fatalf("key %d: %v, want %s's public key", i, got, k.ID)
		}
	}
	if strings.Contains(string(r.Body), `"d"`) {
		t.Fatal("private material published")
	}
}

// TestJWKSFault: the keys cannot be read: a 500 that may not be cached,
// without internal text.
func TestJWKSFault(t *testing.T) {
	c := fixture.Client(t, fixture.NewEnv(t, fixture.Options{}).Mem, fixture.Options{Keys: func(context.Context) (*servicekeys.Keys, error) {
		return nil, errors.New("secretsmanager: throttled reading arn:aws:secretsmanager:secret")
	}})
	r := c.Do(http.MethodGet, jwksPath, apitest.Headers{}, "")
	if r.Status != 500 || r.Header.Get("Cache-Control") != "no-store" || strings.Contains(string(r.Body), "secretsmanager") ||
		r.JSON()["error"].(map[string]any)["code"] != "INTERNAL_SERVER_ERROR" {
		t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
	}
}

// TestAJOSELibraryVerifiesFromTheSetAlone: Node.js's jose
// (docs/examples/tokens/verify.mjs, as a partner would run it) verifies a
// user token and a partner access token minted by the API (each only for
// its own audience), and one signed by the previous key, from
// the served set alone; it refuses a token with a changed payload, a
// token of a key not in the set and an expired token.
func TestAJOSELibraryVerifiesFromTheSetAlone(t *testing.T) {
	dir := filepath.Join(testkit.Root(), "docs", "examples", "tokens")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "jose")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the Node.js example's library is not installed (make test installs it: npm ci --prefix docs/examples/tokens): %v", err)
		}
		t.Skipf("jose is not installed (make test installs it: npm ci --prefix docs/examples/tokens)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is required under CI=true")
		}
		t.Skip("node is not installed")
	}
	e := fixture.NewEnv(t, fixture.Options{})
	set := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(set, e.Client.Do(http.MethodGet, jwksPath, apitest.Headers{}, "").Body, 0o600); err != nil {
		t.Fatal(err)
	}
	verify := func(token, kind string) string {
		t.Helper()
		out, _ := exec.Command("node", filepath.Join(dir, "verify.mjs"), set, token, kind).Output()
		return strings.TrimSpace(string(out))
	}

	// A user token, as a partner mints it.
	r := e.Client.Do(http.MethodPost, "/api/partner/v2/users", apitest.Headers{"partner-api-key": fixture.KeyAcme}, `{"externalUserId":"jwks-user","type":"INDIVIDUAL"}`)
	user := r.JSON()["data"].(map[string]any)["userId"].(string)
	r = e.Client.Do(http.MethodPost, "/api/partner/v2/users/"+user+"/token", apitest.Headers{"partner-api-key": fixture.KeyAcme}, "")
	token := r.JSON()["data"].(map[string]any)["token"].(string)
	var claims map[string]any
	if out := verify(token, "user"); json.Unmarshal([]byte(out), &claims) != nil || claims["sub"] != user || claims["pid"] != "p_acme" {
		t.Fatalf("a user token: %q", out)
	}
	if out := verify(token, "partner"); !strings.HasPrefix(out, "invalid: ERR_JWT_CLAIM_VALIDATION_FAILED") {
		t.Fatalf("a user token taken for a partner token: %q", out)
	}

	// A partner access token, as POST /oauth2/token grants it.
	r = e.Client.Do(http.MethodPost, "/oauth2/token", apitest.Headers{"Content-Type": "application/x-www-form-urlencoded"},
		"grant_type=client_credentials&client_id=p_acme&client_secret="+fixture.KeyAcme)
	partnerToken, _ := r.JSON()["access_token"].(string)
	claims = nil
	if out := verify(partnerToken, "partner"); json.Unmarshal([]byte(out), &claims) != nil || claims["sub"] != "p_acme" || claims["akid"] == nil {
		t.Fatalf("a partner token: %q", out)
	}
	if out := verify(partnerToken, "user"); !strings.HasPrefix(out, "invalid: ERR_JWT_CLAIM_VALIDATION_FAILED") {
		t.Fatalf("a partner token taken for a user token: %q", out)
	}

	// Signed by the previous key, still listed during the rotation.
	prev, err := servicekeys.Parse([]byte(previousSigning))
	if err != nil {
		t.Fatal(err)
	}
	old, err := tokens.Mint(prev, user, "p_acme", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if out := verify(old.Token, "user"); !strings.Contains(out, `"sub":"`+user+`"`) {
		t.Fatalf("a token of the previous key: %q", out)
	}

	// Refused: a changed payload, an unlisted key, an expired token.
	parts := strings.Split(token, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), user, "00000000-0000-4000-8000-000000000000", 1))) + "." + parts[2]
	stranger, _ := servicekeys.Parse([]byte(`{"tokenSigningKeys":[{"kid":"k9","ed25519Seed":"c3RyYW5nZXItc2lnbmluZy1rZXktMDAwMDAwMDAwMDA="}]}`))
	unlisted, _ := tokens.Mint(stranger, user, "p_acme", time.Now(), time.Hour)
	expired, _ := tokens.Mint(fixture.ServiceKeys(t), user, "p_acme", time.Now().Add(-2*time.Hour), time.Hour)
	for name, c := range map[string]struct{ token, want string }{
		"changed payload": {forged, "invalid: ERR_JWS_SIGNATURE_VERIFICATION_FAILED"},
		"unlisted key":    {unlisted.Token, "invalid: ERR_JWKS_NO_MATCHING_KEY"},
		"expired":         {expired.Token, "invalid: ERR_JWT_EXPIRED"},
	} {
		if out := verify(c.token, "user"); out != c.want {
			t.Errorf("%s: %q, want %q", name, out, c.want)
		}
	}
}
