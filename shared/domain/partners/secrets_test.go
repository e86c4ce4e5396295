package partners

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

func TestWebhookSecretRules(t *testing.T) {
	key := func(n int) string { return "whsec_" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, n)) }
	good, other := key(32), key(24)
	for _, c := range []struct {
		name, doc string
		keys      int
	}{
		{"one secret", `{"webhookSecrets":{"a":"` + good + `"}}`, 1},
		{"24 bytes", `{"webhookSecrets":{"a":"` + key(24) + `"}}`, 1},
		{"64 bytes", `{"webhookSecrets":{"a":"` + key(64) + `"}}`, 1},
		{"rotation: current and previous", `{"webhookSecrets":{"a":["` + good + `","` + other + `"]}}`, 2},
		{"empty", `{"webhookSecrets":{"a":""}}`, 0},
		{"no prefix", `{"webhookSecrets":{"a":"` + good[6:] + `"}}`, 0},
		{"23 bytes", `{"webhookSecrets":{"a":"` + key(23) + `"}}`, 0},
		{"65 bytes", `{"webhookSecrets":{"a":"` + key(65) + `"}}`, 0},
		{"not base64", `{"webhookSecrets":{"a":"whsec_not*base64*at*all*not*base64*at*all*"}}`, 0},
		{"url-safe base64", `{"webhookSecrets":{"a":"whsec_` + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32)) + `"}}`, 0},
		{"a plain password", `{"webhookSecrets":{"a":"dev-webhook-secret-0123456789"}}`, 0},
		{"three secrets", `{"webhookSecrets":{"a":["` + good + `","` + other + `","` + good + `"]}}`, 0},
		{"an empty list", `{"webhookSecrets":{"a":[]}}`, 0},
		{"one bad of two", `{"webhookSecrets":{"a":["` + good + `","short"]}}`, 0},
		{"a number", `{"webhookSecrets":{"a":42}}`, 0},
		{"no document", `{}`, 0},
	} {
		s, err := ParseWebhookSecrets([]byte(c.doc))
		switch {
		case c.keys == 0 && err == nil:
			t.Errorf("%s: accepted", c.name)
		case c.keys == 0 && (strings.Contains(err.Error(), good[8:20]) || strings.Contains(err.Error(), "dev-webhook")):
			t.Errorf("%s: the error shows the secret: %v", c.name, err)
		case c.keys > 0 && (err != nil || len(s["a"]) != c.keys):
			t.Errorf("%s: %v, %d keys", c.name, err, len(s["a"]))
		}
	}
}
