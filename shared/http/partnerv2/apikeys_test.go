package partnerv2_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
	"github.com/partner-identity/api/shared/testkit/moto"
)

const keysPath = "/api/partner/v2/api-keys"

// keysWorld is the API over one store with a clock, and the store's
// partners as the operator sees them.
type keysWorld struct {
	c     *apitest.Client
	clk   *testkit.Clock
	store domain.Store
}

// keyStores runs f on the memory store and on DynamoDB (moto).
func keyStores(t *testing.T, f func(t *testing.T, w *keysWorld)) {
	run := func(t *testing.T, s domain.Store) {
		clk := testkit.NewClock(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
		f(t, &keysWorld{c: fixture.Client(t, s, fixture.Options{Now: clk.Now}), clk: clk, store: s})
	}
	t.Run("memory", func(t *testing.T) { run(t, memstore.New()) })
	t.Run("dynamodb", func(t *testing.T) {
		db, table := moto.Require(t).NewTable(t, nil, nil)
		run(t, dynamostore.New(db, table))
	})
}

func (w *keysWorld) keys(t *testing.T, key string) []map[string]any {
	t.Helper()
	r := w.c.Do(http.MethodGet, keysPath, headers(key), "")
	if r.Status != 200 {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	var out []map[string]any
	for _, k := range r.JSON()["data"].(map[string]any)["keys"].([]any) {
		out = append(out, k.(map[string]any))
	}
	return out
}

// status is the answer's status to a call with key that needs no more.
func (w *keysWorld) status(key string) int {
	return w.c.Do(http.MethodGet, keysPath, headers(key), "").Status
}

func (w *keysWorld) audit(t *testing.T, id string) []domain.AuditEntry {
	t.Helper()
	a, err := w.store.ListAudit(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func data(r *apitest.Response) map[string]any { return r.JSON()["data"].(map[string]any) }

// TestPartnersManageTheirOwnKeys: a partner lists its live keys (never the
// keys themselves; the one it calls with marked), makes a new one (shown
// once, working at once), rolls one (the old one working until its expiry:
// 24 hours by default, any time up to 7 days, or now), and revokes one
// (refused at once), on both stores; at most 5 live keys, never its last
// one revoked; each refusal writes nothing; every change is in the
// partner's audit with the calling key's id; another partner's key ids are
// not found; a suspended partner is refused.
func TestPartnersManageTheirOwnKeys(t *testing.T) {
	keyStores(t, func(t *testing.T, w *keysWorld) {
		// acme holds two imported keys (digests: no hint).
		ks := w.keys(t, keyAcme)
		if len(ks) != 2 || ks[0]["current"] != true || ks[1]["current"] != false || ks[0]["hint"] != nil || ks[0]["expiresAt"] != nil {
			t.Fatalf("acme's keys: %v", ks)
		}
		importedOld := ks[1]["id"].(string)

		// A new key: shown once, working at once, listed by its hint.
		r := w.c.Do(http.MethodPost, keysPath, headers(keyAcme), "")
		if r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		made := data(r)
		k1 := made["key"].(string)
		if partners.KeyClaim(k1) != "p_acme" || made["hint"] != k1[len("pk_live_")+39:len("pk_live_")+43] {
			t.Fatalf("new key %v", made)
		}
		ks = w.keys(t, k1)
		if len(ks) != 3 || ks[2]["id"] != made["id"] || ks[2]["hint"] != made["hint"] || ks[2]["current"] != true || ks[0]["current"] != false {
			t.Fatalf("after create, with the new key: %v", ks)
		}
		if list := w.c.Do(http.MethodGet, keysPath, headers(k1), ""); strings.Contains(string(list.Body), k1[4:47]) {
			t.Fatal("a listing shows a key")
		}

		// Bad input, each writing nothing.
		auditLen := len(w.audit(t, "p_acme"))
		for _, c := range []struct {
			method, path, body, field string
			status                    int
		}{
			{http.MethodPost, keysPath, `{"name":"x"}`, "name", 400},
			{http.MethodPost, keysPath, `{"mode":"both"}`, "mode", 400},
			{http.MethodPost, keysPath, `[]`, "body", 400},
			{http.MethodPost, keysPath + "/" + made["id"].(string) + "/roll", `{"expiresAt":"2026-12-20T00:00:00Z"}`, "expiresAt", 400},
			{http.MethodPost, keysPath + "/" + made["id"].(string) + "/roll", `{"expiresAt":"2026-12-06T00:00:00Z"}`, "expiresAt", 400},
			{http.MethodPost, keysPath + "/" + made["id"].(string) + "/roll", `{"expiresAt":"tomorrow"}`, "expiresAt", 400},
			{http.MethodPost, keysPath + "/" + made["id"].(string) + "/roll", `{"expiresAt":"now","why":"x"}`, "why", 400},
			{http.MethodPost, keysPath + "/key_000000000000/roll", ``, "", 404},
			{http.MethodDelete, keysPath + "/key_000000000000", ``, "", 404},
		} {
			r := w.c.Do(c.method, c.path, headers(keyAcme), c.body)
			code, _, details := errorOf(t, r)
			if r.Status != c.status || c.field != "" && (len(details) == 0 || details[0].(map[string]any)["field"] != c.field) || c.status == 404 && code != "NOT_FOUND_ERROR" {
				t.Fatalf("%s %s %s: %d %s", c.method, c.path, c.body, r.Status, r.Body)
			}
		}
		if n := len(w.audit(t, "p_acme")); n != auditLen {
			t.Fatalf("refusals wrote %d audit entries", n-auditLen)
		}

		// Another partner cannot name acme's keys; acme's stay as they are.
		for _, c := range [][2]string{{http.MethodPost, "/roll"}, {http.MethodDelete, ""}} {
			if r := w.c.Do(c[0], keysPath+"/"+made["id"].(string)+c[1], headers(keyBeta), ""); r.Status != 404 {
				t.Fatalf("beta %s acme's key: %d %s", c[0], r.Status, r.Body)
			}
		}
		if w.status(k1) != 200 || len(w.keys(t, keyAcme)) != 3 {
			t.Fatal("beta changed acme's keys")
		}
		// A suspended partner manages nothing.
		if r := w.c.Do(http.MethodPost, keysPath, headers(keyGamma), ""); r.Status != 403 {
			t.Fatalf("suspended: %d %s", r.Status, r.Body)
		}

		// Roll k1 by default: a new key; k1 works for 24 hours, then not.
		r = w.c.Do(http.MethodPost, keysPath+"/"+made["id"].(string)+"/roll", headers(k1), "")
		if r.Status != 201 {
			t.Fatalf("roll: %d %s", r.Status, r.Body)
		}
		rolled := data(r)
		k2 := rolled["key"].(string)
		want := w.clk.Now().Add(24 * time.Hour).UTC().Format("2006-01-02T15:04:05.000Z")
		if rk := rolled["rolledKey"].(map[string]any); rk["id"] != made["id"] || rk["expiresAt"] != want {
			t.Fatalf("rolled: %v, want expiry %s", rk, want)
		}
		if w.status(k1) != 200 || w.status(k2) != 200 {
			t.Fatal("both keys work during the overlap")
		}
		w.clk.Add(24*time.Hour + time.Second)
		if w.status(k1) != 401 || w.status(k2) != 200 {
			t.Fatalf("after the overlap: k1 %d, k2 %d", w.status(k1), w.status(k2))
		}

		// At most 5 live keys: acme holds 3 (two imported, k2); two more,
		// then 409 and nothing written.
		var extra []string
		for range 2 {
			r := w.c.Do(http.MethodPost, keysPath, headers(k2), "{}")
			if r.Status != 201 {
				t.Fatalf("create: %d %s", r.Status, r.Body)
			}
			extra = append(extra, data(r)["key"].(string))
		}
		auditLen = len(w.audit(t, "p_acme"))
		if r := w.c.Do(http.MethodPost, keysPath, headers(k2), ""); r.Status != 409 || !strings.Contains(string(r.Body), "API_KEY_LIMIT_REACHED") {
			t.Fatalf("sixth key: %d %s", r.Status, r.Body)
		}
		// Rolling with a future expiry would make six: refused; with "now" it makes five.
		if r := w.c.Do(http.MethodPost, keysPath+"/"+importedOld+"/roll", headers(k2), `{"expiresAt":"2026-12-09T00:00:00Z"}`); r.Status != 409 {
			t.Fatalf("roll at the limit: %d %s", r.Status, r.Body)
		}
		if n := len(w.audit(t, "p_acme")); n != auditLen || len(w.keys(t, k2)) != 5 {
			t.Fatalf("refusals at the limit wrote %d entries", n-auditLen)
		}
		// Roll the key this request is made with, now: it stops at once
		// (this container forgets it), its successor works.
		r = w.c.Do(http.MethodPost, keysPath+"/"+w.idOf(t, k2, extra[0])+"/roll", headers(extra[0]), `{"expiresAt":"now"}`)
		if r.Status != 201 {
			t.Fatalf("roll now: %d %s", r.Status, r.Body)
		}
		k3 := data(r)["key"].(string)
		if w.status(extra[0]) != 401 || w.status(k3) != 200 {
			t.Fatalf("after roll now: old %d, new %d", w.status(extra[0]), w.status(k3))
		}

		// Revoke: at once; never the last.
		if r := w.c.Do(http.MethodDelete, keysPath+"/"+w.idOf(t, k3, extra[1]), headers(k3), ""); r.Status != 200 || data(r)["revokedAt"] == nil {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
		if w.status(extra[1]) != 401 {
			t.Fatal("a revoked key still works")
		}
		for _, k := range w.keys(t, k3) {
			if k["current"] == true {
				continue
			}
			if r := w.c.Do(http.MethodDelete, keysPath+"/"+k["id"].(string), headers(k3), ""); r.Status != 200 {
				t.Fatalf("revoke %v: %d %s", k["id"], r.Status, r.Body)
			}
		}
		ks = w.keys(t, k3)
		if len(ks) != 1 {
			t.Fatalf("left: %v", ks)
		}
		auditLen = len(w.audit(t, "p_acme"))
		if r := w.c.Do(http.MethodDelete, keysPath+"/"+ks[0]["id"].(string), headers(k3), ""); r.Status != 409 || !strings.Contains(string(r.Body), "LAST_API_KEY") {
			t.Fatalf("last key: %d %s", r.Status, r.Body)
		}
		if w.status(k3) != 200 || len(w.audit(t, "p_acme")) != auditLen {
			t.Fatal("the last key was touched")
		}
		// The audit names each change's key, never a key.
		actions := map[string]int{}
		for _, e := range w.audit(t, "p_acme") {
			actions[e.Action]++
			if e.Actor == "test" { // the fixture's import
				continue
			}
			if !strings.HasPrefix(e.Actor, "partner api (key_") || strings.Contains(e.Detail, "pk_") {
				t.Fatalf("audit entry %+v", e)
			}
		}
		if actions["create key"] != 3 || actions["roll key"] != 2 || actions["revoke key"] != 4 {
			t.Fatalf("audit actions %v", actions)
		}
	})
}

// idOf is the id of key k as the partner's listing (read with key with)
// shows it: the one marked current when listed with k itself.
func (w *keysWorld) idOf(t *testing.T, with, k string) string {
	t.Helper()
	for _, e := range w.keys(t, k) {
		if e["current"] == true {
			return e["id"].(string)
		}
	}
	t.Fatal("no current key")
	return ""
}
