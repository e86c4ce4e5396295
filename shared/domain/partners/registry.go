// Package partners holds the partner registry (DESIGN.md section 6): who the
// partners are, the SHA-256 digests of their API keys, their flow and their
// per-country KYC templates, and API key authentication against it.
package partners

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/jsonmember"
	"github.com/partner-identity/api/shared/domain/ratelimit"
)

// Flows. Any other value is a partner that may call nothing (403
// INVALID_PARTNER_FLOW everywhere): an operator's switch to suspend one.
const (
	FlowAPI    = "API"
	FlowWidget = "WIDGET"
)

// Operation is what a route does, for the flow check.
type Operation int

const (
	OpCreateUser Operation = iota
	OpReadUser
	OpOpenKYCSession
	OpMintUserToken
	// OpDeleteUser is a user's erasure, open to both flows: every partner
	// must be able to honour a user's right to erasure.
	OpDeleteUser
	// OpUserSession is a call made for one of the partner's users with a
	// user token or with the partner's key and User-Identifier: user info,
	// link-identifier, the federated identities. A partner in neither flow
	// (suspended) is refused it like every other operation.
	OpUserSession
	// OpWebhookEvents is the partner's events API: listing, redelivery, a
	// test event. Open to both flows (both receive webhooks).
	OpWebhookEvents
	// OpManageKeys is the partner's management of its own API keys
	// (listing, creating, rolling, revoking). Open to both flows.
	OpManageKeys
	// OpAccessToken is the exchange of a key for a partner access token
	// (the OAuth 2.0 client credentials grant). Open to both flows.
	OpAccessToken
	// OpReadLimits is the reading of the partner's own rate limits. Open
	// to both flows.
	OpReadLimits
	// OpSandbox is the sandbox's API (test mode only): KYC outcomes,
	// simulations, the wipe of test data. Open to both flows.
	OpSandbox
)

// KYCTemplate is a partner's KYC provider template for one country:
// without a provider (or "hosted"), the hosted provider, whose link is
// LinkURL with the session id; "sumsub", Sumsub, whose link Sumsub makes
// for the level named TemplateID.
type KYCTemplate struct {
	Provider   string `json:"provider,omitempty"`
	TemplateID string `json:"templateId"`
	LinkURL    string `json:"linkUrl,omitempty"`
}

// ProviderName is the template's provider (domain.ProviderHosted or
// domain.ProviderSumsub): the hosted provider when none is named.
func (t KYCTemplate) ProviderName() string {
	if t.Provider == "" {
		return domain.ProviderHosted
	}
	return t.Provider
}

// Webhook is where a partner's events go. The secret that signs them is
// not in the registry, which every function reads, but in the webhook
// secrets (WebhookSecrets), which only the dispatcher reads.
//
// It is the partner's first webhook endpoint (DefaultEndpointID), the one
// the operator's command sets; a partner adds others itself
// (Partner.WebhookEndpoints). The fields beside the URL are those of an
// Endpoint.
type Webhook struct {
	URL           string    `json:"url"`
	EnabledEvents []string  `json:"enabledEvents,omitempty"`
	Description   string    `json:"description,omitempty"`
	Disabled      bool      `json:"disabled,omitempty"`
	CreatedAt     time.Time `json:"createdAt,omitzero"`
}

// SessionIDPlaceholder is replaced by the session id in a template's linkUrl.
const SessionIDPlaceholder = "{sessionId}"

