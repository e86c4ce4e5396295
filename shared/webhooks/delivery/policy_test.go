package delivery_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/domain/outbox"
	"github.com/partner-identity/api/shared/webhooks/delivery"
	"github.com/partner-identity/api/shared/webhooks/signature"
	"golang.org/x/net/dns/dnsmessage"
)

// Addresses of each refused range, and some that are allowed: every
// special-purpose range of IANA's IPv4 and IPv6 registries that is not
// globally reachable, the forms that embed an IPv4 address, and the IPv6
// space outside global unicast.
var (
	refusedAddrs = map[string][]string{
		"loopback":                  {"127.0.0.1", "127.9.9.9", "::1"},
		"unspecified, this network": {"0.0.0.0", "::", "0.1.2.3"},
		"link-local":                {"169.254.169.254", "169.254.0.1", "fe80::1"},
		"private (RFC 1918)":        {"10.0.0.1", "10.255.255.254", "172.16.0.1", "172.31.255.254", "192.168.0.1", "192.168.255.254"},
		"unique local fc00::/7":     {"fc00::1", "fd12:3456::1"},
		"CGNAT 100.64.0.0/10":       {"100.64.0.1", "100.127.255.254"},
		"multicast":                 {"224.0.0.1", "239.255.255.250", "ff02::1", "ff05::2", "ff0e::1"},
		"reserved, broadcast":       {"240.0.0.1", "255.255.255.255"},
		"IPv4-mapped":               {"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:8.8.8.8"},
		"IPv4-compatible ::a.b.c.d": {"::10.0.0.1", "::127.0.0.1", "::8.8.8.8", "::169.254.169.254"},
		"NAT64":                     {"64:ff9b::a00:1", "64:ff9b::7f00:1", "64:ff9b::808:808", "64:ff9b:1::1"},
		"6to4 2002::/16":            {"2002:a00:1::1", "2002:7f00:1::1", "2002:808:808::1"},
		"Teredo 2001::/32":          {"2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001::1"},
		"site-local fec0::/10":      {"fec0::1", "feff::1"},
		"IETF protocol assignments": {"192.0.0.1", "192.0.0.8", "192.0.0.170", "192.0.0.255", "2001:4::1"},
		"documentation":             {"192.0.2.1", "198.51.100.7", "203.0.113.9", "2001:db8::1", "3fff::1", "3fff:fff::1"},
		"benchmarking":              {"198.18.0.1", "198.19.255.254", "2001:2::1"},
		"6to4 relay anycast":        {"192.88.99.1"},
		"discard-only, dummy":       {"100::1", "100:0:0:1::1"},
		"ORCHID (deprecated)":       {"2001:10::1"},
		"SRv6 SIDs":                 {"5f00::1"},
		"reserved IPv6":             {"4000::1", "8000::1", "fbff::1", "100:1::1"},
	}
	allowedAddrs = []string{"8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.1", "172.15.255.255", "172.32.0.1",
		"192.167.1.1", "169.253.1.1", "198.17.255.255", "198.20.0.1", "192.0.3.1", "2001:4860:4860::8888", "2606:4700::1111",
		"2a00:1450:4001::1", "3ffe::1",
		// Special-purpose, and globally reachable by the registries.
		"192.0.0.9", "192.0.0.10", "192.31.196.1", "192.52.193.1", "192.175.48.1", "2001:1::1", "2001:3::1", "2001:4:112::1",
		"2001:20::1", "2001:30::1", "2620:4f:8000::1"}
)

