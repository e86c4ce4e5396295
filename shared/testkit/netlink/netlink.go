// Package netlink puts a network between a function and the AWS services
// it calls, for the bench and the tests: each service gets a host of its
// own on loopback (127.0.0.2, 127.0.0.3, ...) that speaks TLS with a
// certificate of a test CA, and every byte crossing it is delayed by half a
// round-trip time each way, so that a new connection costs what it costs
// in AWS: one round trip for TCP's handshake (the first bytes a client
// sends arrive one RTT late), one for TLS 1.3's, one per request. Behind
// the TLS front, requests go to the backend (moto_server) unchanged.
//
// A kernel's netem would delay the packets themselves; this machine's
// kernel has none, so the delay is applied to the byte stream, which for
// request-response traffic over one connection is the same: each flight
// (a burst of bytes one way) arrives half an RTT after it was sent.
package netlink

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// CA is a test certificate authority whose certificate a child process
// trusts through SSL_CERT_FILE.
type CA struct {
	// File is the CA certificate, PEM: SSL_CERT_FILE=File.
	File string
	Pool *x509.CertPool
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// NewCA makes a CA and writes its certificate into dir.
func NewCA(dir string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "netlink test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	file := filepath.Join(dir, "netlink-ca.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &CA{File: file, Pool: pool, cert: cert, key: key}, nil
}

// serverCert is a certificate for ip signed by the CA.
func (ca *CA) serverCert(ip net.IP) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: ip.String()},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{ip}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// Link is one service's host: a TLS front with a delay, forwarding to a
// backend.
type Link struct {
	// URL is the service's endpoint (https://127.0.0.N:PORT).
	URL string
	// RTT is the round-trip time of the link.
	RTT time.Duration
	// Conns counts the connections opened to it; Requests the HTTP
	// requests it forwarded.
	Conns, Requests atomic.Int64
	// Fault, when set, answers a request instead of the backend when it
	// returns true (it may write its own answer).
	Fault func(w http.ResponseWriter, r *http.Request) bool

	tmu   sync.Mutex
	trace []Event

	ln  net.Listener
	srv *http.Server
	wg  sync.WaitGroup
}

// Start opens a link on ip (a loopback address: 127.0.0.2, ...) to backend
// (an http:// URL) with round-trip time rtt.
func Start(ca *CA, ip string, backend string, rtt time.Duration) (*Link, error) {
	target, err := url.Parse(backend)
	if err != nil {
		return nil, err
	}
	cert, err := ca.serverCert(net.ParseIP(ip))
	if err != nil {
		return nil, err
	}
	raw, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return nil, err
	}
	l := &Link{URL: "https://" + raw.Addr().String(), RTT: rtt}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ErrorLog = nil
	l.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			l.Requests.Add(1)
			op := r.Header.Get("X-Amz-Target")
			if op == "" {
				op = r.Method + " " + r.URL.Path
			}
			l.record("request " + op)
			defer l.record("answer " + op)
			if f := l.Fault; f != nil && f(w, r) {
				return
			}
			proxy.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		// HTTP/1.1 only, as DynamoDB and Secrets Manager answer the SDK.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
	l.ln = tls.NewListener(&delayListener{Listener: raw, link: l}, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		_ = l.srv.Serve(l.ln)
	}()
	return l, nil
}

// Event is something the link saw, at the link's end (a client sees a
// request leave half an RTT before, an answer arrive half an RTT after).
type Event struct {
	At   time.Time
	What string
}

func (l *Link) record(what string) {
	l.tmu.Lock()
	l.trace = append(l.trace, Event{At: time.Now(), What: what})
	l.tmu.Unlock()
}

// Trace returns the events since the last call, and forgets them.
func (l *Link) Trace() []Event {
	l.tmu.Lock()
	defer l.tmu.Unlock()
	out := l.trace
	l.trace = nil
	return out
}

// Close stops the link and closes its connections.
func (l *Link) Close() error {
	err := l.srv.Close()
	l.wg.Wait()
	return err
}

// delayListener wraps each accepted connection in a delayConn.
type delayListener struct {
	net.Listener
	link *Link
}

func (d *delayListener) Accept() (net.Conn, error) {
	c, err := d.Listener.Accept()
	if err != nil {
		return nil, err
	}
	d.link.Conns.Add(1)
	d.link.record("connection (TCP handshake done at +1 RTT)")
	return newDelayConn(c, d.link.RTT), nil
}

// chunk is bytes that become readable (or writable to the peer) at at.
type chunk struct {
	b  []byte
	at time.Time
}

