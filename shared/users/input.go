// Package users is the user domain of the Partner v2 surface: the create
// request's rules (seed 003), the idempotent create, and the lookups.
package users

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/partner-identity/api/shared/apierr"
	"github.com/partner-identity/api/shared/jsonmember"
	"github.com/partner-identity/api/shared/phone"
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
	Identifier     string // the email as given, or the phone number in E.164
	Alias          string
	HasAlias       bool
}

var createFields = []string{"externalUserId", "type", "method", "identifier", "alias"}

// ParseCreate checks every field of a create request body and returns one
// detail per bad field (unknown fields included), in a stable order.
func ParseCreate(obj map[string]json.RawMessage) (CreateInput, []apierr.Detail) {
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
		if !validEmail(ident) {
			fail("identifier", "must be a valid email address")
		} else {
			in.Identifier = ident
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

func validEmail(s string) bool {
	if len(s) > maxEmailLen || strings.TrimSpace(s) != s {
		return false
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasPrefix(domain, "[") &&
		!strings.HasSuffix(domain, ".") && !strings.Contains(domain, "..")
}

// normalisePhone accepts a number in international format (a leading '+')
// that the numbering plan of its country allows, and returns it in E.164.
func normalisePhone(s string) (string, bool) {
	if len(s) > 32 {
		return "", false
	}
	return phone.E164(s)
}

// Hash is the digest of the normalised request: two requests with the same
// hash are the same request (a replay); a different hash under the same
// externalUserId is a conflict. Normalised means an omitted method equals
// "NONE", null equals absent, and phone numbers compare in E.164.
func (in CreateInput) Hash() string {
	canon, _ := json.Marshal([]any{in.ExternalUserID, in.Type, in.Method, in.Identifier, in.HasAlias, in.Alias})
	d := sha256.Sum256(canon)
	return hex.EncodeToString(d[:])
}

// CheckExternalUserID applies the externalUserId rules: 1 to 255 printable
// characters.
func CheckExternalUserID(ext string) *apierr.Detail {
	switch {
	case ext == "":
		return &apierr.Detail{Field: "externalUserId", Issue: "is required"}
	case utf8.RuneCountInString(ext) > maxExternalUserIDLen:
		return &apierr.Detail{Field: "externalUserId", Issue: "must be at most 255 characters"}
	case !printable(ext):
		return &apierr.Detail{Field: "externalUserId", Issue: "must contain printable characters only"}
	}
	return nil
}

// ValidUserID tells whether id has the form of a user id (a lowercase UUID);
// anything else cannot name a user and is not looked up.
func ValidUserID(id string) bool {
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
