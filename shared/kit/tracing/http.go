package tracing

import "net/http"

// Transport records each request through Base (http.DefaultTransport when
// nil) as a "remote" subsegment named by its host: the KYC provider's
// API, a partner's webhook endpoint. The trace header is not sent on: it
// is the deployment's, not the receiver's business.
type Transport struct{ Base http.RoundTripper }

func (t Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	s := Start(r.Context(), r.URL.Hostname(), "remote")
	if s == nil {
		return base.RoundTrip(r)
	}
	s.SetHTTP(r.Method, r.URL.Scheme, r.URL.Host)
	resp, err := base.RoundTrip(r)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	s.End(status, err)
	return resp, err
}

// Client is c with its transport traced (c itself is left as it is).
func Client(c *http.Client) *http.Client {
	t := *c
	t.Transport = Transport{Base: c.Transport}
	return &t
}

// CloseIdleConnections closes Base's idle connections, as http.Client's
// own does for a transport that can.
func (t Transport) CloseIdleConnections() {
	if c, ok := t.Base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
