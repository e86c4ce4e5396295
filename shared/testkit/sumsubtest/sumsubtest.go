// Package sumsubtest is a stand-in for Sumsub's API in tests: it checks
// each request as Sumsub's API reference documents it (method, path,
// content type, X-App-Token, X-App-Access-Ts, and X-App-Access-Sig computed
// here on its own: the hex HMAC-SHA256 with the secret key of timestamp +
// method + path with query + body), records it, and answers as told.
package sumsubtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Credentials of the stand-in's account.
const (
	AppToken  = "sbx:uY0CgwELmgUAEyl4hNWxLngb.0WSeQeiYny4WEqmAALEAiK2qTC96fBad"
	SecretKey = "Hej2ch71kG2kTd1iIUDZFNsO5C1lh5Gq"
	// LinkURL is the link it answers by default.
	LinkURL = "https://in.sumsub.com/websdk/p/sbx_uY0CgwELmgUAEyl4"
)

// Server is the stand-in.
type Server struct {
	*httptest.Server
	// Now is the time the requests' X-App-Access-Ts must say (within a
	// second); the real clock when nil.
	Now     func() time.Time
	mu      sync.Mutex
	refused int
	bodies  []map[string]any
	answer  func(w http.ResponseWriter)
}

// New starts a stand-in answering every checked request with LinkURL.
func New(t testing.TB) *Server {
	s := &Server{answer: func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"url":"` + LinkURL + `"}`))
	}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Answer sets how the stand-in answers a checked request.
func (s *Server) Answer(a func(w http.ResponseWriter)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answer = a
}

// Refused counts the requests whose check failed (answered 401, as Sumsub
// does for a bad signature).
func (s *Server) Refused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

// Bodies are the checked requests' bodies, in order.
func (s *Server) Bodies() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.bodies...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	ts := r.Header.Get("X-App-Access-Ts")
	sec, err := strconv.ParseInt(ts, 10, 64)
	m := hmac.New(sha256.New, []byte(SecretKey))
	m.Write([]byte(ts + r.Method + r.URL.RequestURI()))
	m.Write(body)
	var b map[string]any
	ok := r.Method == http.MethodPost && r.URL.Path == "/resources/sdkIntegrations/levels/-/websdkLink" &&
		r.Header.Get("Content-Type") == "application/json" && r.Header.Get("X-App-Token") == AppToken &&
		err == nil && now().Sub(time.Unix(sec, 0)).Abs() <= time.Second &&
		hmac.Equal([]byte(r.Header.Get("X-App-Access-Sig")), []byte(hex.EncodeToString(m.Sum(nil)))) &&
		json.Unmarshal(body, &b) == nil
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok {
		s.refused++
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"description":"Request signature mismatch","code":401,"correlationId":"test","errorCode":4003}`))
		return
	}
	s.bodies = append(s.bodies, b)
	s.answer(w)
}
