package partners

import (
	"errors"
	"strings"
	"testing"
)

func TestKeyFormat(t *testing.T) {
	for key, want := range map[string]error{
		"":                            ErrKeyMissing,
		strings.Repeat("a", 19):       ErrKeyFormat,
		strings.Repeat("a", 20):       nil,
		strings.Repeat("Z", 128):      nil,
		strings.Repeat("a", 129):      ErrKeyFormat,
		"abc_DEF-0123456789xyz":       nil,
		"abc DEF 0123456789xyz":       ErrKeyFormat,
		"abc+DEF/0123456789xyz=":      ErrKeyFormat,
		"abcDEF0123456789xyzé":        ErrKeyFormat,
		"abcDEF0123456789xyz\x00abcd": ErrKeyFormat,
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
		case want == "" && !errors.Is(err, ErrKeyInvalid):
			t.Errorf("%s: want ErrKeyInvalid, got %v %v", key, p, err)
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
