package partnerv2_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/adapters/secrets"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/fixture"
	"github.com/partner-identity/api/shared/testkit/moto"
)

func TestCreateUserConcurrentOnMoto(t *testing.T) {
	srv := moto.Require(t)
	db, table := srv.NewTable(t, nil, nil)
	c := fixture.Client(t, dynamostore.New(db, table), fixture.Options{})
	id := assertOneUserUnderRace(t, c, 50)
	counts := moto.CountItems(t, db, table)
	if counts["USER"] != 1 || counts["GUARD"] != 1 {
		t.Fatalf("items by type %v, want exactly one USER and one GUARD", counts)
	}
	r := c.Do(http.MethodGet, usersPath+"/"+id, headers(keyAcme), "")
	if r.Status != 200 {
		t.Fatalf("get after race: %d", r.Status)
	}
}

func TestDynamoDBCallsPerCreate(t *testing.T) {
	srv := moto.Require(t)
	calls := moto.NewCalls()
	db, table := srv.NewTable(t, calls, nil)
	c := fixture.Client(t, dynamostore.New(db, table), fixture.Options{})
	body := `{"externalUserId":"ext-calls","type":"INDIVIDUAL","method":"EMAIL","identifier":"calls@example.com"}`
	steps := []struct {
		name   string
		body   string
		status int
	}{
		{"create new", body, 201},
		{"replay", body, 200},
		{"conflict", `{"externalUserId":"ext-calls","type":"BUSINESS"}`, 409},
	}
	for _, s := range steps {
		calls.Reset()
		r := c.Do(http.MethodPost, usersPath, headers(keyAcme), s.body)
		if r.Status != s.status {
			t.Fatalf("%s: status %d, want %d", s.name, r.Status, s.status)
		}
		if got := calls.Get("TransactWriteItems"); got != 1 || calls.Total() != 1 {
			t.Fatalf("%s: %d TransactWriteItems, %d calls in all; want 1 and 1", s.name, got, calls.Total())
		}
	}
	// A rejected request costs no call at all.
	calls.Reset()
	if r := c.Do(http.MethodPost, usersPath, headers(keyAcme), `{"type":"X"}`); r.Status != 400 || calls.Total() != 0 {
		t.Fatalf("bad input: %d with %d calls", r.Status, calls.Total())
	}
}

func TestPartnerRegistryFromSecretsManagerOnMoto(t *testing.T) {
	srv := moto.Require(t)
	calls := moto.NewCalls()
	var fault moto.Fault
	sm := secretsmanager.NewFromConfig(srv.Config(calls, &fault))
	secretID := "partner-identity/test/partners-" + time.Now().Format("150405.000000")
	if _, err := sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name: aws.String(secretID), SecretString: aws.String(fixture.RegistryJSON)}); err != nil {
		t.Fatal(err)
	}
	clk := testkit.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	cache := secrets.NewCache(secrets.Parsed(secrets.FromSecretsManager(sm, secretID), partners.Parse))
	cache.Now = clk.Now
	e := fixture.NewEnv(t, fixture.Options{})
	c := fixture.Client(t, e.Mem, fixture.Options{Registry: cache.Get})
	unknownUser := usersPath + "/2f1c6b52-8d8e-4a55-9d53-3c8d2b0f4a11"

	// 100 concurrent first requests: one GetSecretValue.
	calls.Reset()
	var wg sync.WaitGroup
	statuses := make(chan int, 100)
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- c.Do(http.MethodGet, unknownUser, headers(keyAcme), "").Status
		}()
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != 404 {
			t.Fatalf("status %d, want 404 (authenticated, no such user)", s)
		}
	}
	if got := calls.Get("GetSecretValue"); got != 1 {
		t.Fatalf("GetSecretValue called %d times for 100 concurrent first requests, want 1", got)
	}

	// Within the TTL: no call.
	clk.Add(4 * time.Minute)
	c.Do(http.MethodGet, unknownUser, headers(keyAcme), "")
	if got := calls.Get("GetSecretValue"); got != 1 {
		t.Fatalf("GetSecretValue called again within the TTL: %d", got)
	}

	// Secrets Manager fails after the TTL: known keys still authenticate.
	fault = func(op string) error {
		if op == "GetSecretValue" {
			return &smithy.GenericAPIError{Code: "InternalServiceError", Message: "injected"}
		}
		return nil
	}
	clk.Add(2 * time.Minute)
	for _, key := range []string{keyAcme, keyAcmeOld, keyBeta} {
		if r := c.Do(http.MethodGet, unknownUser, headers(key), ""); r.Status != 404 {
			t.Fatalf("known key during a Secrets Manager outage: %d %s", r.Status, r.Body)
		}
	}
	if r := c.Do(http.MethodGet, unknownUser, headers(keyUnknown), ""); r.Status != 401 {
		t.Fatalf("unknown key during an outage: %d", r.Status)
	}
	if got := calls.Get("GetSecretValue"); got != 2 {
		t.Fatalf("GetSecretValue calls = %d, want 2 (one failed refresh, then the stale value until the retry time)", got)
	}

	// Secrets Manager is back: the next refresh after the retry time succeeds.
	fault = nil
	clk.Add(secrets.DefaultRetryAfter + time.Second)
	if r := c.Do(http.MethodGet, unknownUser, headers(keyAcme), ""); r.Status != 404 {
		t.Fatalf("after recovery: %d", r.Status)
	}
	if got := calls.Get("GetSecretValue"); got != 3 {
		t.Fatalf("GetSecretValue calls = %d, want 3", got)
	}
}

func TestSecretsManagerDownAtFirstFetchIs500(t *testing.T) {
	srv := moto.Require(t)
	fault := moto.Fault(func(op string) error {
		return &smithy.GenericAPIError{Code: "InternalServiceError", Message: "injected"}
	})
	sm := secretsmanager.NewFromConfig(srv.Config(nil, &fault))
	cache := secrets.NewCache(secrets.Parsed(secrets.FromSecretsManager(sm, "never-fetched"), partners.Parse))
	c := fixture.Client(t, memstore.New(), fixture.Options{Registry: cache.Get})
	r := c.Do(http.MethodPost, usersPath, headers(keyAcme), `{"externalUserId":"ext-sm-down","type":"INDIVIDUAL"}`)
	code, msg, _ := errorOf(t, r)
	if r.Status != 500 || code != "INTERNAL_SERVER_ERROR" || msg != "Internal server error" {
		t.Fatalf("%d %s %q", r.Status, code, msg)
	}
	// A missing key is refused before the registry is needed.
	if r := c.Do(http.MethodPost, usersPath, headers(""), `{}`); r.Status != 401 {
		t.Fatalf("missing key: %d", r.Status)
	}
}
