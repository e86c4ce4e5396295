package partnerv2_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/testkit/fixture"
	"github.com/partner-identity/api/shared/webhooks/signature"
)

const endpointsPath = "/api/partner/v2/webhooks/endpoints"

var (
	endpointID   = regexp.MustCompile(`^we_[0-9a-f]{16}$`)
	secretFormat = regexp.MustCompile(`^whsec_[A-Za-z0-9+/]{43}=$`)
)

// endpoints are the partner's endpoints as its listing shows them.
func (w *keysWorld) endpoints(t *testing.T, key string) []map[string]any {
	t.Helper()
	r := w.c.Do(http.MethodGet, endpointsPath, headers(key), "")
	if r.Status != 200 || data(r)["maxEndpoints"] != float64(partners.MaxEndpoints) {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	var out []map[string]any
	for _, e := range data(r)["endpoints"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

// signing is what the webhook functions would sign endpoint id's
// deliveries with now (a keyring of their own, so nothing cached).
func (w *keysWorld) signing(t *testing.T, id string) []string {
	t.Helper()
	keys, err := signature.NewStored(w.store, fixture.Sealer, w.clk.Now).For(context.Background(), "p_acme", id)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fmt.Sprintf("%x", k)
	}
	return out
}

func keyHex(secret string) string { return fmt.Sprintf("%x", signature.MustSecret(secret)) }

// TestPartnersManageTheirWebhookEndpoints: a partner lists its endpoints
// (the operator's first), adds one for chosen event types (its secret
// shown once, sealed in the store, signing at once), reads it, changes
// it, rotates its secret (the old one signing beside the new for 24
// hours, an older one stopping), and removes it (its secrets with it), on
// both stores; each bad input is a 400 naming its field and writes
// nothing; a URL deliveries may not dial is refused when it is set; at
// most 10 endpoints; another partner's endpoint is not found; every change
// is in the partner's audit with the calling key's id.
func TestPartnersManageTheirWebhookEndpoints(t *testing.T) {
	keyStores(t, func(t *testing.T, w *keysWorld) {
		list := w.endpoints(t, fixture.KeyAcme)
		if len(list) != 1 || list[0]["id"] != partners.DefaultEndpointID || list[0]["url"] != "https://hooks.acme.example/identity" ||
			fmt.Sprint(list[0]["enabledEvents"]) != "[*]" || list[0]["createdAt"] != nil || list[0]["disabled"] != false {
			t.Fatalf("the operator's endpoint: %+v", list)
		}

		r := w.c.Do(http.MethodPost, endpointsPath, headers(fixture.KeyAcme),
			`{"url":"https://hooks.acme.example/kyc","enabledEvents":["kyc.status_changed"],"description":"KYC outcomes"}`)
		if r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		made := data(r)
		id, secret := made["id"].(string), made["secret"].(string)
		if !endpointID.MatchString(id) || !secretFormat.MatchString(secret) || fmt.Sprint(made["enabledEvents"]) != "[kyc.status_changed]" ||
			made["description"] != "KYC outcomes" || made["createdAt"] != "2026-12-07T09:00:00.000Z" {
			t.Fatalf("made %+v", made)
		}
		if got := w.signing(t, id); len(got) != 1 || got[0] != keyHex(secret) {
			t.Fatalf("the new endpoint signs with %v", got)
		}
		if got := w.signing(t, partners.DefaultEndpointID); len(got) != 0 {
			t.Fatalf("the operator's endpoint signs with %v: another endpoint's secret", got)
		}
		if list := w.endpoints(t, fixture.KeyAcme); len(list) != 2 || list[1]["id"] != id || list[1]["secret"] != nil {
			t.Fatalf("listed %+v", list)
		}
		got := w.c.Do(http.MethodGet, endpointsPath+"/"+id, headers(fixture.KeyAcme), "")
		if got.Status != 200 || data(got)["url"] != "https://hooks.acme.example/kyc" || data(got)["secret"] != nil {
			t.Fatalf("get: %d %s", got.Status, got.Body)
		}

		// Changed: the members given, the others kept.
		r = w.c.Do(http.MethodPatch, endpointsPath+"/"+id, headers(fixture.KeyAcme), `{"enabledEvents":["*"],"disabled":true}`)
		if r.Status != 200 || fmt.Sprint(data(r)["enabledEvents"]) != "[*]" || data(r)["disabled"] != true || data(r)["description"] != "KYC outcomes" {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}
		r = w.c.Do(http.MethodPatch, endpointsPath+"/"+id, headers(fixture.KeyAcme), `{"description":null,"disabled":false,"enabledEvents":["user.created","kyc.status_changed"]}`)
		if r.Status != 200 || data(r)["description"] != nil || data(r)["disabled"] != false || fmt.Sprint(data(r)["enabledEvents"]) != "[user.created kyc.status_changed]" {
			t.Fatalf("patch back: %d %s", r.Status, r.Body)
		}

		// Rotated: the new secret first, the old one until 24 hours from now.
		w.clk.Add(time.Minute)
		r = w.c.Do(http.MethodPost, endpointsPath+"/"+id+"/rotate-secret", headers(fixture.KeyAcme), "")
		second := data(r)["secret"]
		if r.Status != 201 || !secretFormat.MatchString(fmt.Sprint(second)) || second == secret || data(r)["endpointId"] != id ||
			data(r)["previousSecretExpiresAt"] != w.clk.Now().Add(24*time.Hour).UTC().Format("2006-01-02T15:04:05.000Z") {
			t.Fatalf("rotate: %d %s", r.Status, r.Body)
		}
		if got := w.signing(t, id); len(got) != 2 || got[0] != keyHex(second.(string)) || got[1] != keyHex(secret) {
			t.Fatalf("after the rotation it signs with %d keys", len(got))
		}
		w.clk.Add(24*time.Hour + time.Second)
		if got := w.signing(t, id); len(got) != 1 || got[0] != keyHex(second.(string)) {
			t.Fatalf("a day later it signs with %d keys, want the new one alone", len(got))
		}
		third := data(w.c.Do(http.MethodPost, endpointsPath+"/"+id+"/rotate-secret", headers(fixture.KeyAcme), "{}"))["secret"].(string)
		if got := w.signing(t, id); len(got) != 2 || got[0] != keyHex(third) || got[1] != keyHex(second.(string)) {
			t.Fatalf("a second rotation signs with %d keys", len(got))
		}

		// Refused, each naming its field, nothing written.
		before, auditNow := w.endpoints(t, fixture.KeyAcme), len(w.audit(t, "p_acme"))
		bad := []struct{ method, path, body, field string }{
			{http.MethodPost, endpointsPath, `{}`, "url"},
			{http.MethodPost, endpointsPath, `{"url":"http://hooks.acme.example/x"}`, "url"},
			{http.MethodPost, endpointsPath, `{"url":"https://10.0.0.5/hook"}`, "url"},          // a private address: no delivery may dial it
			{http.MethodPost, endpointsPath, `{"url":"https://169.254.169.254/latest"}`, "url"}, // the instance metadata service
			{http.MethodPost, endpointsPath, `{"url":"https://hooks.acme.example/x#f"}`, "url"}, // a fragment
			{http.MethodPost, endpointsPath, `{"url":"https://hooks.acme.example/x","enabledEvents":[]}`, "enabledEvents"},
			{http.MethodPost, endpointsPath, `{"url":"https://hooks.acme.example/x","enabledEvents":["*","user.created"]}`, "enabledEvents"},
			{http.MethodPost, endpointsPath, `{"url":"https://hooks.acme.example/x","enabledEvents":["user.updated"]}`, "enabledEvents"},
			{http.MethodPost, endpointsPath, `{"url":"https://hooks.acme.example/x","enabledEvents":"*"}`, "enabledEvents"},
			{http.MethodPost, endpointsPath, `{"url":"https://hooks.acme.example/x","description":"` + strings.Repeat("d", 201) + `"}`, "description"},
			{http.MethodPost, endpointsPath, `{"url":"https://hooks.acme.example/x","disabled":"yes"}`, "disabled"},
			{http.MethodPost, endpointsPath, `{"url":"https://hooks.acme.example/x","secret":"whsec_mine"}`, "secret"},
			{http.MethodPost, endpointsPath, `[1]`, "body"},
			{http.MethodPatch, endpointsPath + "/" + id, `{"url":null}`, "url"},
			{http.MethodPatch, endpointsPath + "/" + id, `{"url":"https://[::1]/x"}`, "url"},
			{http.MethodPost, endpointsPath + "/" + id + "/rotate-secret", `{"overlap":"7d"}`, "body"},
		}
		for _, b := range bad {
			r := w.c.Do(b.method, b.path, headers(fixture.KeyAcme), b.body)
			code, _, details := errorOf(t, r)
			if r.Status != 400 || code != "INVALID_USER_INPUT_ERROR" || len(details) == 0 || details[0].(map[string]any)["field"] != b.field {
				t.Errorf("%s %s: %d %s, want 400 naming %s", b.method, b.body, r.Status, r.Body, b.field)
			}
		}
		if after := w.endpoints(t, fixture.KeyAcme); fmt.Sprint(after) != fmt.Sprint(before) || len(w.audit(t, "p_acme")) != auditNow {
			t.Fatalf("a refused change wrote: %+v", after)
		}

		// Not found: an unknown id, a malformed one, another partner's.
		for _, c := range []struct {
			key, id string
		}{{fixture.KeyAcme, "we_ffffffffffffffff"}, {fixture.KeyAcme, "nope"}, {fixture.KeyBeta, id}} {
			for _, call := range [][2]string{{http.MethodGet, ""}, {http.MethodPatch, ""}, {http.MethodDelete, ""}, {http.MethodPost, "/rotate-secret"}} {
				r := w.c.Do(call[0], endpointsPath+"/"+c.id+call[1], headers(c.key), "")
				if code, msg, _ := errorOf(t, r); r.Status != 404 || code != "NOT_FOUND_ERROR" || msg != "Requested Webhook Endpoint was not found" {
					t.Errorf("%s %s with %s: %d %s", call[0], c.id, c.key[:4], r.Status, r.Body)
				}
			}
		}

		// At most 10: eight more, then a refusal that writes nothing.
		for i := range partners.MaxEndpoints - 2 {
			if r := w.c.Do(http.MethodPost, endpointsPath, headers(fixture.KeyAcme), fmt.Sprintf(`{"url":"https://hooks.acme.example/%d"}`, i)); r.Status != 201 {
				t.Fatalf("endpoint %d: %d %s", i+3, r.Status, r.Body)
			}
		}
		full := w.endpoints(t, fixture.KeyAcme)
		r = w.c.Do(http.MethodPost, endpointsPath, headers(fixture.KeyAcme), `{"url":"https://hooks.acme.example/eleventh"}`)
		if code, _, _ := errorOf(t, r); r.Status != 409 || code != "WEBHOOK_ENDPOINT_LIMIT_REACHED" || len(full) != partners.MaxEndpoints ||
			fmt.Sprint(w.endpoints(t, fixture.KeyAcme)) != fmt.Sprint(full) {
			t.Fatalf("the eleventh: %d %s", r.Status, r.Body)
		}

		// Removed, with its secrets.
		r = w.c.Do(http.MethodDelete, endpointsPath+"/"+id, headers(fixture.KeyAcme), "")
		if r.Status != 200 || data(r)["id"] != id {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
		if r := w.c.Do(http.MethodGet, endpointsPath+"/"+id, headers(fixture.KeyAcme), ""); r.Status != 404 {
			t.Fatalf("after its removal: %d", r.Status)
		}
		if got := w.signing(t, id); len(got) != 0 {
			t.Fatalf("a removed endpoint's secrets sign: %d", len(got))
		}
		if len(w.endpoints(t, fixture.KeyAcme)) != partners.MaxEndpoints-1 {
			t.Fatal("not removed from the listing")
		}

		// The audit names the calling key, never a secret.
		actions := map[string]int{}
		for _, e := range w.audit(t, "p_acme") {
			if strings.Contains(e.Detail, "whsec_") {
				t.Fatalf("audit entry %+v", e)
			}
			if strings.HasPrefix(e.Actor, "partner api (key_") {
				actions[e.Action]++
			}
		}
		want := map[string]int{"create webhook endpoint secret": partners.MaxEndpoints - 1, "create webhook endpoint": partners.MaxEndpoints - 1,
			"update webhook endpoint": 2, "rotate webhook secret of " + id: 2, "delete webhook endpoint": 1, "delete webhook endpoint secrets": 1}
		if fmt.Sprint(actions) != fmt.Sprint(want) {
			t.Fatalf("audit actions %v, want %v", actions, want)
		}
	})
}

// TestTheOperatorsEndpointIsThePartnersToo: the partner changes and
// removes the endpoint its operator set (we_default); its secret is the
// one the operator's command rotates.
func TestTheOperatorsEndpointIsThePartnersToo(t *testing.T) {
	keyStores(t, func(t *testing.T, w *keysWorld) {
		admin := partners.NewAdmin(w.store, w.clk.Now, false).WithSealer(fixture.Sealer)
		operators, err := admin.RotateWebhookSecret(context.Background(), "operator", "p_acme", 0)
		if err != nil {
			t.Fatal(err)
		}
		path := endpointsPath + "/" + partners.DefaultEndpointID
		r := w.c.Do(http.MethodPost, path+"/rotate-secret", headers(fixture.KeyAcme), "")
		if r.Status != 201 {
			t.Fatalf("rotate: %d %s", r.Status, r.Body)
		}
		if got := w.signing(t, partners.DefaultEndpointID); len(got) != 2 || got[0] != keyHex(data(r)["secret"].(string)) || got[1] != keyHex(operators) {
			t.Fatalf("the operator's endpoint signs with %d keys", len(got))
		}
		if r := w.c.Do(http.MethodPatch, path, headers(fixture.KeyAcme), `{"url":"https://hooks.acme.example/v2"}`); r.Status != 200 {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}
		d, err := admin.Show(context.Background(), "p_acme")
		if err != nil || d.Partner.Webhook.URL != "https://hooks.acme.example/v2" {
			t.Fatalf("the operator sees %+v %v", d, err)
		}
		if r := w.c.Do(http.MethodDelete, path, headers(fixture.KeyAcme), ""); r.Status != 200 {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
		if list := w.endpoints(t, fixture.KeyAcme); len(list) != 0 {
			t.Fatalf("after its removal: %+v", list)
		}
		// The test event has nowhere to go (once this container's copy of
		// the partner, kept a minute, is read again).
		w.clk.Add(2 * time.Minute)
		if r := w.c.Do(http.MethodPost, "/api/partner/v2/webhooks/test", headers(fixture.KeyAcme), ""); r.Status != 409 {
			t.Fatalf("a test event without endpoints: %d", r.Status)
		}
	})
}
