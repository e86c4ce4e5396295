// Package localseal seals partners' secrets in process, with AES-256-GCM
// and the partner's id as additional data: a local runner's stand-in for
// KMS (package kmsseal), with the same contract (a ciphertext opens only
// for its partner).
package localseal

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"errors"
)

// Sealer is a domain.Sealer under one AES-256 key.
type Sealer struct{ aead cipher.AEAD }

// New is the sealer under the key derived from seed (a local runner's
// fixed development material: what it seals opens again after a restart).
func New(seed []byte) *Sealer {
	k := sha256.Sum256(append([]byte("partner-identity local seal\x00"), seed...))
	block, _ := aes.NewCipher(k[:]) // 32 bytes: cannot fail
	aead, _ := cipher.NewGCM(block)
	return &Sealer{aead: aead}
}

func (s *Sealer) Seal(_ context.Context, partnerID string, plaintext []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	_, _ = rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plaintext, []byte(partnerID)), nil
}

// ErrCannotOpen is a ciphertext that is not this sealer's for the partner.
var ErrCannotOpen = errors.New("localseal: cannot open")

func (s *Sealer) Open(_ context.Context, partnerID string, sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, ErrCannotOpen
	}
	out, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(partnerID))
	if err != nil {
		return nil, ErrCannotOpen
	}
	return out, nil
}