// Partner is one entry of the registry.
type Partner struct {
	ID               string                 `json:"id"`
	Name             string                 `json:"name"`
	APIKeySHA256     []string               `json:"apiKeySha256"`
	Flow             string                 `json:"flow"`
	KYCTemplates     map[string]KYCTemplate `json:"kycTemplates"`
	Webhook          Webhook                `json:"webhook"`
	IdentityProvider string                 `json:"identityProvider"`
	// WebhookEndpoints are the partner's endpoints beside Webhook, the
	// first (Endpoints lists them all).
	WebhookEndpoints []Endpoint `json:"webhookEndpoints,omitempty"`
	// Standing is StandingActive or StandingSuspended (an operator's
	// suspension, which keeps the flow for the reinstatement).
	Standing string `json:"standing,omitempty"`
	// Limits are the partner's own rate policies by budget (package
	// ratelimit), over the defaults; set by the operator.
	Limits ratelimit.Limits `json:"limits,omitempty"`
	// TestAPIKeySHA256 are, in a registry document, the digests of the
	// partner's test keys (its test side's): the import format only.
	TestAPIKeySHA256 []string `json:"testApiKeySha256,omitempty"`
	// Keys are the partner's keys as its record lists them (none for a
	// registry document's partner): what a partner access token, which
	// names the key it was issued for, is checked against.
	Keys []domain.APIKey `json:"-"`
}

// LiveKey is the partner's key with id keyID, if it is listed and has not
// expired at now.
func (p *Partner) LiveKey(keyID string, now time.Time) (domain.APIKey, bool) {
	for _, k := range p.Keys {
		if k.ID == keyID && !k.Expired(now) {
			return k, true
		}
	}
	return domain.APIKey{}, false
}

// KeyByDigest is the partner's listed key whose digest is digest.
func (p *Partner) KeyByDigest(digest string) (domain.APIKey, bool) {
	for _, k := range p.Keys {
		if k.Digest == digest {
			return k, true
		}
	}
	return domain.APIKey{}, false
}

// Suspended tells whether the partner is suspended, or in neither flow:
// it may call nothing, and its webhooks are held until it is reinstated.
func (p *Partner) Suspended() bool {
	return p.Standing == StandingSuspended || p.Flow != FlowAPI && p.Flow != FlowWidget
}

// MayCall tells whether the partner's flow allows op.
func (p *Partner) MayCall(op Operation) bool {
	if p.Standing == StandingSuspended {
		return false
	}
	switch p.Flow {
	case FlowAPI:
		return true
	case FlowWidget:
		return op != OpOpenKYCSession
	}
	return false
}

// Registry is the parsed, validated registry. It is immutable.
type Registry struct {
	partners []Partner
	digests  [][sha256.Size]byte // digests[i] belongs to partners[owner[i]]
	owner    []int
}

type document struct {
	Partners []Partner `json:"partners"`
}

// Parse reads and validates a registry document outside Lambda: a webhook
// URL is https, or http to a loopback host (a receiver on the developer's
// machine).
func Parse(data []byte) (*Registry, error) { return parse(data, false) }

// ParseForLambda reads and validates a registry document in Lambda: a
// webhook URL is https to a host name (no address literal, no localhost).
func ParseForLambda(data []byte) (*Registry, error) { return parse(data, true) }

func parse(data []byte, inLambda bool) (*Registry, error) {
	var doc document
	if err := jsonmember.DecodeStrict(data, &doc); err != nil {
		return nil, fmt.Errorf("partner registry: %w", err)
	}
	r := &Registry{partners: doc.Partners}
	ids := map[string]bool{}
	providers := map[string]bool{}
	seen := map[[sha256.Size]byte]bool{}
	for i, p := range doc.Partners {
		if ids[p.ID] {
			return nil, fmt.Errorf("partner registry: partner %d: id duplicated", i)
		}
		if !ValidID(p.ID) {
			return nil, fmt.Errorf("partner registry: partner %d: id must be 1 to 64 of a-z A-Z 0-9 _ - (a test side is listed as testApiKeySha256)", i)
		}
		if err := Validate(&p, inLambda); err != nil {
			return nil, fmt.Errorf("partner registry: partner %d: %w", i, err)
		}
		ids[p.ID] = true
		if p.IdentityProvider != "" {
			if providers[p.IdentityProvider] {
				return nil, fmt.Errorf("partner registry: partner %s: identityProvider must be unique", p.ID)
			}
			providers[p.IdentityProvider] = true
		}
		for j, h := range append(slices.Clone(p.APIKeySHA256), p.TestAPIKeySHA256...) {
			raw, err := hex.DecodeString(h)
			if err != nil || len(raw) != sha256.Size {
				return nil, fmt.Errorf("partner registry: partner %s: apiKeySha256 entries must be 64 hex characters", p.ID)
			}
			var d [sha256.Size]byte
			copy(d[:], raw)
			if seen[d] {
				return nil, fmt.Errorf("partner registry: partner %s: a key digest is listed twice", p.ID)
			}
			seen[d] = true
			if j >= len(p.APIKeySHA256) {
				continue // a test key: its test side's, made by Import
			}
			r.digests = append(r.digests, d)
			r.owner = append(r.owner, i)
		}
	}
	return r, nil
}

