package openapitest

import (
	"net/http"
	"strings"
	"testing"
)

func TestCheckerCatchesDrift(t *testing.T) {
	d, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"r1"}}
	user := `{"userId":"2f1c6b52-8d8e-4a55-9d53-3c8d2b0f4a11","externalUserId":"e","type":"INDIVIDUAL","method":"NONE","identifier":null,"alias":null,"kycStatus":"NOT_STARTED","createdAt":"2026-11-23T10:00:00Z","updatedAt":"2026-11-23T10:00:00Z"}`
	ok := `{"success":true,"data":` + user + `}`
	if err := d.Check("GET /api/partner/v2/users/{userId}", 200, h, []byte(ok)); err != nil {
		t.Fatalf("valid response refused: %v", err)
	}
	bad := map[string]struct {
		pattern string
		status  int
		header  http.Header
		body    string
	}{
		"undocumented status":   {"GET /api/partner/v2/users/{userId}", 418, h, ok},
		"undocumented route":    {"GET /nowhere", 200, h, ok},
		"extra property":        {"GET /api/partner/v2/users/{userId}", 200, h, strings.Replace(ok, `"alias":null`, `"alias":null,"secret":1`, 1)},
		"missing property":      {"GET /api/partner/v2/users/{userId}", 200, h, strings.Replace(ok, `"alias":null,`, ``, 1)},
		"wrong enum":            {"GET /api/partner/v2/users/{userId}", 200, h, strings.Replace(ok, `NOT_STARTED`, `DONE`, 1)},
		"wrong type":            {"GET /api/partner/v2/users/{userId}", 200, h, strings.Replace(ok, `"success":true`, `"success":"true"`, 1)},
		"bad uuid":              {"GET /api/partner/v2/users/{userId}", 200, h, strings.Replace(ok, `2f1c6b52`, `zz`, 1)},
		"wrong content type":    {"GET /api/partner/v2/users/{userId}", 200, http.Header{"Content-Type": {"text/plain"}, "X-Request-Id": {"r"}}, ok},
		"missing request id":    {"GET /api/partner/v2/users/{userId}", 200, http.Header{"Content-Type": {"application/json"}}, ok},
		"replay header missing": {"POST /api/partner/v2/users", 200, h, ok},
		"error shape":           {"GET /api/partner/v2/users/{userId}", 404, h, `{"success":false,"error":{"code":"NOT_FOUND_ERROR"}}`},
		"error details empty":   {"GET /api/partner/v2/users/{userId}", 404, h, `{"success":false,"error":{"code":"NOT_FOUND_ERROR","message":"m","details":[]}}`},
	}
	for name, c := range bad {
		if err := d.Check(c.pattern, c.status, c.header, []byte(c.body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
