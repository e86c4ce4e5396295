package delivery

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
	"time"
)

// Policy is where deliveries may connect. It is checked on the address
// actually dialled (net.Dialer.Control), after resolution, so a host name
// that resolves (or re-resolves: DNS rebinding) to a forbidden address
// reaches nothing.
//
// An address is allowed only when it is globally reachable: every range
// of IANA's IPv4 and IPv6 Special-Purpose Address Registries is refused
// unless the registry marks it globally reachable (specialPurpose, the
// most specific range deciding); so are IPv4 multicast and every IPv6
// address outside global unicast (2000::/3), which leaves out the
// deprecated forms that embed an IPv4 address (::a.b.c.d), site-local
// fec0::/10 and the reserved space. Forms that carry an IPv4 address to a
// translator (IPv4-mapped, NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4
// 2002::/16, Teredo 2001::/32) are refused whatever they embed. Only port
// 443 is dialled (and 80 where plain http is allowed, locally).
//
// AllowLoopback (make run, tests; never in Lambda) allows loopback
// addresses, on any port, and port 80 elsewhere.
type Policy struct {
	AllowLoopback bool
}

// specialRange is a range of a special-purpose registry.
type specialRange struct {
	prefix netip.Prefix
	global bool // the registry's "Globally Reachable"
}

// specialPurpose is IANA's IPv4 Special-Purpose Address Registry (RFC 6890
// and its updates) and IPv6 Special-Purpose Address Registry, as published
// in 2025, with IPv4 multicast (224.0.0.0/4, the multicast registry).
// Where a range is globally reachable inside one that is not, the more
// specific decides. A range whose reachability the registry leaves "N/A"
// (6to4, Teredo: relays to IPv4) is refused.
var specialPurpose = []specialRange{
	// IPv4
	{netip.MustParsePrefix("0.0.0.0/8"), false},       // "this network" (RFC 791)
	{netip.MustParsePrefix("10.0.0.0/8"), false},      // private use (RFC 1918)
	{netip.MustParsePrefix("100.64.0.0/10"), false},   // shared address space, CGNAT (RFC 6598)
	{netip.MustParsePrefix("127.0.0.0/8"), false},     // loopback
	{netip.MustParsePrefix("169.254.0.0/16"), false},  // link local, with the instance metadata service
	{netip.MustParsePrefix("172.16.0.0/12"), false},   // private use
	{netip.MustParsePrefix("192.0.0.0/24"), false},    // IETF protocol assignments (RFC 6890)
	{netip.MustParsePrefix("192.0.0.9/32"), true},     // port control protocol anycast (RFC 7723)
	{netip.MustParsePrefix("192.0.0.10/32"), true},    // TURN anycast (RFC 8155)
	{netip.MustParsePrefix("192.0.2.0/24"), false},    // documentation, TEST-NET-1 (RFC 5737)
	{netip.MustParsePrefix("192.31.196.0/24"), true},  // AS112-v4 (RFC 7535)
	{netip.MustParsePrefix("192.52.193.0/24"), true},  // AMT (RFC 7450)
	{netip.MustParsePrefix("192.88.99.0/24"), false},  // deprecated 6to4 relay anycast (RFC 7526)
	{netip.MustParsePrefix("192.168.0.0/16"), false},  // private use
	{netip.MustParsePrefix("192.175.48.0/24"), true},  // AS112 direct delegation (RFC 7534)
	{netip.MustParsePrefix("198.18.0.0/15"), false},   // benchmarking (RFC 2544)
	{netip.MustParsePrefix("198.51.100.0/24"), false}, // documentation, TEST-NET-2
	{netip.MustParsePrefix("203.0.113.0/24"), false},  // documentation, TEST-NET-3
	{netip.MustParsePrefix("224.0.0.0/4"), false},     // multicast
	{netip.MustParsePrefix("240.0.0.0/4"), false},     // reserved (RFC 1112), with 255.255.255.255 limited broadcast
	// IPv6
	{netip.MustParsePrefix("::/128"), false},           // unspecified
	{netip.MustParsePrefix("::1/128"), false},          // loopback
	{netip.MustParsePrefix("::ffff:0:0/96"), false},    // IPv4-mapped
	{netip.MustParsePrefix("64:ff9b::/96"), false},     // IPv4/IPv6 translation, NAT64 (RFC 6052): embeds IPv4
	{netip.MustParsePrefix("64:ff9b:1::/48"), false},   // local-use IPv4/IPv6 translation (RFC 8215)
	{netip.MustParsePrefix("100::/64"), false},         // discard-only (RFC 6666)
	{netip.MustParsePrefix("100:0:0:1::/64"), false},   // dummy IPv6 prefix (RFC 9780)
	{netip.MustParsePrefix("2001::/23"), false},        // IETF protocol assignments (RFC 2928)
	{netip.MustParsePrefix("2001::/32"), false},        // Teredo (RFC 4380): relays to IPv4
	{netip.MustParsePrefix("2001:1::1/128"), true},     // port control protocol anycast
	{netip.MustParsePrefix("2001:1::2/128"), true},     // TURN anycast
	{netip.MustParsePrefix("2001:1::3/128"), true},     // DNS-SD service registration protocol anycast (RFC 9665)
	{netip.MustParsePrefix("2001:2::/48"), false},      // benchmarking (RFC 5180)
	{netip.MustParsePrefix("2001:3::/32"), true},       // AMT
	{netip.MustParsePrefix("2001:4:112::/48"), true},   // AS112-v6
	{netip.MustParsePrefix("2001:10::/28"), false},     // deprecated ORCHID (RFC 4843)
	{netip.MustParsePrefix("2001:20::/28"), true},      // ORCHIDv2 (RFC 7343)
	{netip.MustParsePrefix("2001:30::/28"), true},      // drone remote ID entity tags (RFC 9374)
	{netip.MustParsePrefix("2001:db8::/32"), false},    // documentation (RFC 3849)
	{netip.MustParsePrefix("2002::/16"), false},        // 6to4 (RFC 3056): relays to IPv4
	{netip.MustParsePrefix("2620:4f:8000::/48"), true}, // AS112 direct delegation
	{netip.MustParsePrefix("3fff::/20"), false},        // documentation (RFC 9637)
	{netip.MustParsePrefix("5f00::/16"), false},        // SRv6 SIDs (RFC 9602)
	{netip.MustParsePrefix("fc00::/7"), false},         // unique local
	{netip.MustParsePrefix("fe80::/10"), false},        // link-local unicast
}

