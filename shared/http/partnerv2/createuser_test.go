package partnerv2_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/http/apierr"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
)

const usersPath = "/api/partner/v2/users"

// detail is the wire shape of one details entry.
type detail struct {
	Field string `json:"field"`
	Issue string `json:"issue"`
}

func TestCreateUserErrors(t *testing.T) {
	valid := `{"externalUserId":"ext-errors-1","type":"INDIVIDUAL","method":"EMAIL","identifier":"ana@example.com"}`
	cases := []struct {
		name    string
		key     string
		ctype   string
		body    string
		status  int
		code    string
		message string
		details []detail
	}{
		{"key missing", "", "", valid, 401, "UNAUTHORIZED", "API Key is missing", nil},
		{"key too short", "short_key", "", valid, 401, "UNAUTHORIZED", "Invalid API Key format", nil},
		{"key too long", strings.Repeat("k", 129), "", valid, 401, "UNAUTHORIZED", "Invalid API Key format", nil},
		{"key bad characters", "acme_live_key_aaaa!aaaaaaaaaaaaaaa", "", valid, 401, "UNAUTHORIZED", "Invalid API Key format", nil},
		{"key unknown", keyUnknown, "", valid, 401, "UNAUTHORIZED", "Invalid API Key", nil},
		{"partner flow forbids it", keyGamma, "", valid, 403, "INVALID_PARTNER_FLOW", "The partner has an invalid flow.", nil},
		{"wrong content type", keyAcme, "text/plain", valid, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"Content-Type", "must be application/json"}}},
		{"empty body", keyAcme, "", " ", 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"body", "is required"}}},
		{"malformed JSON", keyAcme, "", `{"externalUserId":`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"body", "is not valid JSON"}}},
		{"trailing data", keyAcme, "", valid + `{}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"body", "is not valid JSON"}}},
		{"not an object", keyAcme, "", `[1,2]`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"body", "must be a JSON object"}}},
		{"body too large", keyAcme, "", `{"alias":"` + strings.Repeat("a", 70000) + `"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"body", "must be at most 65536 bytes"}}},
		{"invalid UTF-8", keyAcme, "", "{\"externalUserId\":\"a\xff\",\"type\":\"INDIVIDUAL\"}", 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"body", "must be valid UTF-8"}}},
		{"nesting bomb", keyAcme, "", `{"alias":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"body", "is nested too deeply"}}},
		{"duplicated key", keyAcme, "", `{"externalUserId":"a1","type":"INDIVIDUAL","externalUserId":"a2"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"externalUserId", "is given more than once"}}},
		{"required fields missing", keyAcme, "", `{}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"externalUserId", "is required"}, {"type", "is required"}}},
		{"externalUserId empty", keyAcme, "", `{"externalUserId":"","type":"INDIVIDUAL"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"externalUserId", "is required"}}},
		{"externalUserId too long", keyAcme, "", `{"externalUserId":"` + strings.Repeat("x", 256) + `","type":"INDIVIDUAL"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"externalUserId", "must be at most 255 characters"}}},
		{"externalUserId control character", keyAcme, "", `{"externalUserId":"ab\u0007cd","type":"INDIVIDUAL"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"externalUserId", "must contain printable characters only"}}},
		{"externalUserId not a string", keyAcme, "", `{"externalUserId":42,"type":"INDIVIDUAL"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"externalUserId", "must be a string"}}},
		{"type not in enum", keyAcme, "", `{"externalUserId":"ext-e1","type":"PERSON"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"type", "must be one of INDIVIDUAL, BUSINESS"}}},
		{"method not in enum", keyAcme, "", `{"externalUserId":"ext-e2","type":"INDIVIDUAL","method":"SMS","identifier":"x"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"method", "must be one of EMAIL, PHONE_NUMBER, NONE"}}},
		{"email invalid", keyAcme, "", `{"externalUserId":"ext-e3","type":"INDIVIDUAL","method":"EMAIL","identifier":"ana@@example"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"identifier", "must be a valid email address"}}},
		{"email with display name", keyAcme, "", `{"externalUserId":"ext-e4","type":"INDIVIDUAL","method":"EMAIL","identifier":"Ana <ana@example.com>"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"identifier", "must be a valid email address"}}},
		{"email missing", keyAcme, "", `{"externalUserId":"ext-e5","type":"INDIVIDUAL","method":"EMAIL"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"identifier", "is required when method is EMAIL"}}},
		{"phone not international", keyAcme, "", `{"externalUserId":"ext-e6","type":"INDIVIDUAL","method":"PHONE_NUMBER","identifier":"4401234567"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"identifier", "must be a valid phone number in international format, such as +524401234567"}}},
		{"phone not a valid number", keyAcme, "", `{"externalUserId":"ext-e7","type":"INDIVIDUAL","method":"PHONE_NUMBER","identifier":"+1 555 0100"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"identifier", "must be a valid phone number in international format, such as +524401234567"}}},
		{"identifier given with NONE", keyAcme, "", `{"externalUserId":"ext-e8","type":"INDIVIDUAL","method":"NONE","identifier":"ana@example.com"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"identifier", "must be absent or null when method is NONE"}}},
		{"identifier given without method", keyAcme, "", `{"externalUserId":"ext-e9","type":"INDIVIDUAL","identifier":"ana@example.com"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"identifier", "must be absent or null when method is NONE"}}},
		{"alias too long", keyAcme, "", `{"externalUserId":"ext-e10","type":"INDIVIDUAL","alias":"` + strings.Repeat("é", 101) + `"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"alias", "must be at most 100 characters"}}},
		{"alias not a string", keyAcme, "", `{"externalUserId":"ext-e11","type":"INDIVIDUAL","alias":7}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"alias", "must be a string"}}},
		{"unknown fields", keyAcme, "", `{"externalUserId":"ext-e12","type":"INDIVIDUAL","userId":"u","zeta":1}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"userId", "is not a known field"}, {"zeta", "is not a known field"}}},
		{"lone high surrogate escape", keyAcme, "", `{"externalUserId":"sur-\ud800","type":"INDIVIDUAL"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"body", httpx.IssueBadEscape}}},
		{"lone low surrogate escape", keyAcme, "", `{"externalUserId":"sur-\udc00","type":"INDIVIDUAL"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"body", httpx.IssueBadEscape}}},
		{"high surrogate then a letter", keyAcme, "", `{"externalUserId":"sur","type":"INDIVIDUAL","alias":"\ud83dA"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"body", httpx.IssueBadEscape}}},
		{"unpaired surrogate in a key", keyAcme, "", `{"externalUserId":"sur","type":"INDIVIDUAL","\udfff":1}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"body", httpx.IssueBadEscape}}},
		{"externalUserId blank", keyAcme, "", `{"externalUserId":"   ","type":"INDIVIDUAL"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"externalUserId", "must not be blank"}}},
		{"externalUserId of a no-break space", keyAcme, "", `{"externalUserId":"\u00a0","type":"INDIVIDUAL"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"externalUserId", "must not be blank"}}},
		{"externalUserId leading space", keyAcme, "", `{"externalUserId":" ext-1","type":"INDIVIDUAL"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"externalUserId", "must not begin or end with whitespace"}}},
		{"externalUserId trailing tab", keyAcme, "", `{"externalUserId":"ext-1\t","type":"INDIVIDUAL"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"externalUserId", "must not begin or end with whitespace"}}},
		{"externalUserId of 256 two-byte characters", keyAcme, "", `{"externalUserId":"` + strings.Repeat("é", 256) + `","type":"INDIVIDUAL"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"externalUserId", "must be at most 255 characters"}}},
		{"8,190 distinct unknown keys: 20 details listed, the rest counted", keyAcme, "", manyKeys(8190), 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			append([]detail{{"externalUserId", "is required"}, {"type", "is required"}}, append(unknownKeyDetails(18), detail{"body", "has 8172 more problems, not listed"})...)},
		{"email a@-example.com", keyAcme, "", `{"externalUserId":"ext-email","type":"INDIVIDUAL","method":"EMAIL","identifier":"a@-example.com"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"identifier", "must be a valid email address"}}},
		{"email a@ex_ample.com", keyAcme, "", `{"externalUserId":"ext-email","type":"INDIVIDUAL","method":"EMAIL","identifier":"a@ex_ample.com"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"identifier", "must be a valid email address"}}},
		{"email a@1.2", keyAcme, "", `{"externalUserId":"ext-email","type":"INDIVIDUAL","method":"EMAIL","identifier":"a@1.2"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"identifier", "must be a valid email address"}}},
		{"email a@example.c", keyAcme, "", `{"externalUserId":"ext-email","type":"INDIVIDUAL","method":"EMAIL","identifier":"a@example.c"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"identifier", "must be a valid email address"}}},
		{"email a@example-.com", keyAcme, "", `{"externalUserId":"ext-email","type":"INDIVIDUAL","method":"EMAIL","identifier":"a@example-.com"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"identifier", "must be a valid email address"}}},
		{"email a@[192.0.2.1]", keyAcme, "", `{"externalUserId":"ext-email","type":"INDIVIDUAL","method":"EMAIL","identifier":"a@[192.0.2.1]"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"identifier", "must be a valid email address"}}},
		{"email a@localhost", keyAcme, "", `{"externalUserId":"ext-email","type":"INDIVIDUAL","method":"EMAIL","identifier":"a@localhost"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"identifier", "must be a valid email address"}}},
		{"email a@exämple.com", keyAcme, "", `{"externalUserId":"ext-email","type":"INDIVIDUAL","method":"EMAIL","identifier":"a@exämple.com"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"identifier", "must be a valid email address"}}},
		{"email a@example..com", keyAcme, "", `{"externalUserId":"ext-email","type":"INDIVIDUAL","method":"EMAIL","identifier":"a@example..com"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"identifier", "must be a valid email address"}}},
		{"email a@example.com.", keyAcme, "", `{"externalUserId":"ext-email","type":"INDIVIDUAL","method":"EMAIL","identifier":"a@example.com."}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"identifier", "must be a valid email address"}}},
		{"email a@.example.com", keyAcme, "", `{"externalUserId":"ext-email","type":"INDIVIDUAL","method":"EMAIL","identifier":"a@.example.com"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"identifier", "must be a valid email address"}}},
		{"email a@example.123", keyAcme, "", `{"externalUserId":"ext-email","type":"INDIVIDUAL","method":"EMAIL","identifier":"a@example.123"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"identifier", "must be a valid email address"}}},
		{"email a@xxxxxxxxxx... (70)", keyAcme, "", `{"externalUserId":"ext-email","type":"INDIVIDUAL","method":"EMAIL","identifier":"a@xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.com"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"identifier", "must be a valid email address"}}},
		{"email xxxxxxxxxxxx... (77)", keyAcme, "", `{"externalUserId":"ext-email","type":"INDIVIDUAL","method":"EMAIL","identifier":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx@example.com"}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"identifier", "must be a valid email address"}}},
		{"every bad field at once", keyAcme, "", `{"externalUserId":"","type":"X","method":"EMAIL","identifier":"nope","alias":1,"extra":true}`, 400, "INVALID_USER_INPUT_ERROR", "Invalid User Input",
			[]detail{{"externalUserId", "is required"}, {"type", "must be one of INDIVIDUAL, BUSINESS"}, {"identifier", "must be a valid email address"}, {"alias", "must be a string"}, {"extra", "is not a known field"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := fixture.NewEnv(t, fixture.Options{})
			h := headers(tc.key)
			if tc.ctype != "" {
				h["Content-Type"] = tc.ctype
			}
			r := e.Client.Do(http.MethodPost, usersPath, h, tc.body)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			code, msg, details := errorOf(t, r)
			if code != tc.code || msg != tc.message {
				t.Fatalf("error %s %q, want %s %q", code, msg, tc.code, tc.message)
			}
			assertDetails(t, details, tc.details)
			if u, g := e.Mem.Counts(); u != 0 || g != 0 {
				t.Fatalf("a rejected request wrote %d users, %d guards", u, g)
			}
		})
	}
}

func assertDetails(t *testing.T, got []any, want []detail) {
	t.Helper()
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if len(want) == 0 {
		wantJSON = []byte("null")
	}
	if string(gotJSON) != string(wantJSON) {
		t.Fatalf("details\n got %s\nwant %s", gotJSON, wantJSON)
	}
}

func TestCreateUserConflictChangesNothing(t *testing.T) {
	e := fixture.NewEnv(t, fixture.Options{})
	first := `{"externalUserId":"ext-conflict","type":"INDIVIDUAL","method":"EMAIL","identifier":"ana@example.com"}`
	if r := e.Client.Do(http.MethodPost, usersPath, headers(keyAcme), first); r.Status != 201 {
		t.Fatalf("first create: %d %s", r.Status, r.Body)
	}
	for _, other := range []string{
		`{"externalUserId":"ext-conflict","type":"BUSINESS","method":"EMAIL","identifier":"ana@example.com"}`,
		`{"externalUserId":"ext-conflict","type":"INDIVIDUAL","method":"EMAIL","identifier":"bob@example.com"}`,
		`{"externalUserId":"ext-conflict","type":"INDIVIDUAL","method":"EMAIL","identifier":"ana@example.com","alias":"Ana"}`,
	} {
		r := e.Client.Do(http.MethodPost, usersPath, headers(keyAcme), other)
		if r.Status != 409 {
			t.Fatalf("status %d, want 409: %s", r.Status, r.Body)
		}
		code, msg, details := errorOf(t, r)
		if code != "EXTERNAL_USER_ID_CONFLICT" || msg != apierr.MsgExternalUserIDConflict {
			t.Fatalf("error %s %q", code, msg)
		}
		assertDetails(t, details, []detail{{"externalUserId", "already registered with a different request body"}})
	}
	if u, g := e.Mem.Counts(); u != 1 || g != 1 {
		t.Fatalf("users %d guards %d, want 1 and 1", u, g)
	}
}

func TestCreateUserStoreFaultIs500WithoutInternalText(t *testing.T) {
	fs := &fixture.FailingStore{}
	c := fixture.Client(t, fs, fixture.Options{})
	r := c.Do(http.MethodPost, usersPath, headers(keyAcme), `{"externalUserId":"ext-fault","type":"INDIVIDUAL"}`)
	if r.Status != 500 {
		t.Fatalf("status %d", r.Status)
	}
	code, msg, details := errorOf(t, r)
	if code != "INTERNAL_SERVER_ERROR" || msg != "User creation failed" || details != nil {
		t.Fatalf("got %s %q %v", code, msg, details)
	}
	if strings.Contains(string(r.Body), "dynamodb") || strings.Contains(string(r.Body), "reset") {
		t.Fatalf("internal text leaked: %s", r.Body)
	}
	if fs.Calls != 1 {
		t.Fatalf("store calls = %d, want 1", fs.Calls)
	}
}

func TestCreateUserSuccessAndReplay(t *testing.T) {
	e := fixture.NewEnv(t, fixture.Options{})
	body := `{"externalUserId":"91b95244-72ca-459e-88d2-281c3e2935c1","type":"INDIVIDUAL","method":"PHONE_NUMBER","identifier":"+52 440 123 4567","alias":"Satoshi Nakamoto"}`
	r := e.Client.Do(http.MethodPost, usersPath, headers(keyAcme), body)
	if r.Status != 201 || r.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("first: %d replayed=%q %s", r.Status, r.Header.Get("Idempotent-Replayed"), r.Body)
	}
	data := r.JSON()["data"].(map[string]any)
	if data["identifier"] != "+524401234567" || data["method"] != "PHONE_NUMBER" || data["kycStatus"] != "NOT_STARTED" ||
		data["alias"] != "Satoshi Nakamoto" || data["type"] != "INDIVIDUAL" {
		t.Fatalf("data: %v", data)
	}
	// The same request, formatted differently: a replay, byte for byte.
	same := `{"alias":"Satoshi Nakamoto","identifier":"+524401234567","method":"PHONE_NUMBER","type":"INDIVIDUAL","externalUserId":"91b95244-72ca-459e-88d2-281c3e2935c1"}`
	for i := 0; i < 3; i++ {
		rr := e.Client.Do(http.MethodPost, usersPath, headers(keyAcmeOld), same)
		if rr.Status != 200 || rr.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay: %d %q", rr.Status, rr.Header.Get("Idempotent-Replayed"))
		}
		if string(rr.Body) != string(r.Body) {
			t.Fatalf("replay body differs:\n%s\n%s", rr.Body, r.Body)
		}
	}
	if u, g := e.Mem.Counts(); u != 1 || g != 1 {
		t.Fatalf("users %d guards %d", u, g)
	}
}

