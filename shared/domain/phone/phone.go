// Package phone validates phone numbers in international format against
// the numbering plans of Google's libphonenumber, as github.com/nyaruka/phonenumbers
// does (Parse with region "ZZ", IsValidNumber, Format E164), from a table
// generated out of that library's metadata (metadata.go).
//
// It exists because the library loads and decodes all of its metadata and
// compiles its patterns when the program starts (about 15 ms and 2.5 MB on
// every cold start, in every function that links it), and links protobuf
// and golang.org/x/text. Here the table is static data, and a region's
// patterns are compiled the first time a number of that region is checked.
// The package's differential test and fuzz target hold it to the library.
//
// Accepted input is narrower than the library's: a '+', then ASCII digits
// and the separators space, '-', '.', '(', ')' and '/', ending with a
// digit. Surrounding
// whitespace, control characters, letters (vanity numbers), extensions and
// other characters are refused.
package phone

//go:generate go run ./internal/gen metadata.go

import (
	"regexp"
	"sort"
	"strings"
	"sync"
)

type desc struct {
	pattern string
	lengths []int8
}

type region struct {
	id                 string
	leadingDigits      string
	nationalPrefix     string // national prefix for parsing (a pattern)
	transformRule      string
	sameMobileAndFixed bool
	localOnly          []int8
	general            desc
	special            []desc
	fixed, mobile      desc
}

type plan struct {
	code    int
	regions []region
}

const (
	maxInput   = 64
	minNSN     = 2
	maxNSN     = 17
	maxCCLen   = 3
	separators = " -.()/"
)

// E164 returns s, a valid number in international format, as E.164 ("+"
// and digits); ok is false for anything else.
func E164(s string) (e164 string, ok bool) {
	if len(s) > maxInput || !strings.HasPrefix(s, "+") || s[len(s)-1] < '0' || s[len(s)-1] > '9' {
		return "", false
	}
	digits := make([]byte, 0, len(s))
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case strings.IndexByte(separators, c) >= 0:
		default:
			return "", false
		}
	}
	// The library wants at least three digits and more than two after the '+'.
	if len(digits) <= minNSN {
		return "", false
	}
	p, nsn := splitCallingCode(string(digits))
	if p == nil || len(nsn) < minNSN {
		return "", false
	}
	main := &p.regions[0]
	// A national prefix written after the calling code ("+44 (0)20 ...")
	// is dropped when what remains has a possible length.
	if stripped, ok := main.stripNationalPrefix(nsn); ok {
		switch main.testLength(stripped) {
		case tooShort, localOnly, invalidLength:
		default:
			nsn = stripped
		}
	}
	if len(nsn) < minNSN || len(nsn) > maxNSN {
		return "", false
	}
	r := p.regionOf(nsn)
	if r == nil || !r.valid(nsn) {
		return "", false
	}
	return "+" + itoa(p.code) + nsn, true
}

// splitCallingCode finds the calling code that digits begin with.
func splitCallingCode(digits string) (*plan, string) {
	if digits[0] == '0' {
		return nil, ""
	}
	for n := 1; n <= maxCCLen && n <= len(digits); n++ {
		code := 0
		for _, c := range digits[:n] {
			code = code*10 + int(c-'0')
		}
		i := sort.Search(len(plans), func(i int) bool { return plans[i].code >= code })
		if i < len(plans) && plans[i].code == code {
			return &plans[i], digits[n:]
		}
	}
	return nil, ""
}

// regionOf is the region whose plan the number belongs to: the only one,
// or the first whose leading digits it starts with or whose patterns it
// matches.
func (p *plan) regionOf(nsn string) *region {
	if len(p.regions) == 1 {
		return &p.regions[0]
	}
	for i := range p.regions {
		r := &p.regions[i]
		if r.leadingDigits != "" {
			if compiled("^(?:" + r.leadingDigits + ")").MatchString(nsn) {
				return r
			}
		} else if r.valid(nsn) {
			return r
		}
	}
	return nil
}

// valid: the number matches the region's general pattern and one of its
// types.
func (r *region) valid(nsn string) bool {
	if !r.general.matches(nsn) {
		return false
	}
	for i := range r.special {
		if r.special[i].matches(nsn) {
			return true
		}
	}
	if r.fixed.matches(nsn) {
		return true
	}
	return !r.sameMobileAndFixed && r.mobile.matches(nsn)
}

func (d *desc) matches(nsn string) bool {
	if len(d.lengths) > 0 && !hasLength(d.lengths, len(nsn)) {
		return false
	}
	return compiled("^(?:" + d.pattern + ")$").MatchString(nsn)
}

// stripNationalPrefix removes (or transforms) a national prefix at the
// start of nsn, unless that turns a number of the general pattern into one
// that is not.
func (r *region) stripNationalPrefix(nsn string) (string, bool) {
	if r.nationalPrefix == "" {
		return "", false
	}
	prefix := compiled("^(?:" + r.nationalPrefix + ")")
	groups := prefix.FindStringSubmatchIndex(nsn)
	if groups == nil {
		return "", false
	}
	general := compiled("^(?:" + r.general.pattern + ")$")
	viable := general.MatchString(nsn)
	last := len(groups)/2 - 1
	if r.transformRule == "" || groups[last*2] < 0 {
		rest := nsn[groups[1]:]
		if viable && !general.MatchString(rest) {
			return "", false
		}
		return rest, true
	}
	transformed := prefix.ReplaceAllString(nsn, r.transformRule)
	if viable && !general.MatchString(transformed) {
		return "", false
	}
	return transformed, true
}

type lengthResult int

const (
	possible lengthResult = iota
	localOnly
	tooShort
	tooLong
	invalidLength
)

// testLength checks the length of nsn against the general description.
func (r *region) testLength(nsn string) lengthResult {
	ls := r.general.lengths
	if len(ls) == 0 || ls[0] == -1 {
		return invalidLength
	}
	n := len(nsn)
	if hasLength(r.localOnly, n) {
		return localOnly
	}
	switch {
	case int(ls[0]) == n:
		return possible
	case int(ls[0]) > n:
		return tooShort
	case int(ls[len(ls)-1]) < n:
		return tooLong
	case hasLength(ls[1:], n):
		return possible
	}
	return invalidLength
}

func hasLength(ls []int8, n int) bool {
	for _, l := range ls {
		if int(l) == n {
			return true
		}
	}
	return false
}

func itoa(n int) string {
	var b [4]byte
	i := len(b)
	for n > 0 || i == len(b) {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// Patterns are compiled on first use and kept.
var patterns sync.Map // string → *regexp.Regexp

func compiled(pattern string) *regexp.Regexp {
	if re, ok := patterns.Load(pattern); ok {
		return re.(*regexp.Regexp)
	}
	re := regexp.MustCompile(pattern)
	patterns.Store(pattern, re)
	return re
}
