// Package tokens mints and verifies user tokens: JWTs signed with the
// service's current Ed25519 key (its kid in the header), verified with any
// listed key, with issuer, audience, subject (the user), the partner, iat,
// nbf, exp and a unique id. Verification pins the algorithm (EdDSA only) and
// requires exp, iat, issuer and audience.
package tokens

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/partner-identity/api/shared/domain/servicekeys"
)

// Defaults.
const (
	Issuer   = "partner-identity-api"
	Audience = "partner-identity-user"
	// PartnerAudience is a partner access token's audience: the partner
	// API. One key set signs user and partner tokens; each verification
	// requires its own audience, so neither passes for the other.
	PartnerAudience = "partner-identity-partner"
	defaultTTL      = time.Hour
	// leeway tolerates clock skew between containers.
	leeway = 30 * time.Second
)

// Claims of a user token.
type Claims struct {
	PartnerID string `json:"pid"`
	jwt.RegisteredClaims
}

// Errors of Verify.
var (
	ErrExpired = errors.New("tokens: expired")
	ErrInvalid = errors.New("tokens: invalid")
)

// Minted is a new token.
type Minted struct {
	Token     string
	ExpiresAt time.Time
}

// Mint signs a token for partnerID's user userID.
func Mint(keys *servicekeys.Keys, userID, partnerID string, now time.Time, ttl time.Duration) (Minted, error) {
	if ttl <= 0 {
		ttl = defaultTTL
	}
	now = now.UTC().Truncate(time.Second)
	exp := now.Add(ttl)
	return sign(keys, Claims{PartnerID: partnerID, RegisteredClaims: registered(Audience, userID, now, exp)}, exp)
}

// PartnerClaims are those of a partner access token: the partner (its
// subject, and pid as in a user token) and the id of the API key it was
// issued for (akid), which must still be live when the token is used.
type PartnerClaims struct {
	PartnerID string `json:"pid"`
	KeyID     string `json:"akid"`
	jwt.RegisteredClaims
}

// MintPartner signs a partner access token for partnerID's key keyID,
// valid for ttl (an hour when 0, never more) and never past notAfter
// when notAfter is set (the key's own expiry).
func MintPartner(keys *servicekeys.Keys, partnerID, keyID string, now time.Time, ttl time.Duration, notAfter time.Time) (Minted, error) {
	if ttl <= 0 || ttl > defaultTTL {
		ttl = defaultTTL
	}
	now = now.UTC().Truncate(time.Second)
	exp := now.Add(ttl)
	if !notAfter.IsZero() && notAfter.Before(exp) {
		exp = notAfter.UTC().Truncate(time.Second)
	}
	return sign(keys, PartnerClaims{PartnerID: partnerID, KeyID: keyID, RegisteredClaims: registered(PartnerAudience, partnerID, now, exp)}, exp)
}

// registered are a token's registered claims, with a new unique id.
func registered(audience, subject string, now, exp time.Time) jwt.RegisteredClaims {
	var jti [16]byte
	_, _ = rand.Read(jti[:])
	return jwt.RegisteredClaims{
		Issuer:    Issuer,
		Audience:  jwt.ClaimStrings{audience},
		Subject:   subject,
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(exp),
		ID:        hex.EncodeToString(jti[:]),
	}
}

// sign is claims as a JWT signed with keys' signing key.
func sign(keys *servicekeys.Keys, claims any, exp time.Time) (Minted, error) {
	key, err := keys.Signer()
	if err != nil {
		return Minted{}, err
	}
	priv, err := key.Private()
	if err != nil {
		return Minted{}, err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return Minted{}, err
	}
	// The token as jwt.Token.SignedString writes it (the header's members
	// sorted: alg, kid, typ), without encoding the constant header anew
	// each time.
	enc := base64.RawURLEncoding
	b := make([]byte, 0, 512)
	b = append(b, headerOf(key.ID)...)
	b = append(b, '.')
	b = enc.AppendEncode(b, payload)
	sig := ed25519.Sign(priv, b)
	b = append(b, '.')
	b = enc.AppendEncode(b, sig)
	s := string(b)
	return Minted{Token: s, ExpiresAt: exp}, nil
}

var headers sync.Map // kid → its encoded header

// headerOf is the encoded JOSE header of a token signed with key kid.
func headerOf(kid string) string {
	if h, ok := headers.Load(kid); ok {
		return h.(string)
	}
	raw, _ := json.Marshal(map[string]string{"alg": jwt.SigningMethodEdDSA.Alg(), "kid": kid, "typ": "JWT"})
	h := base64.RawURLEncoding.EncodeToString(raw)
	headers.Store(kid, h)
	return h
}

// Verify checks a token and returns its claims: ErrExpired for an expired
// token, ErrInvalid for anything else wrong (signature, algorithm, key id,
// issuer, audience, not yet valid, missing claims, malformed, base64url
// that is not in its one canonical form, a lifetime exp - iat over
// maxLifetime, the configured token lifetime, an hour when 0: a leaked
// signing key cannot mint long-lived tokens that pass).
func Verify(keys *servicekeys.Keys, token string, now time.Time, maxLifetime time.Duration) (*Claims, error) {
	if maxLifetime <= 0 {
		maxLifetime = defaultTTL
	}
	var claims Claims
	if err := parse(keys, token, Audience, now, &claims); err != nil {
		return nil, err
	}
	if claims.Subject == "" || claims.PartnerID == "" || claims.IssuedAt == nil ||
		claims.ExpiresAt.Sub(claims.IssuedAt.Time) > maxLifetime {
		return nil, ErrInvalid
	}
	return &claims, nil
}