func TestCreateUserDefaultsAndNormalisation(t *testing.T) {
	e := fixture.NewEnv(t, fixture.Options{})
	// method omitted is NONE; the same with "NONE" and null identifier is a replay.
	r := e.Client.Do(http.MethodPost, usersPath, headers(keyAcme), `{"externalUserId":"ext-none","type":"BUSINESS"}`)
	if r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	data := r.JSON()["data"].(map[string]any)
	if data["method"] != "NONE" || data["identifier"] != nil || data["alias"] != nil {
		t.Fatalf("data: %v", data)
	}
	rr := e.Client.Do(http.MethodPost, usersPath, headers(keyAcme), `{"externalUserId":"ext-none","type":"BUSINESS","method":"NONE","identifier":null,"alias":null}`)
	if rr.Status != 200 || string(rr.Body) != string(r.Body) {
		t.Fatalf("replay: %d %s", rr.Status, rr.Body)
	}
	// A WIDGET partner may register users; its externalUserIds are its own.
	rb := e.Client.Do(http.MethodPost, usersPath, headers(keyBeta), `{"externalUserId":"ext-none","type":"BUSINESS"}`)
	if rb.Status != 201 {
		t.Fatalf("beta: %d %s", rb.Status, rb.Body)
	}
	if rb.JSON()["data"].(map[string]any)["userId"] == data["userId"] {
		t.Fatal("two partners' users share an id")
	}
}

