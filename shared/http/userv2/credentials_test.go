package userv2_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/domain/tokens"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
)

// readmeCredentialRows are the rows of the README's table "Which
// credentials get which answer on User v2": the four headers' cells and
// the answer.
func readmeCredentialRows(t *testing.T) [][5]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testkit.Root(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "### Which credentials get which answer on User v2")
	if !ok {
		t.Fatal("README.md: no credential table")
	}
	var rows [][5]string
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "## ") || strings.HasPrefix(line, "### ") {
			break
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if !strings.HasPrefix(line, "| ") || len(cells) != 5 || strings.Contains(line, "`User-Authorization`") {
			continue
		}
		var row [5]string
		for i, c := range cells {
			row[i] = strings.TrimSpace(c)
		}
		rows = append(rows, row)
	}
	if len(rows) < 20 {
		t.Fatalf("README.md: %d rows in the credential table", len(rows))
	}
	return rows
}

// TestREADMECredentialTable sends each row of the README's table to
// GET /api/v2/user/info and checks the answer it names: user tokens,
// partner keys and partner access tokens, one at a time, two at once,
// each broken the ways a partner breaks them.
func TestREADMECredentialTable(t *testing.T) {
	clk := testkit.NewClock(time.Now().UTC().Truncate(time.Second))
	e := fixture.NewEnv(t, fixture.Options{Now: clk.Now})
	c := e.Client
	alice := createUser(t, c, fixture.KeyAcme, "cred-alice")
	tokAlice := mint(t, c, fixture.KeyAcme, alice)
	if r := c.Do(http.MethodPost, linkPath, bearer(tokAlice), linkBody(identB)); r.Status != 200 {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	grant := func(id, key string) string {
		t.Helper()
		r := c.Do(http.MethodPost, "/oauth2/token", apitest.Headers{"Content-Type": "application/x-www-form-urlencoded",
			"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+key))}, "grant_type=client_credentials")
		if r.Status != 200 {
			t.Fatalf("grant: %d %s", r.Status, r.Body)
		}
		return r.JSON()["access_token"].(string)
	}
	keys := fixture.ServiceKeys(t)
	partnerTok := grant("p_acme", fixture.KeyAcme)
	claims, _ := tokens.VerifyPartner(keys, partnerTok, clk.Now())
	expiredPartner, _ := tokens.MintPartner(keys, "p_acme", claims.KeyID, clk.Now().Add(-2*time.Hour), time.Hour, time.Time{})
	expiredUser, _ := tokens.Mint(keys, alice, "p_acme", clk.Now().Add(-2*time.Hour), time.Hour)
	// A key revoked and a partner suspended, each after its token was
	// issued; they take effect once the partners' cache has passed.
	admin := partners.NewAdmin(e.Mem, clk.Now, false)
	revokedTok := grant("p_acme", fixture.KeyAcmeOld)
	revoked, _ := tokens.VerifyPartner(keys, revokedTok, clk.Now())
	suspendedTok := grant("p_beta", fixture.KeyBeta)
	if _, err := admin.RevokeKey(context.Background(), "test", "p_acme", revoked.KeyID); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Suspend(context.Background(), "test", "p_beta"); err != nil {
		t.Fatal(err)
	}
	clk.Add(partners.CacheTTL + time.Second)

	values := map[string]map[string]string{
		"User-Authorization": {"user token": "Bearer " + tokAlice, "expired user token": "Bearer " + expiredUser.Token,
			"invalid user token": "Bearer x.y.z"},
		"partner-api-key": {"key": fixture.KeyAcme, "unknown key": fixture.KeyUnknown},
		"Authorization": {"partner token": "Bearer " + partnerTok, "`Bearer` alone": "Bearer", "expired partner token": "Bearer " + expiredPartner.Token,
			"invalid partner token": "Bearer x.y.z", "user token": "Bearer " + tokAlice, "`Basic` scheme": "Basic " + partnerTok,
			"revoked key's token": "Bearer " + revokedTok, "suspended partner's token": "Bearer " + suspendedTok},
		"User-Identifier": {"linked": identB, "not linked": identC, "malformed": "short"},
	}
	statuses := map[string]int{"ER700": 401, "ER701": 401, "ER702": 401, "ER704": 401, "ER705": 401, "ER707": 400,
		"ER800": 401, "ER801": 401, "ER802": 401, "ER803": 401, "ER805": 401, "ER806": 401}
	names := []string{"User-Authorization", "partner-api-key", "Authorization", "User-Identifier"}
	for _, row := range readmeCredentialRows(t) {
		t.Run(strings.Join(row[:], " | "), func(t *testing.T) {
			h := apitest.Headers{}
			for i, name := range names {
				if row[i] == "—" {
					continue
				}
				v, ok := values[name][row[i]]
				if !ok {
					t.Fatalf("README: %s %q is not a value the test knows", name, row[i])
				}
				h[name] = v
			}
			r := c.Do(http.MethodGet, infoPath, h, "")
			if row[4] == "200" {
				if r.Status != 200 || r.JSON()["userId"] != alice {
					t.Fatalf("%d %s, want alice", r.Status, r.Body)
				}
				return
			}
			status, ok := statuses[row[4]]
			if !ok {
				t.Fatalf("README: answer %q", row[4])
			}
			assertER(t, r, status, row[4])
		})
	}
}
