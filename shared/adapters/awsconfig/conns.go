package awsconfig

import (
	"context"
	"crypto/tls"
	"net"
	"net/url"
	"sync"
	"time"
)

// Timeouts of a connection, as the SDK's default transport has them.
const (
	dialTimeout      = 30 * time.Second
	keepAlive        = 30 * time.Second
	handshakeTimeout = 10 * time.Second
	// spareLife is how long a connection opened ahead of use is offered:
	// past it, an idle connection may have been closed by the server, and a
	// request dials afresh.
	spareLife = 30 * time.Second
)

// Conns dials the TLS connections of the SDK's clients (their transports'
// DialTLSContext), as the transport itself would: TCP with keep-alive,
// then a TLS handshake (TLS 1.2 at least, HTTP/2 or HTTP/1.1 offered)
// verified against the system's roots. Preconnect opens one ahead of use:
// the first request to that address takes it instead of dialling, or waits
// for it while it is being opened; one that failed is never used (the
// request dials).
type Conns struct {
	now    func() time.Time
	dialer net.Dialer
	tls    *tls.Config

	mu    sync.Mutex
	spare map[string][]*spare
}

// spare is a connection opened ahead of use: ready when done is closed.
type spare struct {
	done   chan struct{}
	conn   net.Conn
	err    error
	opened time.Time
}

func newConns() *Conns {
	return &Conns{now: time.Now, dialer: net.Dialer{Timeout: dialTimeout, KeepAlive: keepAlive},
		tls: &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}, spare: map[string][]*spare{}}
}

// Preconnect starts opening a connection to the host of endpoint (an
// https URL) and returns at once. Nothing for another scheme, or when one
// is already on offer for that address.
func (c *Conns) Preconnect(endpoint string) { c.PreconnectN(endpoint, 1) }

// PreconnectN is Preconnect of as many connections as make n on offer for
// the address (a first request that makes two calls at once takes one
// each).
func (c *Conns) PreconnectN(endpoint string, n int) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" {
		return
	}
	port := u.Port()
	if port == "" {
		port = "443"
	}
	addr := net.JoinHostPort(u.Hostname(), port)
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.spare[addr]) < n {
		s := &spare{done: make(chan struct{})}
		c.spare[addr] = append(c.spare[addr], s)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
			defer cancel()
			s.conn, s.err = c.dial(ctx, "tcp", addr)
			s.opened = c.now()
			close(s.done)
		}()
	}
}

// DialTLSContext is the transports' TLS dial: the connection opened ahead
// for addr when there is one (waiting for it while it opens), else a new one.
func (c *Conns) DialTLSContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c.mu.Lock()
	var s *spare
	if list := c.spare[addr]; len(list) > 0 {
		s, c.spare[addr] = list[0], list[1:]
	}
	c.mu.Unlock()
	if s != nil {
		select {
		case <-s.done:
			switch {
			case s.err == nil && c.now().Sub(s.opened) < spareLife:
				return s.conn, nil
			case s.conn != nil:
				s.conn.Close()
			}
		case <-ctx.Done():
			go func() { // nobody will take it
				<-s.done
				if s.conn != nil {
					s.conn.Close()
				}
			}()
			return nil, ctx.Err()
		}
	}
	return c.dial(ctx, network, addr)
}

// dial opens a TLS connection to addr.
func (c *Conns) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	raw, err := c.dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		raw.Close()
		return nil, err
	}
	cfg := c.tls.Clone()
	cfg.ServerName = host
	conn := tls.Client(raw, cfg)
	hctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	if err := conn.HandshakeContext(hctx); err != nil {
		raw.Close()
		return nil, err
	}
	return conn, nil
}
