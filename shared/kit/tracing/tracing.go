// Package tracing records a function's calls to other services as X-Ray
// subsegments of the invocation's trace, and hands the trace on.
//
// Lambda with active tracing writes the function's own segment; it gives
// each invocation its trace header (Root, Parent: the function's segment,
// Sampled), which aws-lambda-go puts in the invocation's context. A
// subsegment is a JSON document sent by UDP to the X-Ray daemon at
// AWS_XRAY_DAEMON_ADDRESS (Lambda runs one beside every function), one
// datagram per call, as the X-Ray SDKs do in Lambda: nothing is buffered,
// nothing is sent when the invocation is not sampled or the address is
// unset (make run, the tests), and a daemon that is not there costs a
// dropped datagram.
//
// The X-Ray SDK for Go does the same with a dependency on the v1 AWS SDK
// and a plugin per client; OpenTelemetry needs a collector layer in every
// function. This package is the part of the segment-document format a
// function needs (name, ids, times, the AWS and HTTP fields, error, fault,
// throttle, cause) on the standard library: its cost at start is one
// unconnected UDP socket (the figures in docs/PERFORMANCE.md).
//
// What a subsegment may hold: the service and operation, the request id
// AWS answered with, the HTTP method, the URL's scheme and host (never its
// path or query, which may name a user), the status, and an error's log
// code (logsafe.Code: never its message).
package tracing

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/partner-identity/api/shared/kit/logsafe"
)

// EnvDaemonAddress is where Lambda's X-Ray daemon listens: "host:port", or
// "tcp:host:port udp:host:port".
const EnvDaemonAddress = "AWS_XRAY_DAEMON_ADDRESS"

// HeaderName is the HTTP header (and the SQS message system attribute's
// value) that carries a trace to the next service.
const HeaderName = "X-Amzn-Trace-Id"

// lambdaTraceKey is the context key under which aws-lambda-go puts an
// invocation's trace header (Lambda-Runtime-Trace-Id).
const lambdaTraceKey = "x-amzn-trace-id"

// daemonHeader opens every datagram, as the daemon's protocol asks.
const daemonHeader = "{\"format\": \"json\", \"version\": 1}\n"

// Header is a parsed trace header.
type Header struct {
	Root, Parent string
	Sampled      bool
}

// Parse reads a trace header ("Root=1-...;Parent=...;Sampled=1"); false
// without a root.
func Parse(s string) (Header, bool) {
	var h Header
	for part := range strings.SplitSeq(s, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Root":
			h.Root = v
		case "Parent":
			h.Parent = v
		case "Sampled":
			h.Sampled = v == "1"
		}
	}
	return h, h.Root != ""
}

// String is the header's wire form.
func (h Header) String() string {
	s := "Root=" + h.Root
	if h.Parent != "" {
		s += ";Parent=" + h.Parent
	}
	if h.Sampled {
		return s + ";Sampled=1"
	}
	return s + ";Sampled=0"
}

// FromContext is the trace of the invocation ctx belongs to.
func FromContext(ctx context.Context) (Header, bool) {
	s, _ := ctx.Value(lambdaTraceKey).(string)
	if s == "" {
		return Header{}, false
	}
	return Parse(s)
}

// WithHeader is ctx carrying trace header h, as an invocation's context
// carries it (for the local runners and the tests).
func WithHeader(ctx context.Context, h string) context.Context {
	return context.WithValue(ctx, lambdaTraceKey, h) //nolint:staticcheck // aws-lambda-go's own key
}

// Emitter sends subsegments to a daemon.
type Emitter struct {
	conn net.Conn
	// Sent counts the documents written.
	Sent atomic.Int64
}

var std atomic.Pointer[Emitter]

// Setup makes the emitter of the daemon at AWS_XRAY_DAEMON_ADDRESS the one
// Start sends to; none when the variable is unset or unusable.
func Setup(getenv func(string) string) *Emitter {
	e := New(getenv(EnvDaemonAddress))
	std.Store(e)
	return e
}

// New is an emitter to addr (the daemon address's forms); nil for "" or an
// address that cannot be used.
func New(addr string) *Emitter {
	for part := range strings.FieldsSeq(addr) {
		if rest, ok := strings.CutPrefix(part, "udp:"); ok {
			addr = rest
			break
		}
	}
	if addr == "" || strings.HasPrefix(addr, "tcp:") {
		return nil
	}
	conn, err := net.Dial("udp", addr)
	if err != nil {
		return nil
	}
	return &Emitter{conn: conn}
}