func TestCreateUserConcurrentInMemory(t *testing.T) {
	mem := memstore.New()
	c := fixture.Client(t, mem, fixture.Options{})
	assertOneUserUnderRace(t, c, 50)
	if u, g := mem.Counts(); u != 1 || g != 1 {
		t.Fatalf("users %d guards %d, want exactly 1 and 1", u, g)
	}
}

// assertOneUserUnderRace sends n identical creates at once: one 201, n-1
// replays, one userId.
func assertOneUserUnderRace(t *testing.T, c *apitest.Client, n int) string {
	t.Helper()
	body := `{"externalUserId":"ext-race","type":"INDIVIDUAL","method":"EMAIL","identifier":"race@example.com"}`
	type result struct {
		status   int
		replayed string
		userID   string
	}
	results := make(chan result, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		go func() {
			<-start
			r := c.Do(http.MethodPost, usersPath, headers(keyAcme), body)
			id, _ := r.JSON()["data"].(map[string]any)["userId"].(string)
			results <- result{r.Status, r.Header.Get("Idempotent-Replayed"), id}
		}()
	}
	close(start)
	created, replayed := 0, 0
	ids := map[string]int{}
	for i := 0; i < n; i++ {
		r := <-results
		ids[r.userID]++
		switch {
		case r.status == 201 && r.replayed == "":
			created++
		case r.status == 200 && r.replayed == "true":
			replayed++
		default:
			t.Errorf("unexpected response %d replayed=%q", r.status, r.replayed)
		}
	}
	if created != 1 || replayed != n-1 || len(ids) != 1 {
		t.Fatalf("created %d, replayed %d, distinct userIds %d; want 1, %d, 1", created, replayed, len(ids), n-1)
	}
	for id := range ids {
		return id
	}
	return ""
}

