package userv2_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
)

func TestMain(m *testing.M) { fixture.Main(m) }

const (
	usersPath = "/api/partner/v2/users"
	linkPath  = "/api/v2/user/link-identifier"
	infoPath  = "/api/v2/user/info"
)

// Identifiers of the tests: 36-255 ASCII letters and digits.
var (
	identA = "c6fefe8d7ac0f4113876d634e8d15f65947f1b62d4859fffcd2464d2be58b2d8"
	identB = strings.Repeat("b", 36)
	identC = strings.Repeat("C7", 40)
)

func partnerKey(key string) apitest.Headers { return apitest.Headers{"partner-api-key": key} }

func bearer(token string) apitest.Headers {
	return apitest.Headers{"User-Authorization": "Bearer " + token}
}

func createUser(t testing.TB, c *apitest.Client, key, ext string) string {
	t.Helper()
	r := c.Do(http.MethodPost, usersPath, partnerKey(key), `{"externalUserId":"`+ext+`","type":"INDIVIDUAL","method":"EMAIL","identifier":"`+ext+`@example.com"}`)
	if r.Status != 201 && r.Status != 200 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	return r.JSON()["data"].(map[string]any)["userId"].(string)
}

func mint(t testing.TB, c *apitest.Client, key, userID string) string {
	t.Helper()
	r := c.Do(http.MethodPost, usersPath+"/"+userID+"/token", partnerKey(key), "")
	if r.Status != 201 {
		t.Fatalf("token: %d %s", r.Status, r.Body)
	}
	return r.JSON()["data"].(map[string]any)["token"].(string)
}

func linkBody(id string) string { return `{"identifier":"` + id + `"}` }

// assertER checks status and the exact body of a single-error response.
func assertER(t *testing.T, r *apitest.Response, status int, code string) {
	t.Helper()
	if r.Status != status || string(r.Body) != seedErrors[code] {
		t.Fatalf("got %d %s\nwant %d %s", r.Status, r.Body, status, seedErrors[code])
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q", ct)
	}
}