// Validate checks a partner's settings: its id, its webhook URL (as
// checkWebhookURL says, stricter in Lambda), its identity provider's slug,
// each KYC template. The errors name the field; they hold no secret.
func Validate(p *Partner, inLambda bool) error {
	if !ValidID(domain.LivePartnerOf(p.ID)) || !domain.Livemode(p.ID) && p.IdentityProvider != "" {
		return errors.New("id must be 1 to 64 of a-z A-Z 0-9 _ -")
	}
	if err := checkWebhookURL(p.Webhook.URL, inLambda); err != nil {
		return fmt.Errorf("partner %s: webhook.url %w", p.ID, err)
	}
	if err := checkEndpoints(p, inLambda); err != nil {
		return fmt.Errorf("partner %s: %w", p.ID, err)
	}
	if p.IdentityProvider != "" && !validSlug(p.IdentityProvider) {
		return fmt.Errorf("partner %s: identityProvider must be a slug of a-z 0-9 -", p.ID)
	}
	for budget, policy := range p.Limits {
		if !slices.Contains(ratelimit.Budgets, budget) {
			return fmt.Errorf("partner %s: limits: %q is not a budget (%s)", p.ID, budget, strings.Join(ratelimit.Budgets, ", "))
		}
		if !policy.Valid() {
			return fmt.Errorf("partner %s: limits.%s: rate must be over 0 and at most 100000 a second, burst 1 to 1000000", p.ID, budget)
		}
	}
	for country, tpl := range p.KYCTemplates {
		if !validCountry(country) {
			return fmt.Errorf("partner %s: kycTemplates: %q is not an ISO 3166-1 alpha-2 code in capitals", p.ID, country)
		}
		if err := checkTemplate(tpl); err != nil {
			return fmt.Errorf("partner %s: kycTemplates.%s: %w", p.ID, country, err)
		}
	}
	return nil
}

// ValidID: 1 to 64 of a-z A-Z 0-9 _ - (no '#', which the store's keys
// use as a separator).
func ValidID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func validCountry(c string) bool {
	return len(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z'
}

// checkTemplate requires a template id and a known provider; for the
// hosted provider an https link (http on loopback for development) holding
// the session id placeholder.
func checkTemplate(t KYCTemplate) error {
	if t.TemplateID == "" {
		return errors.New("templateId is required")
	}
	switch t.ProviderName() {
	case domain.ProviderSumsub:
		if t.LinkURL != "" {
			return errors.New("linkUrl is not used with provider sumsub (Sumsub makes the link for the level templateId)")
		}
		return nil
	case domain.ProviderHosted:
	default:
		return errors.New(`provider must be "sumsub", or absent (or "hosted") for the hosted provider`)
	}
	u, err := url.Parse(t.LinkURL)
	if err != nil || !strings.Contains(t.LinkURL, SessionIDPlaceholder) || u.Host == "" {
		return errors.New("linkUrl must be an absolute URL containing " + SessionIDPlaceholder)
	}
	loopback := u.Hostname() == "127.0.0.1" || u.Hostname() == "localhost"
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback) {
		return errors.New("linkUrl must use https")
	}
	return nil
}