// manyKeys is a body of n distinct three-letter keys ("aaa":1,...), 64 KiB
// for n = 8190.
func manyKeys(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"` + threeLetters(i) + `":1`)
	}
	b.WriteString("}")
	return b.String()
}

func threeLetters(i int) string {
	return string([]byte{byte('a' + i/676%26), byte('a' + i/26%26), byte('a' + i%26)})
}

// unknownKeyDetails are the details of manyKeys' first n keys.
func unknownKeyDetails(n int) []detail {
	var d []detail
	for i := 0; i < n; i++ {
		d = append(d, detail{threeLetters(i), "is not a known field"})
	}
	return d
}

// TestEmailDomainIsCaseInsensitive: the domain of an email is stored in
// lower case and compared so for idempotency (RFC 5321); the local part is
// the receiving system's and is kept and compared as sent.
func TestEmailDomainIsCaseInsensitive(t *testing.T) {
	e := fixture.NewEnv(t, fixture.Options{})
	body := func(email string) string {
		return `{"externalUserId":"ext-case","type":"INDIVIDUAL","method":"EMAIL","identifier":"` + email + `"}`
	}
	first := e.Client.Do(http.MethodPost, usersPath, headers(keyAcme), body("Ana.Lopez@Example.COM"))
	if first.Status != 201 {
		t.Fatalf("create: %d %s", first.Status, first.Body)
	}
	if got := first.JSON()["data"].(map[string]any)["identifier"]; got != "Ana.Lopez@example.com" {
		t.Fatalf("identifier %v, want the domain in lower case and the local part as sent", got)
	}
	replay := e.Client.Do(http.MethodPost, usersPath, headers(keyAcme), body("Ana.Lopez@EXAMPLE.com"))
	if replay.Status != 200 || replay.Header.Get("Idempotent-Replayed") != "true" || string(replay.Body) != string(first.Body) {
		t.Fatalf("the same address with the domain in another case: %d %s, want the replay", replay.Status, replay.Body)
	}
	other := e.Client.Do(http.MethodPost, usersPath, headers(keyAcme), body("ana.lopez@example.com"))
	if other.Status != 409 {
		t.Fatalf("another local part: %d %s, want 409", other.Status, other.Body)
	}
	if u, _ := e.Mem.Counts(); u != 1 {
		t.Fatalf("%d users, want 1", u)
	}
}

// TestCreatedUserIsNotHTMLEscaped: the stored response, replayed byte for
// byte, keeps "&", "<" and ">" as sent.
func TestCreatedUserIsNotHTMLEscaped(t *testing.T) {
	e := fixture.NewEnv(t, fixture.Options{})
	body := `{"externalUserId":"ext-amp","type":"BUSINESS","alias":"Tom & Jerry <Ltd>"}`
	for _, want := range []int{201, 200} {
		r := e.Client.Do(http.MethodPost, usersPath, headers(keyAcme), body)
		if r.Status != want || !strings.Contains(string(r.Body), `"alias":"Tom & Jerry <Ltd>"`) {
			t.Fatalf("%d %s, want %d with the alias as sent", r.Status, r.Body, want)
		}
	}
}

// TestPartnerApiKeyAlias: seed 003 names the header PartnerApiKey; it is
// accepted as partner-api-key is, and both with different values is
// "Invalid API Key".
func TestPartnerApiKeyAlias(t *testing.T) {
	e := fixture.NewEnv(t, fixture.Options{})
	body := `{"externalUserId":"ext-alias","type":"INDIVIDUAL"}`
	cases := []struct {
		name    string
		h       apitest.Headers
		status  int
		message string
	}{
		{"the alias alone", apitest.Headers{"PartnerApiKey": keyAcme}, 201, ""},
		{"both, the same key", apitest.Headers{"PartnerApiKey": keyAcme, "partner-api-key": keyAcme}, 200, ""},
		{"both, different keys", apitest.Headers{"PartnerApiKey": keyBeta, "partner-api-key": keyAcme}, 401, "Invalid API Key"},
		{"both, one of them malformed", apitest.Headers{"PartnerApiKey": "bad key!", "partner-api-key": keyAcme}, 401, "Invalid API Key"},
		{"the alias malformed", apitest.Headers{"PartnerApiKey": "short"}, 401, "Invalid API Key format"},
		{"the alias unknown", apitest.Headers{"PartnerApiKey": keyUnknown}, 401, "Invalid API Key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Client.Do(http.MethodPost, usersPath, tc.h, body)
			if r.Status != tc.status {
				t.Fatalf("%d %s, want %d", r.Status, r.Body, tc.status)
			}
			if tc.message != "" {
				if _, msg, _ := errorOf(t, r); msg != tc.message {
					t.Fatalf("message %q, want %q", msg, tc.message)
				}
			}
		})
	}
	if u, _ := e.Mem.Counts(); u != 1 {
		t.Fatalf("%d users, want 1", u)
	}
}
