package partnerapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/partners"
	"github.com/partner-identity/api/shared/routes"
	"github.com/partner-identity/api/shared/store"
	"github.com/partner-identity/api/shared/store/memstore"
	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/moto"
)

// Test partners: acme (flow API, two keys during a rotation), beta (flow
// WIDGET) and gamma (suspended: a flow that may call nothing).
const (
	keyAcme    = "acme_live_key_aaaaaaaaaaaaaaaaaaaa"
	keyAcmeOld = "acme_old_key_rotating_out_bbbbbbb"
	keyBeta    = "beta-live-key-cccccccccccccccccccc"
	keyGamma   = "gamma_key_suspended_dddddddddddddd"
	keyUnknown = "unknown_key_eeeeeeeeeeeeeeeeeeeeee"
)

var registryJSON = fmt.Sprintf(`{"partners":[
 {"id":"p_acme","name":"Acme Pay","apiKeySha256":[%q,%q],"flow":"API",
  "kycTemplates":{"MX":{"templateId":"mx-basic","linkUrl":"https://verify.example.com/s/{sessionId}"}},
  "webhook":{"url":"https://hooks.acme.example/identity","secret":"whsec_acme"},"identityProvider":"acme"},
 {"id":"p_beta","name":"Beta Checkout","apiKeySha256":[%q],"flow":"WIDGET","identityProvider":"beta"},
 {"id":"p_gamma","name":"Gamma","apiKeySha256":[%q],"flow":"SUSPENDED"}
]}`, partners.KeyDigest(keyAcme), partners.KeyDigest(keyAcmeOld), partners.KeyDigest(keyBeta), partners.KeyDigest(keyGamma))

func testRegistry(t testing.TB) *partners.Registry {
	r, err := partners.Parse([]byte(registryJSON))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// env is a handler over an in-memory store with the test registry.
type env struct {
	mem    *memstore.Store
	client *apitest.Client
}

func newEnv(t testing.TB) *env {
	mem := memstore.New()
	return &env{mem: mem, client: newClient(t, mem, staticRegistry(testRegistry(t)))}
}

func staticRegistry(r *partners.Registry) func(context.Context) (*partners.Registry, error) {
	return func(context.Context) (*partners.Registry, error) { return r, nil }
}

func newClient(t testing.TB, s store.Store, reg func(context.Context) (*partners.Registry, error)) *apitest.Client {
	return newClientAt(t, s, reg, time.Now)
}

func newClientAt(t testing.TB, s store.Store, reg func(context.Context) (*partners.Registry, error), now func() time.Time) *apitest.Client {
	deps := &app.Deps{Store: s, Registry: reg, Now: now}
	return apitest.New(t, routes.Mux(deps, routes.All()...))
}

// failingStore fails every call: a DynamoDB outage.
type failingStore struct{ calls int }

var errOutage = errors.New("dynamodb: connection reset by peer while writing secret-value@example.com")

func (f *failingStore) CreateUser(context.Context, store.User, store.Guard) (*store.Guard, error) {
	f.calls++
	return nil, errOutage
}
func (f *failingStore) GetUser(context.Context, string) (store.User, error) {
	f.calls++
	return store.User{}, errOutage
}
func (f *failingStore) GetGuard(context.Context, string, string) (store.Guard, error) {
	f.calls++
	return store.Guard{}, errOutage
}
func (f *failingStore) OpenKYCSession(context.Context, store.KYCSession, time.Time) (*store.User, error) {
	f.calls++
	return nil, errOutage
}
func (f *failingStore) GetKYCSession(context.Context, string) (store.KYCSession, error) {
	f.calls++
	return store.KYCSession{}, errOutage
}
func (f *failingStore) ExpiredKYCSessions(context.Context, time.Time, string, int) ([]string, string, error) {
	f.calls++
	return nil, "", errOutage
}
func (f *failingStore) ExpireKYCSession(context.Context, string, time.Time) (bool, error) {
	f.calls++
	return false, errOutage
}

var logs *apitest.Logs

// TestMain captures every log line the suite's requests produce and fails
// the run if any email, phone number, externalUserId, identifier or API key
// sent by any test appears in them.
func TestMain(m *testing.M) {
	logs = apitest.CaptureLogs()
	code := m.Run()
	moto.Stop()
	lines, searched, found := logs.Scan()
	switch {
	case lines == 0:
		fmt.Println("log scan: no log lines were captured")
		code = 1
	case len(found) > 0:
		fmt.Printf("log scan: personal data or credentials in logs: %v\n", found)
		code = 1
	default:
		fmt.Printf("log scan: %d log lines searched for %d sent values, emails and phone numbers: none found\n", lines, searched)
	}
	os.Exit(code)
}

func headers(key string) apitest.Headers { return apitest.Headers{"partner-api-key": key} }

// errorBody is the Partner v2 error shape.
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

var _ = http.MethodGet
