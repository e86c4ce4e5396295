// Package xraydaemon is a stand-in for the X-Ray daemon Lambda runs beside
// a function: a UDP socket on loopback that keeps the segment documents it
// is sent (its address is AWS_XRAY_DAEMON_ADDRESS).
package xraydaemon

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/kit/tracing"
)

// header opens every datagram, per the daemon's protocol.
const header = "{\"format\": \"json\", \"version\": 1}\n"

// Daemon receives datagrams.
type Daemon struct {
	conn *net.UDPConn
}

// Start listens on 127.0.0.1 on a free port until the test ends.
func Start(t testing.TB) *Daemon {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &Daemon{conn: conn}
}

// Addr is the value of AWS_XRAY_DAEMON_ADDRESS.
func (d *Daemon) Addr() string { return d.conn.LocalAddr().String() }

// Doc is a segment document as sent.
type Doc map[string]any

// Str is field k of the document (dotted for a nested one: "aws.operation").
func (d Doc) Str(k string) string {
	var v any = map[string]any(d)
	for _, part := range bytes.Split([]byte(k), []byte(".")) {
		m, _ := v.(map[string]any)
		v = m[string(part)]
	}
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// Received is every document sent so far. Datagrams sent before the call
// are in the socket's buffer already (a function sends a call's document
// before it answers): the read stops once nothing more has come for
// quiet.
func (d *Daemon) Received(t testing.TB, quiet time.Duration) []Doc {
	t.Helper()
	var docs []Doc
	buf := make([]byte, 64<<10)
	for {
		d.conn.SetReadDeadline(time.Now().Add(quiet))
		n, _, err := d.conn.ReadFromUDP(buf)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return docs
		}
		if err != nil {
			t.Fatal(err)
		}
		body, ok := bytes.CutPrefix(buf[:n], []byte(header))
		if !ok {
			t.Fatalf("a datagram without the daemon's header: %q", buf[:n])
		}
		var doc Doc
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("not a JSON document: %q", body)
		}
		docs = append(docs, doc)
	}
}

// Traced starts a daemon and makes it the one tracing sends to until the
// test ends (as AWS_XRAY_DAEMON_ADDRESS would in Lambda).
func Traced(t testing.TB) *Daemon {
	t.Helper()
	d := Start(t)
	tracing.Setup(func(k string) string {
		if k == tracing.EnvDaemonAddress {
			return "tcp:" + d.Addr() + " udp:" + d.Addr() // Lambda's two-address form
		}
		return ""
	})
	t.Cleanup(func() { tracing.Setup(func(string) string { return "" }) })
	return d
}
