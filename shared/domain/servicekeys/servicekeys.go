// Package servicekeys reads the service key secrets: the user token keys,
// with key ids, and the identifier pepper. They are split by need, so that
// only the function that mints tokens can read a private seed:
//
// The token signing secret (create-user-token only):
//
//	{"tokenSigningKeys": [{"kid": "2026-11", "ed25519Seed": "<base64, 32 bytes>", "ed25519PublicKey": "<base64, 32 bytes>"},
//	                      {"kid": "2026-10", "ed25519Seed": "<base64, 32 bytes>", "ed25519PublicKey": "<base64, 32 bytes>"}]}
//
// The service keys secret (the functions that verify tokens or hash
// identifiers): public keys only, and the pepper.
//
//	{"tokenVerificationKeys": [{"kid": "2026-11", "ed25519PublicKey": "<base64, 32 bytes>"}, ...],
//	 "identifierPepper": "<base64, at least 32 bytes>"}
//
// One document may hold both (the development keys do). The first signing
// key signs; every listed key verifies, so during a rotation the previous
// key stays listed until the tokens it signed expire.
//
// ed25519PublicKey is optional (cmd/gen-service-keys writes it): with it,
// a function that only verifies tokens never derives a private key, which
// costs about 1.5 ms of base point tables on a cold start. The signing
// function checks it against the seed before its first signature.
package servicekeys

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/partner-identity/api/shared/domain/jsonmember"
)

// SigningKey is one Ed25519 token signing key; its private key is derived
// from the seed on first use.
type SigningKey struct {
	ID      string
	Public  ed25519.PublicKey
	private func() (ed25519.PrivateKey, error)
}

// Private is the private key, derived once; an error when the document's
// public key is not the seed's.
func (k SigningKey) Private() (ed25519.PrivateKey, error) { return k.private() }

// deriveKey is ed25519.NewKeyFromSeed (a test counts its calls).
var deriveKey = ed25519.NewKeyFromSeed

// ErrKeyMismatch: a signing key's ed25519PublicKey is not its seed's.
var ErrKeyMismatch = errors.New("service keys: ed25519PublicKey does not match ed25519Seed")

func newSigningKey(kid string, seed []byte, public ed25519.PublicKey) SigningKey {
	if public == nil {
		priv := deriveKey(seed)
		return SigningKey{ID: kid, Public: priv.Public().(ed25519.PublicKey),
			private: func() (ed25519.PrivateKey, error) { return priv, nil }}
	}
	return SigningKey{ID: kid, Public: public, private: sync.OnceValues(func() (ed25519.PrivateKey, error) {
		priv := deriveKey(seed)
		if !public.Equal(priv.Public()) {
			return nil, ErrKeyMismatch
		}
		return priv, nil
	})}
}

// Keys is the parsed secret.
type Keys struct {
	// Signing lists every key: the signing keys (with a seed) first, then
	// the verification-only keys.
	// Signing[0] signs; all verify.
	Signing []SigningKey
	Pepper  []byte
}

type document struct {
	TokenSigningKeys []struct {
		KID    string `json:"kid"`
		Seed   string `json:"ed25519Seed"`
		Public string `json:"ed25519PublicKey"`
	} `json:"tokenSigningKeys"`
	TokenVerificationKeys []struct {
		KID    string `json:"kid"`
		Public string `json:"ed25519PublicKey"`
	} `json:"tokenVerificationKeys"`
	IdentifierPepper string `json:"identifierPepper"`
}