// globalUnicast is the IPv6 space IANA allocates for global unicast: the
// rest (with ::/96, the deprecated IPv4-compatible addresses, and fec0::/10,
// deprecated site-local) is special or reserved.
var globalUnicast = netip.MustParsePrefix("2000::/3")

// Allows tells whether a delivery may connect to addr (on an allowed port).
func (p Policy) Allows(addr netip.Addr) bool {
	addr = addr.WithZone("")
	if addr.Is4In6() {
		return false // IPv4-mapped: whatever it maps
	}
	if addr.IsLoopback() {
		return p.AllowLoopback
	}
	if addr.Is6() && !globalUnicast.Contains(addr) {
		return false
	}
	best, global := -1, true
	for _, r := range specialPurpose {
		if r.prefix.Contains(addr) && r.prefix.Bits() > best {
			best, global = r.prefix.Bits(), r.global
		}
	}
	return global
}

// AllowsPort tells whether a delivery may connect to ap: an allowed
// address on 443, or with AllowLoopback on 80 too, and on any port of a
// loopback address.
func (p Policy) AllowsPort(ap netip.AddrPort) bool {
	if !p.Allows(ap.Addr()) {
		return false
	}
	switch port := ap.Port(); {
	case port == 443:
		return true
	case p.AllowLoopback && (port == 80 || ap.Addr().WithZone("").Unmap().IsLoopback()):
		return true
	}
	return false
}

// ForbiddenAddressError: the policy refused the address dialled.
type ForbiddenAddressError struct{ Addr netip.Addr }

func (e *ForbiddenAddressError) Error() string {
	return "webhooks: the webhook URL resolves to an address deliveries may not reach"
}
func (e *ForbiddenAddressError) LogCode() string { return "webhook_forbidden_address" }

// Control is the dialer's check of the address it is about to connect to.
func (p Policy) Control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &ForbiddenAddressError{}
	}
	if !p.AllowsPort(ap) {
		return &ForbiddenAddressError{Addr: ap.Addr()}
	}
	return nil
}

// DialContext resolves the host of address with r (net.DefaultResolver
// when nil), refuses it when any address it answers is refused (a name
// that answers a private address is not a partner's endpoint), and dials
// the answers in turn with d, whose Control (set to the policy's) checks
// the address dialled once more.
func (p Policy) DialContext(d *net.Dialer, r *net.Resolver) func(ctx context.Context, network, address string) (net.Conn, error) {
	if r == nil {
		r = net.DefaultResolver
	}
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		host, portText, err := net.SplitHostPort(address)
		if err != nil {
			return nil, err
		}
		port, err := strconv.ParseUint(portText, 10, 16)
		if err != nil {
			return nil, err
		}
		var addrs []netip.Addr
		if a, err := netip.ParseAddr(host); err == nil {
			addrs = []netip.Addr{a}
		} else if addrs, err = r.LookupNetIP(ctx, "ip", host); err != nil {
			return nil, err
		}
		for _, a := range addrs {
			if !p.AllowsPort(netip.AddrPortFrom(a, uint16(port))) {
				return nil, &ForbiddenAddressError{Addr: a}
			}
		}
		var last error
		for _, a := range addrs {
			c, err := d.DialContext(ctx, network, netip.AddrPortFrom(a.Unmap(), uint16(port)).String())
			if err == nil {
				return c, nil
			}
			last = err
		}
		return nil, last
	}
}

// CheckURL checks a webhook URL when it is set, as its deliveries will
// be dialled: an address literal, or every address its host resolves to
// with r (net.DefaultResolver when nil), must be one the policy allows on
// the URL's port. A host that does not resolve (yet) passes: its
// deliveries are checked when dialled.
func (p Policy) CheckURL(ctx context.Context, r *net.Resolver, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return errors.New("must be an absolute URL")
	}
	port := uint16(443)
	if u.Port() != "" {
		n, err := strconv.ParseUint(u.Port(), 10, 16)
		if err != nil {
			return errors.New("has a port that is not a number")
		}
		port = uint16(n)
	} else if u.Scheme == "http" {
		port = 80
	}
	host := u.Hostname()
	addrs := []netip.Addr{}
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = append(addrs, a)
	} else {
		if r == nil {
			r = net.DefaultResolver
		}
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if addrs, err = r.LookupNetIP(ctx, "ip", host); err != nil {
			return nil
		}
	}
	for _, a := range addrs {
		if !p.AllowsPort(netip.AddrPortFrom(a, port)) {
			return errors.New("reaches an address webhook deliveries may not connect to (private, loopback, link-local or reserved; or a port other than 443)")
		}
	}
	return nil
}

// URLCheck is p's CheckURL with r, as package partners takes it.
func (p Policy) URLCheck(r *net.Resolver) func(ctx context.Context, raw string) error {
	return func(ctx context.Context, raw string) error { return p.CheckURL(ctx, r, raw) }
}
