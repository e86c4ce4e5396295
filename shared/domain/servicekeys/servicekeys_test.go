package servicekeys

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// TestPublicKeyFromTheDocument: with ed25519PublicKey, parsing derives no
// private key (verification needs none); the first signature derives it,
// once, and checks it against the document.
func TestPublicKeyFromTheDocument(t *testing.T) {
	calls := 0
	deriveKey = func(seed []byte) ed25519.PrivateKey { calls++; return ed25519.NewKeyFromSeed(seed) }
	defer func() { deriveKey = ed25519.NewKeyFromSeed }()
	k, err := Parse([]byte(testDocument))
	if err != nil {
		t.Fatal(err)
	}
	if calls != 0 {
		t.Fatal("parse derived the private key")
	}
	priv, err := k.Signing[0].Private()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Signing[0].Private(); err != nil || calls != 1 {
		t.Fatalf("%d derivations after two signatures, want 1", calls)
	}
	if !k.Signing[0].Public.Equal(priv.Public()) {
		t.Fatal("public key is not the seed's")
	}
	sig := ed25519.Sign(priv, []byte("m"))
	if !ed25519.Verify(k.Signing[0].Public, []byte("m"), sig) {
		t.Fatal("signature does not verify")
	}
	// Without the public key, it is derived from the seed.
	noPub, err := Parse([]byte(strings.Replace(testDocument, `"ed25519PublicKey":"xQr6i7Zf+MuaNrHxabCEHtMsJqB6aCETCheuEXUoByc="`, `"ed25519PublicKey":""`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if !noPub.Signing[0].Public.Equal(k.Signing[0].Public) {
		t.Fatal("derived public key differs from the document's")
	}
}

func TestMismatchedPublicKeyNeverSigns(t *testing.T) {
	other := base64.StdEncoding.EncodeToString(ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey))
	doc := strings.Replace(testDocument, "xQr6i7Zf+MuaNrHxabCEHtMsJqB6aCETCheuEXUoByc=", other, 1)
	k, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Signing[0].Private(); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("Private() = %v, want ErrKeyMismatch", err)
	}
}

func TestParseRefuses(t *testing.T) {
	for _, doc := range []string{
		`{}`, `{"tokenSigningKeys":[]}`,
		`{"tokenSigningKeys":[{"kid":"a","ed25519Seed":"AAAA"}],"identifierPepper":"` + strings.Repeat("A", 44) + `"}`,
		strings.Replace(testDocument, "xQr6i7Zf+MuaNrHxabCEHtMsJqB6aCETCheuEXUoByc=", "AAAA", 1),
		strings.Replace(testDocument, `"kid":"dev"`, `"kid":""`, 1),
		strings.Replace(testDocument, `"identifierPepper"`, `"pepper"`, 1),
	} {
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("Parse(%s) accepted", doc)
		}
	}
	signing, verification := Generate("k")
	g, err := Parse(signing)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Signing[0].Private(); err != nil {
		t.Fatalf("a generated signing document: %v", err)
	}
	if _, err := g.IdentifierPepper(); !errors.Is(err, ErrNoPepper) {
		t.Fatalf("the signing document holds a pepper: %v", err)
	}
	v, err := Parse(verification)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Signer(); !errors.Is(err, ErrNoSigningKey) {
		t.Fatalf("the verification document can sign: %v", err)
	}
	if vk, ok := v.Verifying("k"); !ok || !vk.Public.Equal(g.Signing[0].Public) {
		t.Fatal("the verification document does not verify the signing key's tokens")
	}
	if p, err := v.IdentifierPepper(); err != nil || len(p) != 32 {
		t.Fatalf("pepper %d, %v", len(p), err)
	}
	for _, doc := range []string{
		`{"tokenVerificationKeys":[{"kid":"v","ed25519PublicKey":"AAAA"}],"identifierPepper":"ZGV2LW9ubHktaWRlbnRpZmllci1wZXBwZXItMDAwMDAwMDA="}`,
		`{"tokenVerificationKeys":[{"kid":"v","ed25519Seed":"ZGV2LW9ubHktZWQyNTUxOS1zZWVkLTAwMDAwMDAwMDA="}]}`,
		`{}`,
	} {
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("Parse(%s) accepted", doc)
		}
	}
}

// testDocument is a service keys secret of fixed keys.
const testDocument = `{"tokenSigningKeys":[{"kid":"dev","ed25519Seed":"ZGV2LW9ubHktZWQyNTUxOS1zZWVkLTAwMDAwMDAwMDA=",` +
	`"ed25519PublicKey":"xQr6i7Zf+MuaNrHxabCEHtMsJqB6aCETCheuEXUoByc="}],` +
	`"identifierPepper":"ZGV2LW9ubHktaWRlbnRpZmllci1wZXBwZXItMDAwMDAwMDA="}`
