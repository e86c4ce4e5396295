package systemtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/lambda/cleanup"
	"github.com/partner-identity/api/shared/lambda/dispatch"
	"github.com/partner-identity/api/shared/testkit/apitest"
	"github.com/partner-identity/api/shared/testkit/fixture"
	"github.com/partner-identity/api/shared/testkit/moto"
	"github.com/partner-identity/api/shared/webhooks/delivery"
)

// state is what a request under test needs, made without faults.
type state struct {
	userID, token, ext, identifier string
}

// writeEndpoint is an endpoint that writes, with the DynamoDB calls it makes.
type writeEndpoint struct {
	name  string
	calls []string
	// setup prepares the request (no fault); do sends it.
	setup func(t *testing.T, c *apitest.Client, s *state)
	do    func(c *apitest.Client, s *state) *apitest.Response
	// status is its success; repeat the status of the same request sent
	// again after a success, and repeatWrites whether that writes again
	// (a verification link opens a new session each time).
	status, repeat int
	repeatWrites   bool
	// dialect checks a 5xx in the surface's error format.
	dialect func(t *testing.T, r *apitest.Response)
}

var seq atomic.Int64

func unique(prefix string) string { return fmt.Sprintf("%s%d", prefix, seq.Add(1)) }

const usersPath = "/api/partner/v2/users"

var acme = apitest.Headers{"partner-api-key": fixture.KeyAcme}

func createUserFor(t *testing.T, c *apitest.Client, s *state) {
	t.Helper()
	s.ext = unique("fault-ext-")
	r := c.Do(http.MethodPost, usersPath, acme, `{"externalUserId":"`+s.ext+`","type":"INDIVIDUAL","method":"EMAIL","identifier":"f@example.com"}`)
	if r.Status != 201 {
		t.Fatalf("setup create: %d %s", r.Status, r.Body)
	}
	s.userID = r.JSON()["data"].(map[string]any)["userId"].(string)
	r = c.Do(http.MethodPost, usersPath+"/"+s.userID+"/token", acme, "")
	if r.Status != 201 {
		t.Fatalf("setup token: %d %s", r.Status, r.Body)
	}
	s.token = r.JSON()["data"].(map[string]any)["token"].(string)
	s.identifier = fmt.Sprintf("faultidentifier%025d", seq.Add(1))
}

func linkFor(t *testing.T, c *apitest.Client, s *state) {
	t.Helper()
	if r := c.Do(http.MethodPost, "/api/v2/user/link-identifier", apitest.Headers{"User-Authorization": "Bearer " + s.token}, `{"identifier":"`+s.identifier+`"}`); r.Status != 200 {
		t.Fatalf("setup link: %d %s", r.Status, r.Body)
	}
}

func partnerV2Error(t *testing.T, r *apitest.Response) {
	t.Helper()
	var body struct {
		Success bool
		Error   struct{ Code, Message string }
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || body.Success || body.Error.Code != "INTERNAL_SERVER_ERROR" {
		t.Fatalf("not a Partner v2 500: %s", r.Body)
	}
}

func userV2Error(t *testing.T, r *apitest.Response) {
	t.Helper()
	if !strings.Contains(string(r.Body), `"ER999"`) || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("not ER999: %s", r.Body)
	}
}

