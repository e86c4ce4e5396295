package openapitest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCheckerCatchesDrift(t *testing.T) {
	d, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"r1"}}
	user := `{"userId":"2f1c6b52-8d8e-4a55-9d53-3c8d2b0f4a11","externalUserId":"e","type":"INDIVIDUAL","method":"NONE","identifier":null,"alias":null,"kycStatus":"NOT_STARTED","createdAt":"2026-11-23T10:00:00.000Z","updatedAt":"2026-11-23T10:00:00.000Z","livemode":true}`
	ok := `{"success":true,"data":` + user + `}`
	get := "GET /api/partner/v2/users/2f1c6b52-8d8e-4a55-9d53-3c8d2b0f4a11"
	if err := d.Check(request(get, ""), nil, 200, h, []byte(ok)); err != nil {
		t.Fatalf("valid response refused: %v", err)
	}
	bad := map[string]struct {
		pattern string
		status  int
		header  http.Header
		body    string
	}{
		"undocumented status":              {get, 418, h, ok},
		"undocumented route":               {"GET /nowhere", 200, h, ok},
		"extra property":                   {get, 200, h, strings.Replace(ok, `"alias":null`, `"alias":null,"secret":1`, 1)},
		"missing property":                 {get, 200, h, strings.Replace(ok, `"alias":null,`, ``, 1)},
		"wrong enum":                       {get, 200, h, strings.Replace(ok, `NOT_STARTED`, `DONE`, 1)},
		"wrong type":                       {get, 200, h, strings.Replace(ok, `"success":true`, `"success":"true"`, 1)},
		"a timestamp without milliseconds": {get, 200, h, strings.Replace(ok, `10:00:00.000Z`, `10:00:00Z`, 1)},
		"bad uuid":                         {get, 200, h, strings.Replace(ok, `2f1c6b52`, `zz`, 1)},
		"wrong content type":               {get, 200, http.Header{"Content-Type": {"text/plain"}, "X-Request-Id": {"r"}}, ok},
		"missing request id":               {get, 200, http.Header{"Content-Type": {"application/json"}}, ok},
		"replay header missing":            {"POST /api/partner/v2/users", 200, h, ok},
		"body on a 204":                    {"DELETE /federated-identities/devpartner", 204, h, `{}`},
		"error shape":                      {get, 404, h, `{"success":false,"error":{"code":"NOT_FOUND_ERROR"}}`},
		"error details empty":              {get, 404, h, `{"success":false,"error":{"code":"NOT_FOUND_ERROR","message":"m","details":[]}}`},
	}
	for name, c := range bad {
		err := d.Check(request(c.pattern, ""), nil, c.status, c.header, []byte(c.body))
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		t.Logf("%s: %v", name, err)
	}
	// A request the API accepted must be one the document allows.
	created := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"r1"}}
	for body, want := range map[string]bool{
		`{"externalUserId":"e","type":"INDIVIDUAL"}`: true,
		`{"externalUserId":"e","type":"PERSON"}`:     false,
		`{"externalUserId":"e"}`:                     false,
	} {
		err := d.Check(request("POST /api/partner/v2/users", body), []byte(body), 201, created, []byte(ok))
		if (err == nil) != want {
			t.Errorf("request %s answered 201: %v", body, err)
		}
	}
}

// request is a request for "METHOD /path" with the credentials every
// operation accepts.
func request(line, body string) *http.Request {
	method, path, _ := strings.Cut(line, " ")
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("partner-api-key", "pk_live_devpartnerkey0123456789abcdefghijklmnopqrst_p_dev")
	r.Header.Set("Authorization", "Bearer t")
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	return r
}