// ErrUserToken: VerifyPartner's token is a valid user token, a user's
// credential where a partner's is needed.
var ErrUserToken = errors.New("tokens: a user token, not a partner token")

// VerifyPartner checks a partner access token as Verify checks a user
// token (its audience PartnerAudience, a lifetime of at most an hour, its
// subject the partner it names in pid, a key id): ErrExpired, ErrUserToken
// for a valid user token, ErrInvalid for anything else.
func VerifyPartner(keys *servicekeys.Keys, token string, now time.Time) (*PartnerClaims, error) {
	var claims PartnerClaims
	if err := parse(keys, token, PartnerAudience, now, &claims); err != nil {
		if errors.Is(err, ErrInvalid) {
			if _, uerr := Verify(keys, token, now, 0); uerr == nil {
				return nil, ErrUserToken
			}
		}
		return nil, err
	}
	if claims.Subject == "" || claims.PartnerID != claims.Subject || claims.KeyID == "" || claims.IssuedAt == nil ||
		claims.ExpiresAt.Sub(claims.IssuedAt.Time) > defaultTTL {
		return nil, ErrInvalid
	}
	return &claims, nil
}

// parse verifies token's signature and registered claims for audience
// into claims: ErrExpired, or ErrInvalid.
func parse(keys *servicekeys.Keys, token, audience string, now time.Time, claims jwt.Claims) error {
	_, err := jwt.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		k, ok := keys.Verifying(kid)
		if !ok {
			return nil, errors.New("unknown kid")
		}
		return k.Public, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(func() time.Time { return now }),
		// Unused bits of a segment's last character must be zero: one
		// token has one encoding.
		jwt.WithStrictDecoding(),
	)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jwt.ErrTokenExpired):
		return ErrExpired
	}
	return ErrInvalid
}

// Verifier verifies tokens and remembers, per container, the ones it
// verified: by their exact bytes, under the keys that verified them, until
// they expire. A widget calls with one token many times in its hour; only
// the first call in a container pays for the Ed25519 signature check
// (about 50 µs). Anything else (a token never seen, other bytes, a key set
// fetched since, an expired token) is verified in full.
type Verifier struct {
	// MaxLifetime is Verify's maxLifetime.
	MaxLifetime time.Duration

	memory Memory[Claims]
	// verify is Verify (a test counts its calls).
	verify func(*servicekeys.Keys, string, time.Time, time.Duration) (*Claims, error)
}

// Verify is Verify with the memory of v.
func (v *Verifier) Verify(keys *servicekeys.Keys, token string, now time.Time) (*Claims, error) {
	verify := v.verify
	if verify == nil {
		verify = Verify
	}
	return v.memory.Verify(keys, token, now, func(k *servicekeys.Keys, tok string, at time.Time) (*Claims, error) {
		return verify(k, tok, at, v.MaxLifetime)
	})
}

// Claimed are the claims types a Memory keeps: a token's registered
// claims, whose expiry ends its memory.
type Claimed interface {
	Claims | PartnerClaims
}

// Memory is a container's memory of the tokens it verified: each by its
// exact bytes, under the keys that verified it, until it expires (with
// the clock skew verification allows); at most verifiedCap, then
// forgotten all at once. Only the signature check is saved.
type Memory[C Claimed] struct {
	mu   sync.Mutex
	keys *servicekeys.Keys
	seen map[string]C
}

// verifiedCap bounds the remembered tokens (about 0.5 KB each); when it is
// reached they are forgotten all at once.
const verifiedCap = 1024

// Verify is token's claims from the memory, or verify's (remembered when
// it verifies).
func (m *Memory[C]) Verify(keys *servicekeys.Keys, token string, now time.Time,
	verify func(*servicekeys.Keys, string, time.Time) (*C, error)) (*C, error) {
	m.mu.Lock()
	if c, ok := m.seen[token]; ok && m.keys == keys && now.Before(expiry(&c).Add(leeway)) {
		m.mu.Unlock()
		return &c, nil
	}
	m.mu.Unlock()
	c, err := verify(keys, token, now)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	if m.keys != keys || len(m.seen) >= verifiedCap || m.seen == nil {
		m.keys, m.seen = keys, make(map[string]C)
	}
	m.seen[token] = *c
	m.mu.Unlock()
	return c, nil
}

// expiry is c's expiry.
func expiry[C Claimed](c *C) time.Time {
	switch c := any(c).(type) {
	case *Claims:
		return c.ExpiresAt.Time
	case *PartnerClaims:
		return c.ExpiresAt.Time
	}
	return time.Time{}
}

// Peek is what token says of itself, unverified: its partner and its
// subject, for reads that may start before the keys to verify it are in
// hand (and are dropped if it does not verify). ok is false when it is
// not a JWT with both.
func Peek(token string) (partnerID, subject string, ok bool) {
	var c Claims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &c); err != nil || c.PartnerID == "" || c.Subject == "" {
		return "", "", false
	}
	return c.PartnerID, c.Subject, true
}

// WarmVerify computes Ed25519's verification tables (about 0.4 ms, once per
// process) by checking a false signature under a valid key.
func WarmVerify() {
	pub := make(ed25519.PublicKey, ed25519.PublicKeySize)
	pub[0] = 1 // the neutral point
	_ = ed25519.Verify(pub, []byte("warm-up"), make([]byte, ed25519.SignatureSize))
}