// TestPolicyPorts: only 443 is dialled; locally also 80, and any port of
// a loopback address (make run's own receiver).
func TestPolicyPorts(t *testing.T) {
	prod, local := delivery.Policy{}, delivery.Policy{AllowLoopback: true}
	for _, c := range []struct {
		addr        string
		prod, local bool
	}{
		{"8.8.8.8:443", true, true}, {"[2606:4700::1111]:443", true, true},
		{"8.8.8.8:80", false, true}, {"8.8.8.8:8443", false, false}, {"8.8.8.8:22", false, false}, {"8.8.8.8:25", false, false},
		{"[2606:4700::1111]:8080", false, false}, {"8.8.8.8:0", false, false},
		{"127.0.0.1:3000", false, true}, {"[::1]:8443", false, true}, {"127.0.0.1:443", false, true},
		{"10.0.0.1:443", false, false}, {"10.0.0.1:80", false, false},
	} {
		ap := netip.MustParseAddrPort(c.addr)
		if got := prod.AllowsPort(ap); got != c.prod {
			t.Errorf("%s: allowed %v in Lambda, want %v", c.addr, got, c.prod)
		}
		if got := local.AllowsPort(ap); got != c.local {
			t.Errorf("%s: allowed %v locally, want %v", c.addr, got, c.local)
		}
	}
}

func TestPolicyRefusesEveryRange(t *testing.T) {
	prod, local := delivery.Policy{}, delivery.Policy{AllowLoopback: true}
	for name, addrs := range refusedAddrs {
		for _, a := range addrs {
			ip := netip.MustParseAddr(a)
			if prod.Allows(ip) {
				t.Errorf("%s: %s allowed", name, a)
			}
			if local.Allows(ip) != (name == "loopback") {
				t.Errorf("%s: %s with loopback allowed: %v", name, a, local.Allows(ip))
			}
		}
	}
	for _, a := range allowedAddrs {
		if !prod.Allows(netip.MustParseAddr(a)) {
			t.Errorf("%s refused", a)
		}
	}
}

// TestSenderRefusesWhatTheNameResolvesTo: a host name that a resolver
// answers with an address of each refused range is not dialled (the
// resolver here is a DNS server of the test's, answering whatever it is
// told to); the sender fails with ForbiddenAddressError before any
// connection.
func TestSenderRefusesWhatTheNameResolvesTo(t *testing.T) {
	dns := newDNS(t)
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	sender := delivery.NewSenderWith(delivery.SenderOptions{Timeout: time.Second, Resolver: dns.resolver(), TLS: trusting(srv)})
	ev := outbox.Must(outbox.UserCreated, "pa", map[string]string{"userId": "u1"}, time.Now())
	keys := []signature.Key{signature.MustSecret(secretA)}
	for name, addrs := range refusedAddrs {
		for _, a := range addrs {
			dns.set("example.com.", a)
			_, err := sender.Send(context.Background(), "https://example.com:"+port+"/hooks", keys, ev, time.Now())
			var forbidden *delivery.ForbiddenAddressError
			if !errors.As(err, &forbidden) {
				t.Errorf("%s: %s: %v, want ForbiddenAddressError", name, a, err)
			}
			// Literal addresses in the URL are refused the same way.
			host := a
			if strings.Contains(a, ":") {
				host = "[" + a + "]"
			}
			if _, err := sender.Send(context.Background(), "https://"+host+":"+port+"/", keys, ev, time.Now()); !errors.As(err, &forbidden) {
				t.Errorf("%s: literal %s: %v", name, a, err)
			}
		}
	}
	if hits.Load() != 0 {
		t.Fatalf("%d requests reached the server", hits.Load())
	}
	// The same name and server, with loopback allowed (make run): delivered.
	// The server was there all along: the policy, not the network, refused.
	dns.set("example.com.", "127.0.0.1")
	local := delivery.NewSenderWith(delivery.SenderOptions{Timeout: time.Second, Local: true, Resolver: dns.resolver(), TLS: trusting(srv)})
	if _, err := local.Send(context.Background(), "https://example.com:"+port+"/hooks", keys, ev, time.Now()); err != nil || hits.Load() != 1 {
		t.Fatalf("with loopback allowed: %v, %d requests", err, hits.Load())
	}
}