// delayConn delays what it reads from the client and what it writes to it
// by half an RTT each, and the client's first bytes by one RTT more (the
// TCP handshake that loopback does not delay).
type delayConn struct {
	net.Conn
	half time.Duration

	in      chan chunk // read from the client, not yet delivered
	readErr error      // after in is closed
	pending []byte
	// deadline is the read deadline (the server's own: it interrupts a
	// pending Read by setting one in the past); the underlying connection
	// is read without one.
	dmu      sync.Mutex
	deadline time.Time
	wake     chan struct{} // closed and replaced when the deadline changes

	out       chan chunk // written by the server, not yet sent
	writeDone chan struct{}
	closeOnce sync.Once
	closed    chan struct{}
}

func newDelayConn(c net.Conn, rtt time.Duration) *delayConn {
	d := &delayConn{Conn: c, half: rtt / 2, in: make(chan chunk, 1024), out: make(chan chunk, 1024),
		writeDone: make(chan struct{}), closed: make(chan struct{}), wake: make(chan struct{})}
	accepted := time.Now()
	go d.readLoop(accepted.Add(rtt))
	go d.writeLoop()
	return d
}

// readLoop reads the client's bytes as they come and stamps each chunk
// with the time it may be read: half an RTT later, and not before handshake
// (the end of TCP's handshake as a real network would have it).
func (d *delayConn) readLoop(handshake time.Time) {
	defer close(d.in)
	for {
		buf := make([]byte, 32<<10)
		n, err := d.Conn.Read(buf)
		if n > 0 {
			at := time.Now().Add(d.half)
			if at.Before(handshake.Add(d.half)) {
				at = handshake.Add(d.half)
			}
			d.in <- chunk{b: buf[:n], at: at}
		}
		if err != nil {
			d.readErr = err
			return
		}
	}
}

func (d *delayConn) Read(p []byte) (int, error) {
	for len(d.pending) == 0 {
		d.dmu.Lock()
		deadline, wake := d.deadline, d.wake
		d.dmu.Unlock()
		var timeout <-chan time.Time
		if !deadline.IsZero() {
			wait := time.Until(deadline)
			if wait <= 0 {
				return 0, os.ErrDeadlineExceeded
			}
			timer := time.NewTimer(wait)
			defer timer.Stop()
			timeout = timer.C
		}
		select {
		case c, ok := <-d.in:
			if !ok {
				if d.readErr == nil {
					return 0, io.EOF
				}
				return 0, d.readErr
			}
			if wait := time.Until(c.at); wait > 0 {
				time.Sleep(wait)
			}
			d.pending = c.b
		case <-timeout:
			return 0, os.ErrDeadlineExceeded
		case <-wake: // a new deadline
		}
	}
	n := copy(p, d.pending)
	d.pending = d.pending[n:]
	return n, nil
}

// SetReadDeadline sets the deadline of Read (not of the underlying
// connection, which the link reads on its own).
func (d *delayConn) SetReadDeadline(t time.Time) error {
	d.dmu.Lock()
	defer d.dmu.Unlock()
	d.deadline = t
	close(d.wake)
	d.wake = make(chan struct{})
	return nil
}

// SetWriteDeadline: writes are queued, never blocked by the client.
func (d *delayConn) SetWriteDeadline(time.Time) error { return nil }

func (d *delayConn) SetDeadline(t time.Time) error { return d.SetReadDeadline(t) }

func (d *delayConn) Write(p []byte) (int, error) {
	select {
	case <-d.closed:
		return 0, net.ErrClosed
	default:
	}
	d.out <- chunk{b: append([]byte(nil), p...), at: time.Now().Add(d.half)}
	return len(p), nil
}

// writeLoop sends the server's bytes to the client when they are due.
func (d *delayConn) writeLoop() {
	defer close(d.writeDone)
	send := func(c chunk) bool {
		if wait := time.Until(c.at); wait > 0 {
			time.Sleep(wait)
		}
		_, err := d.Conn.Write(c.b)
		return err == nil
	}
	for {
		select {
		case c := <-d.out:
			if !send(c) {
				return
			}
		case <-d.closed:
			// What was written before Close still goes out, in time.
			for {
				select {
				case c := <-d.out:
					if !send(c) {
						return
					}
				default:
					return
				}
			}
		}
	}
}

func (d *delayConn) Close() error {
	d.closeOnce.Do(func() { close(d.closed) })
	<-d.writeDone
	return d.Conn.Close()
}

var _ net.Conn = (*delayConn)(nil)
