package tokens

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/partner-identity/api/shared/domain/servicekeys"
)

// minted is a token of user u1 of partner p1, minted at now with the
// development keys.
func minted(t testing.TB) (*servicekeys.Keys, time.Time, Minted) {
	t.Helper()
	keys, err := servicekeys.Parse([]byte(testKeys))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	m, err := Mint(keys, "u1", "p1", now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return keys, now, m
}

func TestVerifierRemembersVerifiedTokensOnly(t *testing.T) {
	keys, now, m := minted(t)
	calls := 0
	v := &Verifier{verify: func(k *servicekeys.Keys, tok string, at time.Time, max time.Duration) (*Claims, error) {
		calls++
		return Verify(k, tok, at, max)
	}}
	for i := 0; i < 3; i++ {
		c, err := v.Verify(keys, m.Token, now.Add(time.Duration(i)*time.Minute))
		if err != nil || c.Subject != "u1" || c.PartnerID != "p1" {
			t.Fatalf("call %d: %+v, %v", i, c, err)
		}
	}
	if calls != 1 {
		t.Fatalf("%d full verifications for one token, want 1", calls)
	}

	// Other bytes are verified in full, and refused.
	tampered := tamperSignature(t, m.Token)
	if _, err := v.Verify(keys, tampered, now); !errors.Is(err, ErrInvalid) {
		t.Fatalf("tampered token: %v", err)
	}
	if _, err := v.Verify(keys, tampered, now); !errors.Is(err, ErrInvalid) || calls != 3 {
		t.Fatalf("a refused token is not remembered: %v, %d calls", err, calls)
	}

	// Past its expiry (and the leeway) the remembered token is expired.
	if _, err := v.Verify(keys, m.Token, now.Add(time.Hour+leeway)); !errors.Is(err, ErrExpired) {
		t.Fatalf("expired remembered token: %v", err)
	}

	// A key set fetched since (rotation) verifies again; a token of a key
	// no longer listed is refused.
	nextSigning, _ := servicekeys.Generate("next")
	other, err := servicekeys.Parse(nextSigning)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(other, m.Token, now); !errors.Is(err, ErrInvalid) {
		t.Fatalf("token of a removed key: %v", err)
	}
}

// FuzzVerify: any string is refused (ErrInvalid or ErrExpired) unless it is
// a token signed with the service key (Ed25519 signatures are
// deterministic: the signature must be the key's over the token's first two
// parts); never a panic. The property names no one token: each fuzz worker
// is a process of its own, whose minted token (a random jti) is not the
// seed's.
func FuzzVerify(f *testing.F) {
	keys, now, m := minted(f)
	for _, s := range []string{m.Token, "", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", m.Token + "x", m.Token[:len(m.Token)-5],
		"eyJhbGciOiJIUzI1NiIsImtpZCI6ImRldiJ9.eyJzdWIiOiJ1MSJ9.c2ln"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := Verify(keys, tok, now, 0)
		if err == nil {
			priv, _ := keys.Signing[0].Private()
			dot := strings.LastIndexByte(tok, '.')
			sig, decErr := base64.RawURLEncoding.DecodeString(tok[dot+1:])
			if c.Subject != "u1" || decErr != nil || !bytes.Equal(sig, ed25519.Sign(priv, []byte(tok[:dot]))) {
				t.Fatalf("accepted %q", tok)
			}
			return
		}
		if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrExpired) {
			t.Fatalf("%q: %v", tok, err)
		}
	})
}

// TestMintWritesWhatTheLibraryWrites: a minted token is, byte for byte, the
// token jwt.Token.SignedString makes of its claims (Ed25519 signatures are
// deterministic), and it verifies.
func TestMintWritesWhatTheLibraryWrites(t *testing.T) {
	keys, now, m := minted(t)
	parts := strings.Split(m.Token, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c Claims
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	lib := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	lib.Header["kid"] = keys.Signing[0].ID
	priv, _ := keys.Signing[0].Private()
	want, err := lib.SignedString(priv)
	if err != nil {
		t.Fatal(err)
	}
	if m.Token != want {
		t.Fatalf("minted\n%s\nthe library\n%s", m.Token, want)
	}
	if v, err := Verify(keys, m.Token, now, 0); err != nil || v.Subject != "u1" || v.PartnerID != "p1" || !v.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("verify: %+v %v", v, err)
	}
}

