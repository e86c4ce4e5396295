package awsconfig

import (
	"context"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// tlsServer is a TLS server that counts the connections it accepted.
func tlsServer(t *testing.T) (*httptest.Server, *atomic.Int64, *x509.CertPool) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return srv, &conns, pool
}

// client is an HTTP client dialling through c, as the SDK's clients do.
func client(c *Conns) *http.Client {
	return &http.Client{Transport: &http.Transport{DialTLSContext: c.DialTLSContext}}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for stop := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(stop) {
			t.Fatal("condition not met within 5 s")
		}
	}
}

// TestPreconnectedConnectionServesTheFirstRequest: a connection opened
// ahead is the one the first request uses: one connection in all.
func TestPreconnectedConnectionServesTheFirstRequest(t *testing.T) {
	srv, conns, pool := tlsServer(t)
	c := newConns()
	c.tls.RootCAs = pool
	c.Preconnect(srv.URL)
	waitFor(t, func() bool { return conns.Load() == 1 })
	resp, err := client(c).Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections, want 1 (the one opened ahead)", n)
	}
}

// TestFailedPreconnectIsNotUsed: a connection that could not be opened
// ahead (its certificate is not trusted) is not handed to the request,
// which dials its own (now trusted) and succeeds.
func TestFailedPreconnectIsNotUsed(t *testing.T) {
	srv, conns, pool := tlsServer(t)
	c := newConns()
	c.tls.RootCAs = x509.NewCertPool() // trusts nothing: the preconnect fails
	c.Preconnect(srv.URL)
	waitFor(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, list := range c.spare {
			for _, s := range list {
				select {
				case <-s.done:
					return true
				default:
				}
			}
		}
		return false
	})
	c.tls.RootCAs = pool
	resp, err := client(c).Get(srv.URL + "/")
	if err != nil {
		t.Fatalf("the request failed with the preconnect: %v", err)
	}
	resp.Body.Close()
	if n := conns.Load(); n != 2 {
		t.Fatalf("%d connections, want 2 (the failed one, the request's own)", n)
	}
}

// TestStaleSpareIsClosed: a connection opened ahead and left unused past
// spareLife (the server may have closed it) is closed, and the request
// dials afresh.
func TestStaleSpareIsClosed(t *testing.T) {
	srv, conns, pool := tlsServer(t)
	c := newConns()
	c.tls.RootCAs = pool
	now := time.Now()
	c.now = func() time.Time { return now }
	c.Preconnect(srv.URL)
	waitFor(t, func() bool { return conns.Load() == 1 })
	c.mu.Lock()
	for _, list := range c.spare {
		for _, s := range list {
			<-s.done
		}
	}
	c.mu.Unlock()
	now = now.Add(spareLife + time.Second)
	resp, err := client(c).Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := conns.Load(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
}

// TestPreconnectIgnoresPlainHTTP: an emulator's http:// endpoint gets no
// connection ahead (the transport dials it without DialTLSContext).
func TestPreconnectIgnoresPlainHTTP(t *testing.T) {
	c := newConns()
	c.Preconnect("http://127.0.0.1:1")
	c.Preconnect("::not a url")
	if len(c.spare) != 0 {
		t.Fatalf("spares %v", c.spare)
	}
}

// TestServiceEndpointsFromTheEnvironment: AWS_ENDPOINT_URL_<SERVICE> names
// one service's endpoint, as the SDK's own configuration reads it.
func TestServiceEndpointsFromTheEnvironment(t *testing.T) {
	env := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b",
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": "https://127.0.0.3:4443"}
	cfg, err := from(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	src := cfg.ConfigSources[0].(serviceEndpoints)
	if u, ok, _ := src.GetServiceBaseEndpoint(context.Background(), "Secrets Manager"); !ok || u != "https://127.0.0.3:4443" {
		t.Fatalf("Secrets Manager: %q %v", u, ok)
	}
	if _, ok, _ := src.GetServiceBaseEndpoint(context.Background(), "DynamoDB"); ok {
		t.Fatal("DynamoDB has no endpoint of its own")
	}
}

// TestTwoCallsAtOnceTakeAConnectionEach: with two connections opened
// ahead, a first request's two calls made at once (a key's read beside
// its route's) each take one: two connections in all, none dialled on
// the request's path; a third call later finds the pool's.
func TestTwoCallsAtOnceTakeAConnectionEach(t *testing.T) {
	srv, conns, pool := tlsServer(t)
	c := newConns()
	c.tls.RootCAs = pool
	c.PreconnectN(srv.URL, 2)
	c.PreconnectN(srv.URL, 2) // already on offer: nothing more
	waitFor(t, func() bool { return conns.Load() == 2 })
	hc := client(c)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := hc.Get(srv.URL + "/")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		}()
	}
	wg.Wait()
	resp, err := hc.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := conns.Load(); n != 2 {
		t.Fatalf("%d connections, want 2 (those opened ahead)", n)
	}
}