// checkWebhookURL: none, or an absolute https URL to a host name on port
// 443 without credentials or fragment; outside Lambda also an address
// literal, another port, and http to a loopback host.
func checkWebhookURL(raw string, inLambda bool) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return errors.New("must be an absolute URL without credentials or fragment")
	}
	host := u.Hostname()
	_, literal := netip.ParseAddr(host)
	isLiteral := literal == nil
	loopback := host == "localhost" || isLiteral && netip.MustParseAddr(host).IsLoopback()
	switch {
	case inLambda && (u.Scheme != "https" || isLiteral || host == "localhost" || !strings.Contains(host, ".")):
		return errors.New("must be https to a host name (not an address, not localhost)")
	case inLambda && u.Port() != "" && u.Port() != "443":
		return errors.New("must use the https port, 443 (deliveries dial no other)")
	case !inLambda && u.Scheme != "https" && !(u.Scheme == "http" && loopback):
		return errors.New("must be https (http only to a loopback host, outside Lambda)")
	}
	return nil
}

// The outcomes of CheckKey and Authenticate: Unauthenticated, with the
// reason of each of the seed's three 401 messages.
var (
	errKeyMissing = domain.E(domain.Unauthenticated, domain.ReasonKeyMissing)
	errKeyFormat  = domain.E(domain.Unauthenticated, domain.ReasonKeyFormat)
	errKeyInvalid = domain.E(domain.Unauthenticated, domain.ReasonKeyInvalid)
)

// ValidKeyFormat tells whether key is 20 to 128 characters of A-Z a-z 0-9 _ -.
func ValidKeyFormat(key string) bool {
	if len(key) < 20 || len(key) > 128 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// CheckKey checks the presence and format of a key, before any lookup.
func CheckKey(key string) error {
	if key == "" {
		return errKeyMissing
	}
	if !ValidKeyFormat(key) {
		return errKeyFormat
	}
	return nil
}

// Authenticate finds the partner owning key. The key is hashed and compared
// with every registered digest in constant time, without an early exit, so
// the time taken tells nothing of which digest (if any) matched.
func (r *Registry) Authenticate(key string) (*Partner, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	d := sha256.Sum256([]byte(key))
	match := -1
	for i := range r.digests {
		if subtle.ConstantTimeCompare(d[:], r.digests[i][:]) == 1 {
			match = r.owner[i]
		}
	}
	if match < 0 {
		return nil, errKeyInvalid
	}
	return &r.partners[match], nil
}

// Partner returns the partner with the given id.
func (r *Registry) Partner(id string) (*Partner, bool) {
	for i := range r.partners {
		if r.partners[i].ID == id {
			return &r.partners[i], true
		}
	}
	return nil, false
}

// ByIdentityProvider returns the partner whose identityProvider is slug.
func (r *Registry) ByIdentityProvider(slug string) (*Partner, bool) {
	if slug == "" {
		return nil, false
	}
	for i := range r.partners {
		if r.partners[i].IdentityProvider == slug {
			return &r.partners[i], true
		}
	}
	return nil, false
}

// validSlug: 1 to 64 of a-z 0-9 -.
func validSlug(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// KeyDigest is the hex SHA-256 of an API key, as the registry stores it.
func KeyDigest(key string) string {
	d := sha256.Sum256([]byte(key))
	return hex.EncodeToString(d[:])
}

// Lookup is r as a Lookup: a registry document's partners answering
// requests from memory (tests, and tools reading a document).
func (r *Registry) Lookup() Lookup { return registryLookup{r} }

type registryLookup struct{ r *Registry }

func (l registryLookup) Authenticate(_ context.Context, key string) (*Partner, error) {
	return l.r.Authenticate(key)
}

func (l registryLookup) Partner(_ context.Context, id string) (*Partner, error) {
	if p, ok := l.r.Partner(id); ok {
		return p, nil
	}
	return nil, domain.ErrNotFound
}

func (l registryLookup) ByIdentityProvider(_ context.Context, slug string) (*Partner, error) {
	if p, ok := l.r.ByIdentityProvider(slug); ok {
		return p, nil
	}
	return nil, domain.ErrNotFound
}
