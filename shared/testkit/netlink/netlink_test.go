package netlink

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestLinkForwardsOverTLS: a request through the link reaches the backend
// and its answer comes back, over TLS verified against the CA; one
// connection serves several requests; a fault answers instead of the
// backend.
func TestLinkForwardsOverTLS(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Write(append([]byte(r.URL.Path+":"), body...))
	}))
	defer backend.Close()
	ca, err := NewCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	l, err := Start(ca, "127.0.0.2", backend.URL, 4*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool}}}
	for i := 0; i < 3; i++ {
		resp, err := client.Get(l.URL + "/ping")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "/ping:" {
			t.Fatalf("answered %q", b)
		}
	}
	if l.Conns.Load() != 1 || l.Requests.Load() != 3 {
		t.Fatalf("%d connections, %d requests; want 1, 3", l.Conns.Load(), l.Requests.Load())
	}
	l.Fault = func(w http.ResponseWriter, r *http.Request) bool { w.WriteHeader(http.StatusTeapot); return true }
	resp, err := client.Get(l.URL + "/ping")
	if err != nil || resp.StatusCode != http.StatusTeapot {
		t.Fatalf("fault: %v %v", resp, err)
	}
}
