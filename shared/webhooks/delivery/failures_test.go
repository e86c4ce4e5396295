package delivery_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/domain/outbox"
	"github.com/partner-identity/api/shared/kit/logsafe"
	"github.com/partner-identity/api/shared/webhooks/delivery"
	"github.com/partner-identity/api/shared/webhooks/signature"
)

// TestAFailedAttemptSaysWhy: an attempt that gets no answer is logged
// with why, not as a *url.Error: a timeout, a name that does not resolve,
// a certificate the sender does not trust, a connection refused, one
// closed without an answer; the dialling policy's refusal has its own.
func TestAFailedAttemptSaysWhy(t *testing.T) {
	ev := outbox.Must(outbox.UserCreated, "p_acme", map[string]string{"userId": "u1"}, time.Now())
	keys := []signature.Key{signature.MustSecret(secretA)}
	send := func(s *delivery.Sender, url string) string {
		t.Helper()
		_, err := s.Send(context.Background(), url, keys, ev, time.Now())
		if err == nil {
			t.Fatalf("%s: delivered", url)
		}
		return logsafe.Code(err)
	}

	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(time.Second) }))
	defer slow.Close()
	untrusted := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer untrusted.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/hook"
	ln.Close()
	closing, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer closing.Close()
	go func() {
		for {
			c, err := closing.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 4096)
			_, _ = c.Read(buf)
			c.Close() // the request read, no answer
		}
	}()

	local := delivery.NewSender(200*time.Millisecond, true)
	for name, c := range map[string]struct {
		sender *delivery.Sender
		url    string
		want   []string
	}{
		"timeout":            {local, slow.URL + "/hook", []string{"webhook_timeout", "deadline_exceeded"}},
		"untrusted TLS":      {local, untrusted.URL + "/hook", []string{"webhook_tls"}},
		"connection refused": {local, refused, []string{"webhook_connection_refused"}},
		"closed unanswered":  {local, "http://" + closing.Addr().String() + "/hook", []string{"webhook_connection_closed"}},
		"name not resolving": {delivery.NewSenderWith(delivery.SenderOptions{Timeout: time.Second, Resolver: noDNS}), "https://hooks.nowhere.invalid/hook", []string{"webhook_dns"}},
		"dialling policy":    {delivery.NewSender(time.Second, false), "https://127.0.0.1:8443/hook", nil},
	} {
		t.Run(name, func(t *testing.T) {
			got := send(c.sender, c.url)
			if got == "error:*url.Error" || got == "webhook_network" {
				t.Fatalf("%s: logged %q, which says nothing of why", name, got)
			}
			if c.want == nil {
				return
			}
			for _, w := range c.want {
				if got == w {
					return
				}
			}
			t.Fatalf("%s: logged %q, want one of %v", name, got, c.want)
		})
	}
}

// noDNS is a resolver whose DNS server cannot be reached: every name
// fails to resolve.
var noDNS = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
	return nil, errors.New("no DNS server")
}}
