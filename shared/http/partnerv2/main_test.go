package partnerv2_test

import (
	"testing"

	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
)

const (
	keyAcme    = fixture.KeyAcme
	keyAcmeOld = fixture.KeyAcmeOld
	keyBeta    = fixture.KeyBeta
	keyGamma   = fixture.KeyGamma
	keyUnknown = fixture.KeyUnknown
)

// TestMain captures every log line the suite's requests produce and fails
// the run if any email, phone number, externalUserId, identifier or API key
// sent by any test appears in them.
func TestMain(m *testing.M) { fixture.Main(m) }

func headers(key string) apitest.Headers { return apitest.Headers{"partner-api-key": key} }

// errorOf reads the Partner v2 error shape.
func errorOf(t testing.TB, r *apitest.Response) (code, message string, details []any) {
	t.Helper()
	body := r.JSON()
	if body["success"] != false {
		t.Fatalf("success = %v in %s", body["success"], r.Body)
	}
	e, _ := body["error"].(map[string]any)
	code, _ = e["code"].(string)
	message, _ = e["message"].(string)
	details, _ = e["details"].([]any)
	return
}