func jsonAPIError(t *testing.T, r *apitest.Response) {
	t.Helper()
	var body struct {
		Errors []struct{ Status, Code string }
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || len(body.Errors) != 1 || body.Errors[0].Status != "500" ||
		body.Errors[0].Code != "internal-server-error" || r.Header.Get("Content-Type") != "application/vnd.api+json" {
		t.Fatalf("not a JSON:API 500: %s", r.Body)
	}
}

var writeEndpoints = []writeEndpoint{
	// A container reads a key once a minute (and records its use once a
	// day): the setups use the key first, so that the calls are the
	// route's own. A token's partner, and a provider's, are read in the
	// request that first needs them: link-identifier's and
	// set-federated-identity's first GetItem.
	{name: "create-user", calls: []string{"TransactWriteItems"},
		setup: func(t *testing.T, c *apitest.Client, s *state) {
			if r := c.Do(http.MethodGet, usersPath+"?externalUserId=warm-up", acme, ""); r.Status != 404 {
				t.Fatalf("setup: %d", r.Status)
			}
			s.ext = unique("fault-new-")
		},
		do: func(c *apitest.Client, s *state) *apitest.Response {
			return c.Do(http.MethodPost, usersPath, acme, `{"externalUserId":"`+s.ext+`","type":"INDIVIDUAL","method":"PHONE_NUMBER","identifier":"+52 440 123 4567"}`)
		},
		status: 201, repeat: 200, dialect: partnerV2Error},
	{name: "create-verification-link", calls: []string{"TransactWriteItems"},
		setup: createUserFor,
		do: func(c *apitest.Client, s *state) *apitest.Response {
			return c.Do(http.MethodPost, usersPath+"/"+s.userID+"/kyc/verification-link", acme, `{"country":"MX","partnerRedirectUri":"https://acme.example/done"}`)
		},
		status: 201, repeat: 201, repeatWrites: true, dialect: partnerV2Error},
	{name: "link-identifier", calls: []string{"GetItem", "GetItem", "TransactWriteItems"},
		setup: createUserFor,
		do: func(c *apitest.Client, s *state) *apitest.Response {
			return c.Do(http.MethodPost, "/api/v2/user/link-identifier", apitest.Headers{"User-Authorization": "Bearer " + s.token}, `{"identifier":"`+s.identifier+`"}`)
		},
		status: 200, repeat: 200, dialect: userV2Error},
	{name: "set-federated-identity", calls: []string{"GetItem", "GetItem", "TransactWriteItems"},
		setup: func(t *testing.T, c *apitest.Client, s *state) { createUserFor(t, c, s); linkFor(t, c, s) },
		do: func(c *apitest.Client, s *state) *apitest.Response {
			return c.Do(http.MethodPut, "/federated-identities/acme", apitest.Headers{"Authorization": "Bearer " + s.token}, "")
		},
		status: 204, repeat: 204, dialect: jsonAPIError},
	{name: "delete-federated-identity", calls: []string{"GetItem", "TransactWriteItems"},
		setup: func(t *testing.T, c *apitest.Client, s *state) {
			createUserFor(t, c, s)
			linkFor(t, c, s)
			if r := c.Do(http.MethodPut, "/federated-identities/acme", apitest.Headers{"Authorization": "Bearer " + s.token}, ""); r.Status != 204 {
				t.Fatalf("setup set: %d", r.Status)
			}
		},
		do: func(c *apitest.Client, s *state) *apitest.Response {
			return c.Do(http.MethodDelete, "/federated-identities/acme", apitest.Headers{"Authorization": "Bearer " + s.token}, "")
		},
		status: 204, repeat: 404, dialect: jsonAPIError},
	{name: "delete-user", calls: []string{"Query", "Query", "TransactWriteItems"},
		setup: func(t *testing.T, c *apitest.Client, s *state) {
			createUserFor(t, c, s)
			linkFor(t, c, s)
			if r := c.Do(http.MethodPut, "/federated-identities/acme", apitest.Headers{"Authorization": "Bearer " + s.token}, ""); r.Status != 204 {
				t.Fatalf("setup set: %d", r.Status)
			}
			if r := c.Do(http.MethodPost, usersPath+"/"+s.userID+"/kyc/verification-link", acme, `{"country":"MX"}`); r.Status != 201 {
				t.Fatalf("setup session: %d", r.Status)
			}
		},
		do: func(c *apitest.Client, s *state) *apitest.Response {
			return c.Do(http.MethodDelete, usersPath+"/"+s.userID, acme, "")
		},
		status: 204, repeat: 204, dialect: partnerV2Error},
}

// leaks are texts of the dependency that no response may carry.
var leaks = []string{"injected", "Throttling", "InternalServerError", "deadline", "dynamodb", "DynamoDB", "127.0.0.1", "TransactWriteItems", "GetItem"}

func delta(before, after map[string]int) map[string]int {
	d := map[string]int{}
	for k, v := range after {
		if v != before[k] {
			d[k] = v - before[k]
		}
	}
	for k, v := range before {
		if _, ok := after[k]; !ok {
			d[k] = -v
		}
	}
	return d
}

// TestFaultsInEveryWriteCall: for every endpoint that writes, each of its
// DynamoDB calls in turn gets a throttling error, an HTTP 500 and a
// timeout, once (retried by the SDK: the request succeeds as without a
// fault) and on every attempt (the surface's 500, nothing written, no
// internal text); each write call also loses its response after DynamoDB
// applied it (the SDK retries with the same ClientRequestToken: applied
// once). After each, the same request again gets its usual answer, with no
// duplicate.
func TestFaultsInEveryWriteCall(t *testing.T) {
	for _, ep := range writeEndpoints {
		t.Run(ep.name, func(t *testing.T) {
			w := newWorld(t, fixture.RegistryJSON) // a small table: the snapshots scan it
			// The reference: the request's writes without a fault.
			inj := &moto.Injector{}
			c := w.container(t, inj)
			var s state
			ep.setup(t, c.api, &s)
			before := moto.CountItems(t, w.db, w.table)
			inj.Arm(moto.Throttle, 0, 0) // counts calls, fails none
			if r := ep.do(c.api, &s); r.Status != ep.status {
				t.Fatalf("without a fault: %d %s", r.Status, r.Body)
			}
			ops, _ := inj.Disarm()
			if strings.Join(ops, ",") != strings.Join(ep.calls, ",") {
				t.Fatalf("calls %v, want %v", ops, ep.calls)
			}
			writes := delta(before, moto.CountItems(t, w.db, w.table))
			if len(writes) == 0 {
				t.Fatal("the request wrote nothing")
			}

			type fcase struct {
				kind     moto.FaultKind
				call     int
				attempts int
			}
			var cases []fcase
			for call := 1; call <= len(ep.calls); call++ {
				for _, kind := range []moto.FaultKind{moto.Throttle, moto.ServerError, moto.Timeout} {
					cases = append(cases, fcase{kind, call, 1}, fcase{kind, call, -1})
				}
				if ep.calls[call-1] == "TransactWriteItems" {
					cases = append(cases, fcase{moto.LostResponse, call, 1})
				}
			}
			for _, fc := range cases {
				persistence := "once"
				if fc.attempts < 0 {
					persistence = "persistent"
				}
				t.Run(fmt.Sprintf("%s %s at call %d (%s)", persistence, fc.kind, fc.call, ep.calls[fc.call-1]), func(t *testing.T) {
					inj := &moto.Injector{}
					c := w.container(t, inj)
					var s state
					ep.setup(t, c.api, &s)
					snap, counts := moto.Snapshot(t, w.db, w.table), moto.CountItems(t, w.db, w.table)

					inj.Arm(fc.kind, fc.call, fc.attempts)
					r := ep.do(c.api, &s)
					_, failed := inj.Disarm()
					for _, l := range leaks {
						if strings.Contains(string(r.Body), l) {
							t.Fatalf("response carries %q: %s", l, r.Body)
						}
					}
					if fc.attempts < 0 {
						if r.Status != 500 {
							t.Fatalf("persistent fault: %d %s, want 500", r.Status, r.Body)
						}
						ep.dialect(t, r)
						if failed != 3 {
							t.Fatalf("%d attempts failed, want the SDK's 3", failed)
						}
						after := moto.Snapshot(t, w.db, w.table)
						if d := diff(snap, after); d != "" {
							t.Fatalf("a failed request changed the table:\n%s", d)
						}
						// Again, without the fault: the usual success, written once.
						if r := ep.do(c.api, &s); r.Status != ep.status {
							t.Fatalf("again after the fault: %d %s", r.Status, r.Body)
						}
						if d := delta(counts, moto.CountItems(t, w.db, w.table)); !maps.Equal(d, writes) {
							t.Fatalf("writes after the fault %v, want %v", d, writes)
						}
						return
					}
					if r.Status != ep.status || failed != 1 {
						t.Fatalf("transient fault: %d (%d attempts failed) %s, want %d", r.Status, failed, r.Body, ep.status)
					}
					if d := delta(counts, moto.CountItems(t, w.db, w.table)); !maps.Equal(d, writes) {
						t.Fatalf("writes %v, want %v (once)", d, writes)
					}
					mid := moto.CountItems(t, w.db, w.table)
					if r := ep.do(c.api, &s); r.Status != ep.repeat {
						t.Fatalf("the same request again: %d %s, want %d", r.Status, r.Body, ep.repeat)
					}
					want := map[string]int{}
					if ep.repeatWrites {
						want = writes
					}
					if d := delta(mid, moto.CountItems(t, w.db, w.table)); !maps.Equal(d, want) {
						t.Fatalf("the same request again wrote %v, want %v", d, want)
					}
				})
			}
		})
	}
}

// diff lists the items that differ between two snapshots.
func diff(a, b map[string]string) string {
	var out []string
	for k, v := range a {
		if b[k] != v {
			out = append(out, "- "+k+" "+v+"\n+ "+k+" "+b[k])
		}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok {
			out = append(out, "+ "+k+" "+v)
		}
	}
	return strings.Join(out, "\n")
}

// TestFaultsInTheCleanup: each DynamoDB call of a cleanup run gets each
// fault once (the run completes: every expired session expired once, with
// one event) and persistently (the run fails, Scheduler retries it; no
// session is expired without its event); a run after it finishes the work
// without a duplicate event.
func TestFaultsInTheCleanup(t *testing.T) {
	cases := 0
	defer func() {
		if !t.Failed() && !t.Skipped() && cases < 15 {
			t.Errorf("only %d cases ran", cases)
		}
	}()
	for _, kind := range []moto.FaultKind{moto.Throttle, moto.ServerError, moto.Timeout, moto.LostResponse} {
		for _, attempts := range []int{1, -1} {
			if kind == moto.LostResponse && attempts < 0 {
				continue
			}
			for call := 1; ; call++ {
				w := newWorld(t, fixture.RegistryJSON)
				inj := &moto.Injector{}
				c := w.container(t, inj)
				for i := 0; i < 3; i++ {
					var s state
					createUserFor(t, c.api, &s)
					if r := c.api.Do(http.MethodPost, usersPath+"/"+s.userID+"/kyc/verification-link", acme, `{"country":"MX","partnerRedirectUri":"https://acme.example/done"}`); r.Status != 201 {
						t.Fatalf("open: %d", r.Status)
					}
				}
				c.clock.Add(25 * time.Hour)
				cleaner := cleanup.New(c.deps)
				cleaner.Now, cleaner.Workers = c.clock.Now, 1
				// The parts of the pending index that hold the sessions, and
				// one empty part: every call of the run is one that matters.
				cleaner.Store = onlyParts(t, cleaner.Store, c.clock.Now())
				inj.Arm(kind, call, attempts)
				res, err := cleaner.Run(context.Background())
				ops, failed := inj.Disarm()
				if call > len(ops) {
					break // every call of the run had its turn
				}
				if kind == moto.LostResponse && ops[call-1] != "TransactWriteItems" {
					continue
				}
				name := fmt.Sprintf("%s x%d at call %d (%s)", kind, attempts, call, ops[call-1])
				cases++
				counts := moto.CountItems(t, w.db, w.table)
				if counts["session:EXPIRED"] != counts["event:kyc.session_expired"] {
					t.Fatalf("%s: %d sessions expired, %d events", name, counts["session:EXPIRED"], counts["event:kyc.session_expired"])
				}
				if attempts > 0 {
					if err != nil || res.Expired != 3 || !res.Done || failed != 1 {
						t.Fatalf("%s: %+v %v (%d failed)", name, res, err, failed)
					}
				} else if err == nil || failed != 3 {
					t.Fatalf("%s: persistent fault: %+v %v (%d failed)", name, res, err, failed)
				}
				res, err = cleaner.Run(context.Background())
				counts = moto.CountItems(t, w.db, w.table)
				if err != nil || counts["session:EXPIRED"] != 3 || counts["event:kyc.session_expired"] != 3 {
					t.Fatalf("%s: the next run: %+v %v, %v", name, res, err, counts)
				}
			}
		}
	}
}

// TestFaultsInTheDispatcher: the state read and the delivered mark get
// each fault once (delivered once, marked) and persistently: a failed read
// sends nothing and the stream retries; a failed mark after a delivery is
// logged, and a later retry of the batch may deliver again with the same
// event id (at least once; partners deduplicate by id).
func TestFaultsInTheDispatcher(t *testing.T) {
	var ids []string
	var mu sync.Mutex
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ids = append(ids, r.Header.Get(delivery.HeaderID))
		mu.Unlock()
	}))
	defer hook.Close()
	sent := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), ids...) }
	for _, kind := range []moto.FaultKind{moto.Throttle, moto.ServerError, moto.Timeout} {
		for _, attempts := range []int{1, -1} {
			for call, op := range []string{"GetItem", "UpdateItem"} {
				name := fmt.Sprintf("%s x%d at %s", kind, attempts, op)
				inj, c, evs := oneEvent(t, hook.URL)
				d := dispatch.New(c.deps)
				// The partner and its webhook secret, as a warm dispatcher
				// container holds them (read once a minute, opened once):
				// the faults are the event's calls'.
				if _, err := c.deps.Partners.Partner(context.Background(), "p_acme"); err != nil {
					t.Fatal(err)
				}
				if _, err := c.deps.WebhookKeys.For(context.Background(), "p_acme", "we_default"); err != nil {
					t.Fatal(err)
				}
				mu.Lock()
				ids = nil
				mu.Unlock()
				inj.Arm(kind, call+1, attempts)
				err := d.Deliver(context.Background(), evs[0].Key())
				ops, failed := inj.Disarm()
				if strings.Join(ops, ",") != "GetItem,UpdateItem" && !(attempts < 0 && op == "GetItem") {
					t.Fatalf("%s: calls %v", name, ops)
				}
				switch {
				case attempts > 0:
					if err != nil || failed != 1 || len(sent()) != 1 {
						t.Fatalf("%s: %v, %d sent", name, err, len(sent()))
					}
					// Delivered and recorded: the record brought again sends nothing.
					if err := d.Deliver(context.Background(), evs[0].Key()); err != nil || len(sent()) != 1 {
						t.Fatalf("%s: redelivered after a record: %v", name, err)
					}
				case op == "GetItem":
					if err == nil || len(sent()) != 0 {
						t.Fatalf("%s: %v, %d sent", name, err, len(sent()))
					}
					if err := d.Deliver(context.Background(), evs[0].Key()); err != nil || len(sent()) != 1 {
						t.Fatalf("%s: the retry: %v", name, err)
					}
				default: // the record failed after the delivery
					if err == nil || len(sent()) != 1 {
						t.Fatalf("%s: %v, %d sent", name, err, len(sent()))
					}
					if err := d.Deliver(context.Background(), evs[0].Key()); err != nil {
						t.Fatalf("%s: the retry: %v", name, err)
					}
					if got := sent(); len(got) != 2 || got[0] != got[1] || got[0] != evs[0].ID {
						t.Fatalf("%s: deliveries %v, want the same event id twice", name, got)
					}
				}
			}
		}
	}
}

