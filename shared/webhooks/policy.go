package webhooks

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"syscall"
)

// Policy is where deliveries may connect. It is checked on the address
// actually dialled (net.Dialer.Control), after resolution, so a host name
// that resolves (or re-resolves: DNS rebinding) to a forbidden address
// reaches nothing.
//
// Refused: loopback (127.0.0.0/8, ::1) unless AllowLoopback; unspecified
// and "this network" (0.0.0.0/8, ::); link-local (169.254.0.0/16 with the
// instance metadata service 169.254.169.254, fe80::/10); private (RFC 1918
// 10/8, 172.16/12, 192.168/16; unique local fc00::/7); shared address
// space (CGNAT, 100.64.0.0/10); multicast (224.0.0.0/4, ff00::/8);
// reserved and broadcast (240.0.0.0/4); IPv4-mapped IPv6 (::ffff:0:0/96,
// whatever it maps) and NAT64 (64:ff9b::/96, 64:ff9b:1::/48), which embed
// an IPv4 address.
type Policy struct {
	AllowLoopback bool
}

var refused = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
}

// Allows tells whether a delivery may connect to addr.
func (p Policy) Allows(addr netip.Addr) bool {
	if addr.Is4In6() {
		return false
	}
	addr = addr.WithZone("")
	if addr.IsLoopback() {
		return p.AllowLoopback
	}
	if addr.IsUnspecified() || addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() || addr.IsInterfaceLocalMulticast() ||
		addr.IsMulticast() || addr.IsPrivate() {
		return false
	}
	for _, r := range refused {
		if r.Contains(addr) {
			return false
		}
	}
	return true
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
	if !p.Allows(ap.Addr()) {
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
			if !p.Allows(a) {
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