// TestWarmVerify: the warm-up's key is a valid point and its false
// signature is refused (so it reaches the verification tables), and a real
// verification after it still works.
func TestWarmVerify(t *testing.T) {
	WarmVerify()
	pub := make(ed25519.PublicKey, ed25519.PublicKeySize)
	pub[0] = 1
	if ed25519.Verify(pub, []byte("warm-up"), make([]byte, ed25519.SignatureSize)) {
		t.Fatal("the false signature verified")
	}
	keys, now, m := minted(t)
	if _, err := Verify(keys, m.Token, now, 0); err != nil {
		t.Fatal(err)
	}
}

// tamperSignature changes one character in the middle of the token's
// signature to another, so that six bits of the signature differ whatever
// the token (the last character may carry only padding bits, and an
// overwrite with a fixed value can leave a token unchanged).
func tamperSignature(t *testing.T, token string) string {
	t.Helper()
	i := strings.LastIndexByte(token, '.') + 20
	c := byte('A')
	if token[i] == c {
		c = 'B'
	}
	tampered := token[:i] + string(c) + token[i+1:]
	if tampered == token {
		t.Fatal("tampering changed nothing")
	}
	return tampered
}

// TestOneEncodingPerToken: of the 64 characters that can end each segment
// of a token, only the one the minter wrote verifies; a lenient decoder
// accepts every character that differs from it in the unused low bits.
func TestOneEncodingPerToken(t *testing.T) {
	keys, now, m := minted(t)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	parts := strings.Split(m.Token, ".")
	for i := range parts {
		accepted, lenient := 0, 0
		for _, c := range alphabet {
			p := append([]string(nil), parts...)
			p[i] = p[i][:len(p[i])-1] + string(c)
			if _, err := base64.RawURLEncoding.DecodeString(p[i]); err == nil {
				if b, _ := base64.RawURLEncoding.DecodeString(parts[i]); bytes.Equal(b, mustDecode(p[i])) {
					lenient++
				}
			}
			if _, err := Verify(keys, strings.Join(p, "."), now, 0); err == nil {
				accepted++
			}
		}
		if accepted != 1 {
			t.Errorf("segment %d: %d encodings of its last character verify, want 1 (a lenient decoder reads %d as the same bytes)", i, accepted, lenient)
		}
	}
}

func mustDecode(s string) []byte {
	b, _ := base64.RawURLEncoding.DecodeString(s)
	return b
}

// TestLifetimeBoundedByTheConfiguredTTL: a token whose exp - iat exceeds
// the configured lifetime is invalid, even signed with the real key.
func TestLifetimeBoundedByTheConfiguredTTL(t *testing.T) {
	keys, now, _ := minted(t)
	for _, c := range []struct {
		ttl, max time.Duration
		ok       bool
	}{
		{time.Hour, 0, true},
		{time.Hour + time.Second, 0, false},
		{10 * 365 * 24 * time.Hour, 0, false},
		{2 * time.Hour, 2 * time.Hour, true},
		{2 * time.Hour, time.Hour, false},
	} {
		m, err := Mint(keys, "u1", "p1", now, c.ttl)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Verify(keys, m.Token, now, c.max)
		if (err == nil) != c.ok {
			t.Errorf("lifetime %v, maximum %v: %v", c.ttl, c.max, err)
		}
	}
}

// testKeys is a service keys document of fixed keys.
const testKeys = `{"tokenSigningKeys":[{"kid":"dev","ed25519Seed":"ZGV2LW9ubHktZWQyNTUxOS1zZWVkLTAwMDAwMDAwMDA=",` +
	`"ed25519PublicKey":"xQr6i7Zf+MuaNrHxabCEHtMsJqB6aCETCheuEXUoByc="}],` +
	`"identifierPepper":"ZGV2LW9ubHktaWRlbnRpZmllci1wZXBwZXItMDAwMDAwMDA="}`
