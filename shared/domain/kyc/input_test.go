package kyc

import (
	"strings"
	"testing"
)

func TestRedirectRules(t *testing.T) {
	refused := []string{
		"javascript:alert(1)",
		"JaVaScRiPt://alert(1)",
		"javascript://example.com/%0Aalert(1)",
		"data:text/html;base64,PHNjcmlwdD4=",
		"data://text/html,x",
		"file:///etc/passwd",
		"vbscript:msgbox(1)",
		"vbscript://x",
		"blob:https://example.com/uuid",
		"about:blank",
		"ftp://files.example.com/x",
		"http://example.com/done",
		"http://localhost.evil.example/done",
		"/relative/path",
		"relative/path",
		"//example.com/protocol-relative",
		"https://",
		"https:///nohost",
		"https://user:pass@example.com/",
		"https://example.com/with space",
		"https://example.com/\u0000",
		"https://exämple.com/",
		"myapp:no-slashes",
		"://missing-scheme",
		"1app://bad-scheme-start",
		"https://" + strings.Repeat("a", 2048),
		"",
	}
	for _, uri := range refused {
		if checkRedirectURI(uri) == "" {
			t.Errorf("accepted %q", uri)
		}
	}
	accepted := []string{
		"https://app.acme.example/kyc/done",
		"https://app.acme.example/kyc/done?state=abc#frag",
		"HTTPS://APP.ACME.EXAMPLE/",
		"myapp://callback",
		"myapp://",
		"com.acme.app://kyc/done?x=1",
		"acme-pay+v2://done",
		"http://localhost:8080/kyc",
		"http://127.0.0.1/kyc",
		"http://[::1]:3000/kyc",
	}
	for _, uri := range accepted {
		if issue := checkRedirectURI(uri); issue != "" {
			t.Errorf("refused %q: %s", uri, issue)
		}
	}
}

func TestBuildLink(t *testing.T) {
	if got := buildLink("https://verify.example.com/s/{sessionId}", "abc", ""); got != "https://verify.example.com/s/abc" {
		t.Fatal(got)
	}
	got := buildLink("https://verify.example.com/s/{sessionId}?lang=es", "abc", "myapp://kyc/done?x=1&y=2")
	if got != "https://verify.example.com/s/abc?lang=es&redirect_uri=myapp%3A%2F%2Fkyc%2Fdone%3Fx%3D1%26y%3D2" {
		t.Fatal(got)
	}
}
