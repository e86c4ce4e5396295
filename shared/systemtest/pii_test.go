package systemtest_test

import (
	"context"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/partner-identity/api/shared/jobs/cleanup"
	"github.com/partner-identity/api/shared/jobs/dispatch"
	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
	"github.com/partner-identity/api/shared/testkit/moto"
)

// TestPersonalDataMarkers runs every route, the dispatcher and the cleanup
// with marker values, in a container built as in Lambda (DynamoDB on moto),
// then searches all log output and the whole table:
//   - logs: no marker at all (email, phone, externalUserId, identifier,
//     alias, user token, API key), nor any email address or phone number;
//   - at rest: the API key and the token nowhere; the linked identifier
//     only in its own outbox event (the partner's webhook carries it; the
//     event expires with the table's TTL), elsewhere only its HMAC; the
//     email, phone, externalUserId and alias only in the user, its guard
//     (the stored first response, for replays) and the user.created event.
func TestPersonalDataMarkers(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer hook.Close()
	w := newWorld(t, strings.Replace(fixture.RegistryJSON, "https://hooks.acme.example/identity", hook.URL, 1))
	c := w.container(t, nil)

	prev := slog.Default()
	logs := apitest.CaptureLogs()
	defer slog.SetDefault(prev)

	const (
		email      = "marker.person@pii-example.org"
		phone      = "+52 440 123 4567"
		phoneE164  = "+524401234567"
		ext        = "ext-marker-7f3a9c"
		alias      = "Alias Marker Zq"
		identifier = "identmarker9f8e7d6c5b4a39281706f5e4d3c2b1a0"
	)
	key := apitest.Headers{"partner-api-key": fixture.KeyAcme}
	r := c.api.Do(http.MethodPost, usersPath, key, `{"externalUserId":"`+ext+`","type":"INDIVIDUAL","method":"PHONE_NUMBER","identifier":"`+phone+`","alias":"`+alias+`"}`)
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	userID := r.JSON()["data"].(map[string]any)["userId"].(string)
	r = c.api.Do(http.MethodPost, usersPath, key, `{"externalUserId":"`+ext+`-2","type":"INDIVIDUAL","method":"EMAIL","identifier":"`+email+`"}`)
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	tok := c.api.Do(http.MethodPost, usersPath+"/"+userID+"/token", key, "").JSON()["data"].(map[string]any)["token"].(string)
	user := apitest.Headers{"User-Authorization": "Bearer " + tok}
	fed := apitest.Headers{"Authorization": "Bearer " + tok}
	for _, step := range []struct {
		method, path string
		h            apitest.Headers
		body         string
	}{
		{http.MethodGet, usersPath + "/" + userID, key, ""},
		{http.MethodGet, usersPath + "?externalUserId=" + ext, key, ""},
		{http.MethodPost, usersPath + "/" + userID + "/kyc/verification-link", key, `{"country":"MX","partnerRedirectUri":"https://acme.example/done"}`},
		{http.MethodPost, "/api/v2/user/link-identifier", user, `{"identifier":"` + identifier + `"}`},
		{http.MethodGet, "/api/v2/user/info", user, ""},
		{http.MethodGet, "/api/v2/user/info", apitest.Headers{"partner-api-key": fixture.KeyAcme, "User-Identifier": identifier}, ""},
		{http.MethodPut, "/federated-identities/acme", fed, ""},
		{http.MethodGet, "/federated-identities", fed, ""},
		{http.MethodDelete, "/federated-identities/acme", fed, ""},
		// refusals log too
		{http.MethodGet, usersPath + "?externalUserId=" + ext + "-unknown", key, ""},
		{http.MethodPost, "/api/v2/user/link-identifier", user, `{"identifier":"` + identifier + `!"}`},
		{http.MethodGet, usersPath + "/" + userID, apitest.Headers{"partner-api-key": fixture.KeyUnknown}, ""},
		{http.MethodPost, usersPath, key, `{"externalUserId":"` + ext + `","type":"BUSINESS","identifier":"` + email + `"}`},
	} {
		if r := c.api.Do(step.method, step.path, step.h, step.body); r.Status >= 500 {
			t.Fatalf("%s %s: %d", step.method, step.path, r.Status)
		}
	}
	evs, err := moto.OutboxEvents(context.Background(), w.db, w.table)
	if err != nil {
		t.Fatal(err)
	}
	d := dispatch.New(c.deps)
	for _, ev := range evs {
		if _, err := d.Deliver(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cleanup.New(c.deps).Run(context.Background()); err != nil {
		t.Fatal(err)
	}

	// Logs.
	text := logs.String()
	if strings.Count(text, "\n") < 20 {
		t.Fatalf("only %d log lines captured", strings.Count(text, "\n"))
	}
	markers := []string{email, phone, phoneE164, ext, alias, identifier, tok, fixture.KeyAcme, fixture.KeyUnknown}
	for _, m := range markers {
		if strings.Contains(text, m) {
			t.Errorf("log carries %q", m)
		}
	}
	if _, _, found := logs.Scan(); len(found) > 0 {
		t.Errorf("log carries %v", found)
	}

	// At rest.
	snap := moto.Snapshot(t, w.db, w.table)
	where := func(m string) (kinds []string) {
		for k, item := range snap {
			if strings.Contains(item, m) || strings.Contains(item, hex.EncodeToString([]byte(m))) {
				kinds = append(kinds, strings.SplitN(strings.Trim(k, `"`), "#", 2)[0]+" "+itemType(item))
			}
		}
		return kinds
	}
	if len(where(ext)) == 0 || len(where(phoneE164)) == 0 {
		t.Fatal("the search finds not even the stored user: it is blind")
	}
	for _, m := range []string{tok, fixture.KeyAcme, fixture.KeyUnknown} {
		if ks := where(m); len(ks) > 0 {
			t.Errorf("a credential is stored: in %v", ks)
		}
	}
	for _, k := range where(identifier) {
		if !strings.HasPrefix(k, "OUTBOX ") {
			t.Errorf("the raw identifier is stored in %s", k)
		}
	}
	if len(where(identifier)) != 1 {
		t.Errorf("the raw identifier is in %v, want its one outbox event", where(identifier))
	}
	for _, m := range []string{phoneE164, email, ext, alias} {
		for _, k := range where(m) {
			if !strings.HasPrefix(k, "USER ") && !strings.HasPrefix(k, "PARTNER ") && !strings.HasPrefix(k, "OUTBOX ") {
				t.Errorf("%q is stored in %s", m, k)
			}
		}
	}
	for k, item := range snap {
		if strings.HasPrefix(strings.Trim(k, `"`), "OUTBOX#") && !strings.Contains(item, "ttl:") {
			t.Errorf("outbox event %s without a TTL", k)
		}
	}
}

func itemType(item string) string {
	i := strings.Index(item, `type:"`)
	if i < 0 {
		return "?"
	}
	rest := item[i+6:]
	return rest[:strings.IndexByte(rest, '"')]
}