// Parse reads and validates the secret.
func Parse(data []byte) (*Keys, error) {
	var doc document
	if err := jsonmember.DecodeStrict(data, &doc); err != nil {
		return nil, fmt.Errorf("service keys: %w", err)
	}
	if len(doc.TokenSigningKeys) == 0 && len(doc.TokenVerificationKeys) == 0 {
		return nil, errors.New("service keys: no tokenSigningKeys and no tokenVerificationKeys")
	}
	k := &Keys{}
	seen := map[string]bool{}
	for _, sk := range doc.TokenSigningKeys {
		seed, err := base64.StdEncoding.DecodeString(sk.Seed)
		if err != nil || len(seed) != ed25519.SeedSize || sk.KID == "" || seen[sk.KID] {
			return nil, errors.New("service keys: each signing key needs a unique kid and a base64 32-byte ed25519Seed")
		}
		seen[sk.KID] = true
		var public ed25519.PublicKey
		if sk.Public != "" {
			if public, err = base64.StdEncoding.DecodeString(sk.Public); err != nil || len(public) != ed25519.PublicKeySize {
				return nil, errors.New("service keys: ed25519PublicKey must be base64 of 32 bytes")
			}
		}
		k.Signing = append(k.Signing, newSigningKey(sk.KID, seed, public))
	}
	for _, vk := range doc.TokenVerificationKeys {
		public, err := base64.StdEncoding.DecodeString(vk.Public)
		if err != nil || len(public) != ed25519.PublicKeySize || vk.KID == "" || seen[vk.KID] {
			return nil, errors.New("service keys: each verification key needs a unique kid and a base64 32-byte ed25519PublicKey")
		}
		seen[vk.KID] = true
		k.Signing = append(k.Signing, SigningKey{ID: vk.KID, Public: public,
			private: func() (ed25519.PrivateKey, error) { return nil, ErrVerifyOnly }})
	}
	if doc.IdentifierPepper != "" {
		pepper, err := base64.StdEncoding.DecodeString(doc.IdentifierPepper)
		if err != nil || len(pepper) < 32 {
			return nil, errors.New("service keys: identifierPepper must be base64 of at least 32 bytes")
		}
		k.Pepper = pepper
	}
	return k, nil
}

// Errors of a document that lacks what a function needs of it.
var (
	// ErrVerifyOnly: the key has no seed (a verification document).
	ErrVerifyOnly = errors.New("service keys: a verification key cannot sign")
	// ErrNoPepper: the document has no identifierPepper (a signing document).
	ErrNoPepper = errors.New("service keys: no identifierPepper")
	// ErrNoSigningKey: the document has no key with a seed.
	ErrNoSigningKey = errors.New("service keys: no signing key")
)

// IdentifierPepper is the pepper of identifier hashes, or ErrNoPepper: a
// document without one never hashes with an empty key.
func (k *Keys) IdentifierPepper() ([]byte, error) {
	if len(k.Pepper) == 0 {
		return nil, ErrNoPepper
	}
	return k.Pepper, nil
}

// Signer is the key that signs: the first with a seed.
func (k *Keys) Signer() (SigningKey, error) {
	if len(k.Signing) == 0 || k.Signing[0].private == nil {
		return SigningKey{}, ErrNoSigningKey
	}
	if _, err := k.Signing[0].private(); errors.Is(err, ErrVerifyOnly) {
		return SigningKey{}, ErrNoSigningKey
	}
	return k.Signing[0], nil
}

// Verifying returns the key with id kid.
func (k *Keys) Verifying(kid string) (SigningKey, bool) {
	for _, s := range k.Signing {
		if s.ID == kid {
			return s, true
		}
	}
	return SigningKey{}, false
}

// Generate makes fresh secret documents for operators creating the
// secrets: signing, the token signing secret (one key with kid), and
// verification, the service keys secret (its public key and a new pepper).
func Generate(kid string) (signing, verification []byte) {
	seed := make([]byte, ed25519.SeedSize)
	pepper := make([]byte, 32)
	_, _ = rand.Read(seed)
	_, _ = rand.Read(pepper)
	public := base64.StdEncoding.EncodeToString(ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey))
	signing, _ = json.Marshal(map[string]any{
		"tokenSigningKeys": []map[string]string{{"kid": kid, "ed25519Seed": base64.StdEncoding.EncodeToString(seed), "ed25519PublicKey": public}},
	})
	verification, _ = json.Marshal(map[string]any{
		"tokenVerificationKeys": []map[string]string{{"kid": kid, "ed25519PublicKey": public}},
		"identifierPepper":      base64.StdEncoding.EncodeToString(pepper),
	})
	return signing, verification
}

// JWK is one public key as RFC 7517 and RFC 8037 write an Ed25519 key:
// kty OKP, crv Ed25519, x the base64url of the public key.
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
}

// JWKSet is a JWK Set (RFC 7517 section 5).
type JWKSet struct {
	Keys []JWK `json:"keys"`
}

// JWKS is the verification keys as a JWK Set: every listed key, the one
// that signs and those that still verify tokens signed before a rotation,
// in the document's order. It holds public keys only.
func (k *Keys) JWKS() JWKSet {
	set := JWKSet{Keys: make([]JWK, 0, len(k.Signing))}
	for _, s := range k.Signing {
		set.Keys = append(set.Keys, JWK{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(s.Public),
			Kid: s.ID, Use: "sig", Alg: "EdDSA"})
	}
	return set
}
