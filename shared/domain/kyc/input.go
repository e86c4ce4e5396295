// Package kyc is the KYC verification domain (seed 001): the request's
// rules, opening a session with its link, and the cleanup of expired
// sessions.
package kyc

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/jsonmember"
)

// countries are the seed's 39 supported country codes.
var countries = []string{"MX", "DO", "US", "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE",
	"GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI",
	"NO", "CH", "GB", "MC", "SM", "AD", "VA"}

// maxRedirectURILen bounds partnerRedirectUri.
const maxRedirectURILen = 2048

// LinkInput is a validated verification-link request.
type LinkInput struct {
	Country     string
	RedirectURI string
	// SandboxBase is the API's own address as the request names it
	// ("https://host"), where a test-mode session's page is when the
	// service has no SandboxLinkURL (not read from the body).
	SandboxBase string
}

// ParseLink checks a verification-link body, one detail per bad field.
func ParseLink(obj map[string]json.RawMessage) (LinkInput, []domain.Problem) {
	var in LinkInput
	c := jsonmember.Check(obj)
	country, ok := c.Required("country")
	switch {
	case !ok:
	case !supported(country):
		c.Fail("country", "must be one of "+strings.Join(countries, ", "))
	default:
		in.Country = country
	}
	if redirect, present, ok := c.Optional("partnerRedirectUri"); ok && present {
		if issue := checkRedirectURI(redirect); issue != "" {
			c.Fail("partnerRedirectUri", issue)
		} else {
			in.RedirectURI = redirect
		}
	}
	c.RejectUnknown("country", "partnerRedirectUri")
	return in, c.Details
}

func supported(c string) bool {
	for _, x := range countries {
		if x == c {
			return true
		}
	}
	return false
}

// refusedSchemes can run code, read local files or leave the app for a
// place the partner does not control; plain http is refused but for loopback.
var refusedSchemes = map[string]bool{
	"javascript": true, "data": true, "file": true, "vbscript": true, "blob": true,
	"about": true, "filesystem": true, "view-source": true, "ftp": true, "ws": true,
}

// checkRedirectURI returns what is wrong with a partnerRedirectUri, or "".
// Accepted: https://host/... (no user info), http on loopback
// (http://localhost, 127.0.0.1, [::1]) for development, and custom app
// schemes in the form scheme://... (myapp://callback, com.acme.app://kyc).
func checkRedirectURI(s string) string {
	const form = "must be an https:// URI or a custom app scheme such as myapp://callback"
	if s == "" {
		return form
	}
	if utf8.RuneCountInString(s) > maxRedirectURILen { // characters, as documented
		return "must be at most 2048 characters"
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r > unicode.MaxASCII {
			return "must not contain spaces, control or non-ASCII characters"
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Opaque != "" || !strings.Contains(s, "://") {
		return form
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case refusedSchemes[scheme]:
		return "must not use the " + scheme + ": scheme"
	case u.User != nil:
		return "must not carry user information"
	case scheme == "https":
		if u.Hostname() == "" {
			return form
		}
	case scheme == "http":
		switch u.Hostname() {
		case "localhost", "127.0.0.1", "::1":
		default:
			return "must use https:// (plain http:// is allowed for localhost only)"
		}
	}
	return ""
}

// ParseHostedCallback checks the hosted provider's callback body,
// {"sessionId", "status", "occurredAt"}, one detail per bad field.
func ParseHostedCallback(obj map[string]json.RawMessage) (Result, []domain.Problem) {
	return parseCallback(obj, domain.ProviderHosted)
}

// ParseSandboxCallback checks the sandbox's callback body: the hosted
// provider's, and optional "rejectLabels" (strings).
func ParseSandboxCallback(obj map[string]json.RawMessage) (Result, []domain.Problem) {
	labels, ok := obj["rejectLabels"]
	delete(obj, "rejectLabels")
	r, problems := parseCallback(obj, domain.ProviderSandbox)
	if ok && json.Unmarshal(labels, &r.RejectLabels) != nil {
		problems = append(problems, domain.Problem{Field: "rejectLabels", Issue: "must be an array of strings"})
	}
	return r, problems
}

func parseCallback(obj map[string]json.RawMessage, provider string) (Result, []domain.Problem) {
	r := Result{Provider: provider}
	c := jsonmember.Check(obj)
	if id, ok := c.Required("sessionId"); ok {
		if !ValidSessionID(id) {
			c.Fail("sessionId", "must be a session id (32 hex characters)")
		}
		r.SessionID = id
	}
	if st, ok := c.Required("status"); ok {
		if !slices.Contains(resultStatuses, st) {
			c.Fail("status", "must be one of "+strings.Join(resultStatuses, ", "))
		}
		r.Status = st
	}
	if at, ok := c.Required("occurredAt"); ok {
		t, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			c.Fail("occurredAt", "must be an RFC 3339 date-time")
		}
		r.At = t.UTC()
	}
	c.RejectUnknown("sessionId", "status", "occurredAt")
	return r, c.Details
}

// resultStatuses are the statuses a provider's result may set.
var resultStatuses = []string{domain.KYCInReview, domain.KYCActionRequired, domain.KYCApproved, domain.KYCRejected}

// ValidSessionID tells whether id is a session id as NewSessionID makes them.
func ValidSessionID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
