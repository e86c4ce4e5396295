// Package users is the user domain of the Partner v2 surface: the create
// request's rules (seed 003), the idempotent create, and the lookups.
package users

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"github.com/partner-identity/api/shared/domain"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/partner-identity/api/shared/domain/jsonmember"
	"github.com/partner-identity/api/shared/domain/phone"
)

// Enumerations of the create request.
const (
	typeIndividual = "INDIVIDUAL"
	typeBusiness   = "BUSINESS"

	methodEmail = "EMAIL"
	methodPhone = "PHONE_NUMBER"
	methodNone  = "NONE"

	maxExternalUserIDLen = 255
	maxAliasLen          = 100
	maxEmailLen          = 254
)

// CreateInput is a validated, normalised create request.
type CreateInput struct {
	ExternalUserID string
	Type           string
	Method         string
	Identifier     string // the email with its domain in lower case, or the phone number in E.164
	Alias          string
	HasAlias       bool
}

var createFields = []string{"externalUserId", "type", "method", "identifier", "alias"}

// ParseCreate checks every field of a create request body and returns one
// detail per bad field (unknown fields included), in a stable order.
func ParseCreate(obj map[string]json.RawMessage) (CreateInput, []domain.Problem) {
	var in CreateInput
	c := jsonmember.Check(obj)
	fail := c.Fail

	if ext, ok := c.Required("externalUserId"); ok {
		if d := CheckExternalUserID(ext); d != nil {
			fail(d.Field, d.Issue)
		} else {
			in.ExternalUserID = ext
		}
	}

	typ, ok := c.Required("type")
	switch {
	case !ok:
	case typ != typeIndividual && typ != typeBusiness:
		fail("type", "must be one of INDIVIDUAL, BUSINESS")
	default:
		in.Type = typ
	}

	method, present, ok := c.Optional("method")
	methodOK := true
	switch {
	case !ok:
		methodOK = false
	case !present:
		in.Method = methodNone
	case method != methodEmail && method != methodPhone && method != methodNone:
		fail("method", "must be one of EMAIL, PHONE_NUMBER, NONE")
		methodOK = false
	default:
		in.Method = method
	}

	ident, present, ok := c.Optional("identifier")
	switch {
	case !ok:
	case !methodOK:
		// Which rule applies is unknown until method is fixed.
	case in.Method == methodNone:
		if present {
			fail("identifier", "must be absent or null when method is NONE")
		}
	case !present || ident == "":
		fail("identifier", "is required when method is "+in.Method)
	case in.Method == methodEmail:
		if email, ok := normaliseEmail(ident); ok {
			in.Identifier = email
		} else {
			fail("identifier", "must be a valid email address")
		}
	case in.Method == methodPhone:
		if e164, ok := normalisePhone(ident); ok {
			in.Identifier = e164
		} else {
			fail("identifier", "must be a valid phone number in international format, such as +524401234567")
		}
	}

	alias, present, ok := c.Optional("alias")
	switch {
	case !ok:
	case !present:
	case utf8.RuneCountInString(alias) > maxAliasLen:
		fail("alias", "must be at most 100 characters")
	case !printable(alias):
		fail("alias", "must contain printable characters only")
	default:
		in.Alias, in.HasAlias = alias, true
	}

	c.RejectUnknown(createFields...)
	return in, c.Details
}

func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// normaliseEmail accepts an address a mail system can deliver to and
// returns it with its domain in lower case (RFC 5321: the domain is
// case-insensitive; the local part is the receiving system's and is kept
// as sent). The address is a bare addr-spec (net/mail's syntax, no display
// name, no comments), at most 254 characters; the local part at most 64;
// the domain a host name of at least two labels, each 1 to 63 ASCII letters,
// digits or hyphens, not beginning or ending with a hyphen, the last (the
// top-level domain) of two or more letters, or an A-label (xn--). An
// address literal ([192.0.2.1]) and a non-ASCII domain (send its xn-- form)
// are refused.
func normaliseEmail(s string) (string, bool) {
	if utf8.RuneCountInString(s) > maxEmailLen || strings.TrimSpace(s) != s {
		return "", false
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" {
		return "", false
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], strings.ToLower(s[at+1:])
	if at == 0 || len(local) > 64 || !hostName(domain) {
		return "", false
	}
	return local + "@" + domain, true
}

// hostName applies the host name rules of normaliseEmail to a lower-case
// domain.
func hostName(d string) bool {
	if len(d) > 253 {
		return false
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	if strings.HasPrefix(tld, "xn--") {
		return len(tld) > 4
	}
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if tld[i] < 'a' || tld[i] > 'z' {
			return false
		}
	}
	return true
}

// normalisePhone accepts a number in international format (a leading '+')
// that the numbering plan of its country allows, and returns it in E.164.
func normalisePhone(s string) (string, bool) {
	if utf8.RuneCountInString(s) > 32 { // characters, as documented
		return "", false
	}
	return phone.E164(s)
}

// Hash is the digest of the normalised request: two requests with the same
// hash are the same request (a replay); a different hash under the same
// externalUserId is a conflict. Normalised means an omitted method equals
// "NONE", null equals absent, an email's domain compares in lower case and
// phone numbers compare in E.164.
func (in CreateInput) Hash() string {
	canon, _ := json.Marshal([]any{in.ExternalUserID, in.Type, in.Method, in.Identifier, in.HasAlias, in.Alias})
	d := sha256.Sum256(canon)
	return hex.EncodeToString(d[:])
}

// CheckExternalUserID applies the externalUserId rules: 1 to 255 printable
// characters, not all whitespace, none at either end (" a" and "a" would
// otherwise be two users that look like one).
func CheckExternalUserID(ext string) *domain.Problem {
	switch {
	case ext == "":
		return &domain.Problem{Field: "externalUserId", Issue: "is required"}
	case strings.TrimSpace(ext) == "":
		return &domain.Problem{Field: "externalUserId", Issue: "must not be blank"}
	case strings.TrimSpace(ext) != ext:
		return &domain.Problem{Field: "externalUserId", Issue: "must not begin or end with whitespace"}
	case utf8.RuneCountInString(ext) > maxExternalUserIDLen:
		return &domain.Problem{Field: "externalUserId", Issue: "must be at most 255 characters"}
	case !printable(ext):
		return &domain.Problem{Field: "externalUserId", Issue: "must contain printable characters only"}
	}
	return nil
}

// UserID is id as a user id: a UUID in either case (Swift's uuidString is
// upper case), in the lower case the API issues; ok is false for anything
// else, which cannot name a user and is not looked up.
func UserID(id string) (string, bool) {
	if !validUserID(strings.ToLower(id)) {
		return "", false
	}
	return strings.ToLower(id), true
}

// validUserID tells whether id has the form of a user id (a lowercase UUID).
func validUserID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}
