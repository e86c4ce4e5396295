// Package apitest drives handlers in tests: every response is checked
// against docs/openapi.yaml, and every credential or personal value sent is
// remembered so that the suite's captured logs can be searched for it.
package apitest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/partner-identity/api/shared/http/surface"
	"github.com/partner-identity/api/shared/testkit/openapitest"
)

// Client sends requests to a handler.
type Client struct {
	t       testing.TB
	h       http.Handler
	doc     *openapitest.Doc
	matcher *http.ServeMux
	// fuzzing: the values sent are not markers for the log scan (a fuzzer's
	// "a" or "1" is in any log line).
	fuzzing bool
}

// Fuzzing is c for one fuzz input: it fails t, and what it sends is not
// remembered as a marker.
func (c *Client) Fuzzing(t testing.TB) *Client {
	cp := *c
	cp.t, cp.fuzzing = t, true
	return &cp
}

// New returns a client of h that checks every response against the document.
func New(t testing.TB, h http.Handler) *Client {
	doc, err := openapitest.Load()
	if err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	m := http.NewServeMux()
	for _, rt := range surface.All() {
		m.Handle(rt.Pattern, http.NotFoundHandler())
	}
	return &Client{t: t, h: h, doc: doc, matcher: m}
}

// Response is what came back.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic value.
func (r *Response) JSON() map[string]any {
	var v map[string]any
	_ = json.Unmarshal(r.Body, &v)
	return v
}

// Headers of a request.
type Headers map[string]string

// Do sends one request and checks the response against the document.
func (c *Client) Do(method, target string, h Headers, body string) *Response {
	c.t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range h {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	if !c.fuzzing {
		remember(req, body)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	res := &Response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	c.check(req, []byte(body), res)
	return res
}

func (c *Client) check(req *http.Request, body []byte, res *Response) {
	c.t.Helper()
	if res.Header.Get("X-Request-Id") == "" {
		c.t.Errorf("%s %s: no X-Request-Id", req.Method, req.URL.Path)
	}
	// The public JWK Set's success is the one answer a cache may keep.
	cacheable := req.URL.Path == "/.well-known/jwks.json" && res.Status == http.StatusOK
	if (res.Header.Get("Cache-Control") != "no-store") != cacheable || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		c.t.Errorf("%s %s: Cache-Control %q, X-Content-Type-Options %q; want no-store and nosniff on every response",
			req.Method, req.URL.Path, res.Header.Get("Cache-Control"), res.Header.Get("X-Content-Type-Options"))
	}
	_, pattern := c.matcher.Handler(req)
	if pattern == "" {
		return // an unmatched path: not an operation of the document
	}
	if err := c.doc.Check(req, body, res.Status, res.Header, res.Body); err != nil {
		c.t.Errorf("%s: the exchange does not match docs/openapi.yaml: %v\nrequest: %s\nresponse: %s", pattern, err, body, res.Body)
	}
}

// Markers: values that must never reach a log line.
var markers struct {
	sync.Mutex
	set map[string]struct{}
}

// sensitive headers and body fields; enum-like fields are left out.
var (
	sensitiveHeaders = []string{"partner-api-key", "User-Identifier", "User-Authorization", "Authorization"}
	// (A webhook endpoint's id and its event types are the partner's
	// configuration, which logs name; never a user's data.)
	insensitiveJSON = map[string]bool{"type": true, "method": true, "country": true, "partnerId": true, "endpointId": true, "enabledEvents": true,
		"outcome": true, "scenario": true, "mode": true}
	// The events API's filters: event types and delivery statuses, which logs name.
	insensitiveQuery = map[string]bool{"type": true, "status": true, "limit": true}
)

// Remember adds a value that must not appear in logs.
func Remember(v string) {
	if len(v) < 5 {
		return
	}
	markers.Lock()
	if markers.set == nil {
		markers.set = map[string]struct{}{}
	}
	markers.set[v] = struct{}{}
	markers.Unlock()
}

func remember(req *http.Request, body string) {
	for _, h := range sensitiveHeaders {
		v := req.Header.Get(h)
		Remember(v)
		Remember(strings.TrimPrefix(v, "Bearer "))
	}
	for k, vs := range req.URL.Query() {
		for _, v := range vs {
			if !insensitiveQuery[k] {
				Remember(v)
			}
		}
	}
	var v any
	if json.NewDecoder(bytes.NewReader([]byte(body))).Decode(&v) == nil {
		walk(v, "")
	}
}

func walk(v any, key string) {
	switch x := v.(type) {
	case string:
		if !insensitiveJSON[key] {
			Remember(x)
		}
	case map[string]any:
		for k, e := range x {
			walk(e, k)
		}
	case []any:
		for _, e := range x {
			walk(e, key)
		}
	}
}

// Markers returns the remembered values.
func Markers() []string {
	markers.Lock()
	defer markers.Unlock()
	out := make([]string, 0, len(markers.set))
	for m := range markers.set {
		out = append(out, m)
	}
	return out
}