// TestAKMSFaultSendsNothing: a cold dispatcher container reads the event,
// the partner's sealed secret and opens it (KMS Decrypt); KMS failing (once
// or throughout) sends nothing unsigned and marks nothing: the stream
// brings the event again, and once KMS answers it is delivered, once.
func TestAKMSFaultSendsNothing(t *testing.T) {
	var sent atomic.Int64
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sent.Add(1) }))
	defer hook.Close()
	for _, kind := range []moto.FaultKind{moto.Throttle, moto.ServerError, moto.Timeout} {
		inj, c, evs := oneEvent(t, hook.URL)
		if _, err := c.deps.Partners.Partner(context.Background(), "p_acme"); err != nil {
			t.Fatal(err)
		}
		d := dispatch.New(c.deps)
		sent.Store(0)
		inj.Arm(kind, 3, -1) // the event's state, the sealed secret, then Decrypt: failing throughout
		err := d.Deliver(context.Background(), evs[0].Key())
		ops, _ := inj.Disarm()
		if err == nil || sent.Load() != 0 || strings.Join(ops, ",") != "GetItem,GetItem,Decrypt" {
			t.Fatalf("%s: %v, %d sent, calls %v", kind, err, sent.Load(), ops)
		}
		if st, err := c.deps.Store.OutboxStatus(context.Background(), evs[0].Key()); err != nil || st.Attempts != 0 || st.Status != "pending" {
			t.Fatalf("%s: marked %+v %v", kind, st, err)
		}
		if err := d.Deliver(context.Background(), evs[0].Key()); err != nil || sent.Load() != 1 {
			t.Fatalf("%s: once KMS answers: %v, %d sent", kind, err, sent.Load())
		}
	}
}

// oneEvent is a world whose acme sends its webhooks to hookURL, a
// container in it with a fault injector, and the one event a new user of
// acme's wrote.
func oneEvent(t *testing.T, hookURL string) (*moto.Injector, *container, []domain.OutboxEvent) {
	t.Helper()
	w := newWorld(t, strings.Replace(fixture.RegistryJSON, "https://hooks.acme.example/identity", hookURL, 1))
	inj := &moto.Injector{}
	c := w.container(t, inj)
	var s state
	createUserFor(t, c.api, &s)
	evs, err := moto.OutboxEvents(context.Background(), w.db, w.table)
	if err != nil || len(evs) != 1 {
		t.Fatalf("%d events, %v", len(evs), err)
	}
	return inj, c, evs
}

// parts is a store whose pending index is the parts of its inner one
// listed in ps.
type parts struct {
	domain.KYCSessions
	ps []int
}

func (p parts) ExpiryParts() int { return len(p.ps) }

func (p parts) ExpiredKYCSessions(ctx context.Context, part int, now time.Time, cursor string, limit int) ([]domain.SessionRef, string, error) {
	return p.KYCSessions.ExpiredKYCSessions(ctx, p.ps[part], now, cursor, limit)
}

// onlyParts is s with only the parts of its pending index that hold
// sessions expired at now, and the first empty one.
func onlyParts(t *testing.T, s domain.KYCSessions, now time.Time) domain.KYCSessions {
	t.Helper()
	var ps []int
	empty := -1
	for p := range s.ExpiryParts() {
		refs, _, err := s.ExpiredKYCSessions(context.Background(), p, now, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case len(refs) > 0:
			ps = append(ps, p)
		case empty < 0:
			empty = p
			ps = append(ps, p)
		}
	}
	return parts{KYCSessions: s, ps: ps}
}