// Subsegment is one call in progress; a nil one (an untraced call) does
// nothing.
type Subsegment struct {
	e      *Emitter
	doc    document
	header Header
}

type document struct {
	Name      string      `json:"name"`
	ID        string      `json:"id"`
	TraceID   string      `json:"trace_id"`
	ParentID  string      `json:"parent_id"`
	Type      string      `json:"type"`
	Namespace string      `json:"namespace,omitempty"`
	Start     float64     `json:"start_time"`
	End       float64     `json:"end_time"`
	Error     bool        `json:"error,omitempty"`
	Fault     bool        `json:"fault,omitempty"`
	Throttle  bool        `json:"throttle,omitempty"`
	AWS       *AWS        `json:"aws,omitempty"`
	HTTP      *httpFields `json:"http,omitempty"`
	Cause     *cause      `json:"cause,omitempty"`
}

// AWS is what a subsegment of an AWS call says of it.
type AWS struct {
	Operation string `json:"operation,omitempty"`
	Region    string `json:"region,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	Retries   int    `json:"retries,omitempty"`
}

type httpFields struct {
	Request  *httpRequest  `json:"request,omitempty"`
	Response *httpResponse `json:"response,omitempty"`
}

type httpRequest struct {
	Method string `json:"method,omitempty"`
	URL    string `json:"url,omitempty"`
}

type httpResponse struct {
	Status int `json:"status,omitempty"`
}

type cause struct {
	Exceptions []exception `json:"exceptions"`
}

type exception struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Message string `json:"message"`
}

// Start begins a subsegment named name (the service, or a remote host) in
// namespace ("aws" or "remote") under ctx's invocation; nil when the
// invocation is not sampled or no emitter is set up.
func Start(ctx context.Context, name, namespace string) *Subsegment {
	e := std.Load()
	if e == nil {
		return nil
	}
	h, ok := FromContext(ctx)
	if !ok || !h.Sampled || h.Parent == "" {
		return nil
	}
	s := &Subsegment{e: e, header: h}
	s.doc = document{Name: name, ID: newID(), TraceID: h.Root, ParentID: h.Parent, Type: "subsegment", Namespace: namespace, Start: seconds(time.Now())}
	return s
}

// Header is the trace header that makes this call the parent of what the
// called service records ("" for nil).
func (s *Subsegment) Header() string {
	if s == nil {
		return ""
	}
	return Header{Root: s.header.Root, Parent: s.doc.ID, Sampled: true}.String()
}

// SetAWS records the AWS call's fields.
func (s *Subsegment) SetAWS(a AWS) {
	if s != nil {
		s.doc.AWS = &a
	}
}

// SetHTTP records the request's method and the URL's scheme and host.
func (s *Subsegment) SetHTTP(method, scheme, host string) {
	if s != nil {
		s.doc.HTTP = &httpFields{Request: &httpRequest{Method: method, URL: scheme + "://" + host}}
	}
}

// End closes the subsegment with the answer's status (0 when none came)
// and err, and sends it: 429 is a throttle, another 4xx an error, a 5xx or
// no answer a fault.
func (s *Subsegment) End(status int, err error) {
	if s == nil {
		return
	}
	s.doc.End = seconds(time.Now())
	if status != 0 {
		if s.doc.HTTP == nil {
			s.doc.HTTP = &httpFields{}
		}
		s.doc.HTTP.Response = &httpResponse{Status: status}
	}
	switch {
	case status == 429:
		s.doc.Error, s.doc.Throttle = true, true
	case status >= 400 && status < 500:
		s.doc.Error = true
	case status >= 500 || (status == 0 && err != nil):
		s.doc.Fault = true
	}
	if err != nil {
		code := logsafe.Code(err)
		s.doc.Cause = &cause{Exceptions: []exception{{ID: newID(), Type: code, Message: code}}}
	}
	s.e.send(&s.doc)
}

func (e *Emitter) send(doc *document) {
	b, err := json.Marshal(doc)
	if err != nil {
		return
	}
	if _, err := e.conn.Write(append([]byte(daemonHeader), b...)); err == nil {
		e.Sent.Add(1)
	}
}

// newID is a subsegment id: 64 random bits in hex.
func newID() string {
	s := strconv.FormatUint(rand.Uint64(), 16)
	return strings.Repeat("0", 16-len(s)) + s
}

func seconds(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }
