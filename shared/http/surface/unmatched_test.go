package surface_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/partner-identity/api/shared/devdata"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/http/surface"
	"github.com/partner-identity/api/shared/lambda/app"
)

// TestUnmatchedAnswersAsTheMux: what API Gateway's $default route brings to
// unmatched-route gets the answer the local mux gives the same request:
// status, Allow, content type and body (request ids aside).
func TestUnmatchedAnswersAsTheMux(t *testing.T) {
	deps, err := devdata.Build(context.Background(), app.Config{}, devdata.Local{Memory: true})
	if err != nil {
		t.Fatal(err)
	}
	mux, unmatched := devdata.Mux(deps, nil), httpx.Unmatched(surface.All()...)
	id := regexp.MustCompile(`"id":"[0-9a-f]+"`)
	cases := []struct{ method, path string }{
		{"GET", "/api/partner/v2/nothing"}, {"PATCH", "/api/partner/v2/users/2f1c6b52-8d8e-4a55-9d53-3c8d2b0f4a11"},
		{"DELETE", "/api/partner/v2/users"}, {"GET", "/api/v2/user/nothing"}, {"PUT", "/api/v2/user/info"},
		{"GET", "/federated-identities/acme/x"}, {"POST", "/federated-identities"}, {"GET", "/"}, {"GET", "/api/v2/user//info"},
		{"GET", "/api/partner/v2/users/../users"},
		// HEAD is no route's method (ServeMux alone would serve it with
		// the GET route; API Gateway brings it to $default).
		{"HEAD", "/federated-identities"}, {"HEAD", "/api/v2/user/info"}, {"HEAD", "/api/partner/v2/api-keys"},
		{"HEAD", "/api/partner/v2/users/2f1c6b52-8d8e-4a55-9d53-3c8d2b0f4a11"},
	}
	for _, c := range cases {
		want, got := httptest.NewRecorder(), httptest.NewRecorder()
		mux.ServeHTTP(want, httptest.NewRequest(c.method, c.path, nil))
		unmatched.ServeHTTP(got, httptest.NewRequest(c.method, c.path, nil))
		if want.Code != got.Code || want.Header().Get("Allow") != got.Header().Get("Allow") ||
			want.Header().Get("Content-Type") != got.Header().Get("Content-Type") ||
			id.ReplaceAllString(want.Body.String(), "") != id.ReplaceAllString(got.Body.String(), "") {
			t.Errorf("%s %s: mux %d %v %s, unmatched %d %v %s", c.method, c.path, want.Code, want.Header(), want.Body, got.Code, got.Header(), got.Body)
		}
		if c.method == http.MethodHead && (want.Code != http.StatusMethodNotAllowed || !regexp.MustCompile(`\bGET\b`).MatchString(want.Header().Get("Allow"))) {
			t.Errorf("HEAD %s: %d Allow %q, want 405 allowing GET", c.path, want.Code, want.Header().Get("Allow"))
		}
		if want.Code != http.StatusNotFound && want.Code != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: %d is not an unmatched answer", c.method, c.path, want.Code)
		}
	}
}
