package partners

import (
	"errors"
	"strings"
	"testing"
)

func TestKeyFormat(t *testing.T) {
	for key, want := range map[string]error{
		"":                            errKeyMissing,
		strings.Repeat("a", 19):       errKeyFormat,
		strings.Repeat("a", 20):       nil,
		strings.Repeat("Z", 128):      nil,
		strings.Repeat("a", 129):      errKeyFormat,
		"abc_DEF-0123456789xyz":       nil,
		"abc DEF 0123456789xyz":       errKeyFormat,
		"abc+DEF/0123456789xyz=":      errKeyFormat,
		"abcDEF0123456789xyzé":        errKeyFormat,
		"abcDEF0123456789xyz\x00abcd": errKeyFormat,
	} {
		if got := CheckKey(key); !errors.Is(got, want) && !(got == nil && want == nil) {
			t.Errorf("CheckKey(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestAuthenticate(t *testing.T) {
	r, err := Parse([]byte(`{"partners":[
	 {"id":"a","apiKeySha256":["` + KeyDigest("key_a_current_000000000") + `","` + KeyDigest("key_a_previous_00000000") + `"],"flow":"API"},
	 {"id":"b","apiKeySha256":["` + KeyDigest("key_b_current_000000000") + `"],"flow":"WIDGET"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"key_a_current_000000000":  "a",
		"key_a_previous_00000000":  "a",
		"key_b_current_000000000":  "b",
		"key_c_unknown_000000000":  "",
		"KEY_A_CURRENT_000000000":  "",
		"key_a_current_0000000000": "",
	} {
		p, err := r.Authenticate(key)
		switch {
		case want == "" && !errors.Is(err, errKeyInvalid):
			t.Errorf("%s: want errKeyInvalid, got %v %v", key, p, err)
		case want != "" && (err != nil || p.ID != want):
			t.Errorf("%s: want partner %s, got %v %v", key, want, p, err)
		}
	}
}

func TestFlows(t *testing.T) {
	api, widget, other := &Partner{Flow: FlowAPI}, &Partner{Flow: FlowWidget}, &Partner{Flow: "SUSPENDED"}
	for _, op := range []Operation{OpCreateUser, OpReadUser, OpOpenKYCSession, OpMintUserToken} {
		if !api.MayCall(op) || other.MayCall(op) {
			t.Fatalf("op %d", op)
		}
		if widget.MayCall(op) != (op != OpOpenKYCSession) {
			t.Fatalf("widget op %d", op)
		}
	}
}

func TestParseRejectsBadRegistries(t *testing.T) {
	d := KeyDigest("key_a_current_000000000")
	for name, doc := range map[string]string{
		"not JSON":       `{`,
		"unknown field":  `{"partners":[],"extra":1}`,
		"missing id":     `{"partners":[{"apiKeySha256":["` + d + `"]}]}`,
		"duplicate id":   `{"partners":[{"id":"a"},{"id":"a"}]}`,
		"id with #":      `{"partners":[{"id":"a#b"}]}`,
		"short digest":   `{"partners":[{"id":"a","apiKeySha256":["abcd"]}]}`,
		"digest twice":   `{"partners":[{"id":"a","apiKeySha256":["` + d + `"]},{"id":"b","apiKeySha256":["` + d + `"]}]}`,
		"non-hex digest": `{"partners":[{"id":"a","apiKeySha256":["` + strings.Repeat("z", 64) + `"]}]}`,
	} {
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestWebhookURLRules(t *testing.T) {
	doc := func(url string) []byte {
		return []byte(`{"partners":[{"id":"a","webhook":{"url":"` + url + `"}}]}`)
	}
	for _, c := range []struct {
		url             string
		local, inLambda bool // accepted by Parse, by ParseForLambda
	}{
		{"", true, true},
		{"https://hooks.acme.example/identity", true, true},
		{"https://hooks.acme.example:443/identity?x=1", true, true},
		{"https://hooks.acme.example:8443/identity", true, false},
		{"https://hooks.acme.example:22/identity", true, false},
		{"http://hooks.acme.example/identity", false, false},
		{"http://127.0.0.1:8080/hooks", true, false},
		{"http://localhost:8080/hooks", true, false},
		{"http://[::1]:8080/hooks", true, false},
		{"http://10.0.0.5/hooks", false, false},
		{"https://10.0.0.5/hooks", true, false},
		{"https://[2001:db8::1]/hooks", true, false},
		{"https://localhost/hooks", true, false},
		{"https://intranet/hooks", true, false},
		{"https://user:pass@hooks.acme.example/", false, false},
		{"https://hooks.acme.example/#frag", false, false},
		{"ftp://hooks.acme.example/", false, false},
		{"hooks.acme.example/identity", false, false},
		{"/relative", false, false},
	} {
		_, errLocal := Parse(doc(c.url))
		_, errLambda := ParseForLambda(doc(c.url))
		if (errLocal == nil) != c.local || (errLambda == nil) != c.inLambda {
			t.Errorf("%q: local %v, in Lambda %v; want accepted %v, %v", c.url, errLocal, errLambda, c.local, c.inLambda)
		}
		if errLambda != nil && !strings.Contains(errLambda.Error(), "partner a: webhook.url must") {
			t.Errorf("%q: unclear error %q", c.url, errLambda)
		}
	}
}
