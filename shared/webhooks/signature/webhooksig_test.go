package signature

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The Standard Webhooks specification's own example: secret, id,
// timestamp, body and the signature it gives.
func TestTheSpecificationsExample(t *testing.T) {
	key := MustSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	got := Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", []byte(`{"test": 2432232314}`))
	if got != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Fatalf("signature %s", got)
	}
}

func TestVerify(t *testing.T) {
	key, other := MustSecret("whsec_"+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))), MustSecret("whsec_"+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32)))
	now := time.Unix(1795428000, 0)
	body := []byte(`{"id":"evt_1"}`)
	h := http.Header{}
	SetHeaders(h, []Key{other, key}, "evt_1", body, now)
	if err := Verify(key, h, body, now.Add(4*time.Minute)); err != nil {
		t.Fatalf("the second of two signatures: %v", err)
	}
	// API Gateway's adapter splits a header value at its commas.
	split := h.Clone()
	split.Del(HeaderSignature)
	for _, part := range strings.Split(h.Get(HeaderSignature), ",") {
		split.Add(HeaderSignature, part)
	}
	if len(split.Values(HeaderSignature)) < 3 || Verify(key, split, body, now) != nil {
		t.Fatalf("a header split at its commas: %v", split.Values(HeaderSignature))
	}
	for name, c := range map[string]struct {
		h    func(http.Header)
		body []byte
		now  time.Time
		want error
	}{
		"another body":      {func(http.Header) {}, []byte(`{"id":"evt_2"}`), now, ErrSignature},
		"another id":        {func(h http.Header) { h.Set(HeaderID, "evt_2") }, body, now, ErrSignature},
		"no id":             {func(h http.Header) { h.Del(HeaderID) }, body, now, ErrMissing},
		"too old":           {func(http.Header) {}, body, now.Add(6 * time.Minute), ErrTimestamp},
		"too new":           {func(http.Header) {}, body, now.Add(-6 * time.Minute), ErrTimestamp},
		"former v1= scheme": {func(h http.Header) { h.Set(HeaderSignature, "v1="+strings.Repeat("0", 64)) }, body, now, ErrSignature},
	} {
		hc := h.Clone()
		c.h(hc)
		if err := Verify(key, hc, c.body, c.now); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}

func TestParseSecret(t *testing.T) {
	for s, ok := range map[string]bool{
		"whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 24)): true,
		"whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 64)): true,
		"whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 23)): false,
		"whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 65)): false,
		base64.StdEncoding.EncodeToString(make([]byte, 32)):            false,
		"whsec_not base64 at all, not at all, no":                      false,
		"": false,
	} {
		if _, err := ParseSecret(s); (err == nil) != ok {
			t.Errorf("%q: %v", s, err)
		}
	}
}