func trusting(srv *httptest.Server) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return &tls.Config{RootCAs: pool}
}

// fakeDNS answers every A and AAAA question with the one address it holds
// (an A question for an IPv6 address, or the reverse, gets no answer).
type fakeDNS struct {
	conn net.PacketConn
	addr atomic.Value // netip.Addr
}

func newDNS(t *testing.T) *fakeDNS {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDNS{conn: pc}
	d.addr.Store(netip.MustParseAddr("127.0.0.1"))
	t.Cleanup(func() { pc.Close() })
	go d.serve()
	return d
}

func (d *fakeDNS) set(_ string, a string) { d.addr.Store(netip.MustParseAddr(a)) }

func (d *fakeDNS) resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var dialer net.Dialer
		return dialer.DialContext(ctx, "udp", d.conn.LocalAddr().String())
	}}
}

func (d *fakeDNS) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := d.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		var p dnsmessage.Parser
		h, err := p.Start(buf[:n])
		if err != nil {
			continue
		}
		q, err := p.Question()
		if err != nil {
			continue
		}
		b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true})
		b.EnableCompression()
		_ = b.StartQuestions()
		_ = b.Question(q)
		_ = b.StartAnswers()
		a := d.addr.Load().(netip.Addr)
		rh := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 0}
		switch {
		case q.Type == dnsmessage.TypeA && a.Is4():
			_ = b.AResource(rh, dnsmessage.AResource{A: a.As4()})
		case q.Type == dnsmessage.TypeAAAA && !a.Is4():
			_ = b.AAAAResource(rh, dnsmessage.AAAAResource{AAAA: a.As16()})
		}
		msg, err := b.Finish()
		if err == nil {
			_, _ = d.conn.WriteTo(msg, from)
		}
	}
}

// TestAURLIsCheckedWhenItIsSet: a webhook URL is refused when it is set
// (partners.Admin's URL check) if its host is, or resolves to, an address
// a delivery may not dial, or names a port other than 443; a public
// address passes, and so does a name that does not resolve yet (its
// deliveries are checked when dialled). Loopback passes only where make
// run allows it.
func TestAURLIsCheckedWhenItIsSet(t *testing.T) {
	dns := newDNS(t)
	check := delivery.Policy{}.URLCheck(dns.resolver())
	local := delivery.Policy{AllowLoopback: true}.URLCheck(dns.resolver())
	ctx := context.Background()
	for name, addrs := range refusedAddrs {
		for _, a := range addrs {
			dns.set("hooks.example.com.", a)
			if err := check(ctx, "https://hooks.example.com/in"); err == nil {
				t.Errorf("%s: a name resolving to %s passes", name, a)
			}
			host := a
			if strings.Contains(a, ":") {
				host = "[" + a + "]"
			}
			if err := check(ctx, "https://"+host+"/in"); err == nil {
				t.Errorf("%s: the literal %s passes", name, a)
			}
		}
	}
	dns.set("hooks.example.com.", "93.184.215.14")
	if err := check(ctx, "https://hooks.example.com/in"); err != nil {
		t.Fatalf("a public address: %v", err)
	}
	if err := check(ctx, "https://hooks.example.com:8443/in"); err == nil {
		t.Fatal("a public address on port 8443 passes: no delivery dials it")
	}
	dns.set("hooks.example.com.", "127.0.0.1")
	if err := check(ctx, "https://hooks.example.com/in"); err == nil {
		t.Fatal("loopback passes in Lambda")
	}
	if err := local(ctx, "http://hooks.example.com:4000/in"); err != nil {
		t.Fatalf("loopback in make run: %v", err)
	}
	unresolvable := delivery.Policy{}.URLCheck(&net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return nil, errors.New("no DNS here")
	}})
	if err := unresolvable(ctx, "https://not-yet.example.com/in"); err != nil {
		t.Fatalf("a name that does not resolve yet: %v", err)
	}
}
