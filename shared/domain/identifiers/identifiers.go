// Package identifiers holds the rules of a partner's user identifier (seed
// 000) and its keyed hash: only HMAC-SHA256(pepper, partner, identifier)
// is ever stored as a key; the raw value travels only to the partner's
// webhook (the outbox event).
package identifiers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"unicode/utf8"

	"github.com/partner-identity/api/shared/domain"
)

// Bounds of an identifier.
const (
	minLen = 36
	maxLen = 255
)

// Check applies the rules, in this order: present, 36 to 255 characters
// (characters, not bytes: 200 "é" is in bounds, and not alphanumeric),
// ASCII letters and digits only; each violation is Invalid with its
// reason (ReasonIdentifierMissing, ReasonIdentifierLength,
// ReasonIdentifierCharset: ER053, ER102, ER707).
func Check(id string) error {
	switch n := utf8.RuneCountInString(id); {
	case id == "":
		return domain.E(domain.Invalid, domain.ReasonIdentifierMissing)
	case n < minLen || n > maxLen:
		return domain.E(domain.Invalid, domain.ReasonIdentifierLength)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return domain.E(domain.Invalid, domain.ReasonIdentifierCharset)
		}
	}
	return nil
}

// Hash is the keyed hash of partnerID's identifier, in hex. The partner id
// is part of the input, so one identifier hashes apart across partners.
func Hash(pepper []byte, partnerID, id string) string {
	m := hmac.New(sha256.New, pepper)
	m.Write([]byte(partnerID))
	m.Write([]byte{0})
	m.Write([]byte(id))
	return hex.EncodeToString(m.Sum(nil))
}
