package phone

import (
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// library is what the API used before this package: phonenumbers.Parse with
// region "ZZ", IsValidNumber, Format E164.
func library(s string) (string, bool) {
	n, err := phonenumbers.Parse(s, "ZZ")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

// inCharset: the input this package accepts to look at (see the package
// documentation); other input it refuses, whatever the library says.
func inCharset(s string) bool {
	if len(s) > maxInput || !strings.HasPrefix(s, "+") || s[len(s)-1] < '0' || s[len(s)-1] > '9' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9') && !strings.ContainsRune(separators, rune(c)) {
			return false
		}
	}
	return true
}

func compare(t *testing.T, s string) bool {
	t.Helper()
	got, ok := E164(s)
	if !inCharset(s) {
		if ok {
			t.Errorf("E164(%q) = %q, accepted outside the charset", s, got)
			return false
		}
		return true
	}
	want, wantOK := library(s)
	if ok != wantOK || got != want {
		t.Errorf("E164(%q) = %q, %v; the library says %q, %v", s, got, ok, want, wantOK)
		return false
	}
	return true
}

var types = []phonenumbers.PhoneNumberType{phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE,
	phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST, phonenumbers.VOIP, phonenumbers.PERSONAL_NUMBER,
	phonenumbers.PAGER, phonenumbers.UAN, phonenumbers.VOICEMAIL}

// examples are the metadata's example numbers of every region, non-geographic
// code and type.
func examples() []*phonenumbers.PhoneNumber {
	var out []*phonenumbers.PhoneNumber
	for region := range phonenumbers.GetSupportedRegions() {
		for _, typ := range types {
			if n := phonenumbers.GetExampleNumberForType(region, typ); n != nil {
				out = append(out, n)
			}
		}
	}
	for code := range phonenumbers.GetSupportedGlobalNetworkCallingCodes() {
		if n := phonenumbers.GetExampleNumberForNonGeoEntity(code); n != nil {
			out = append(out, n)
		}
	}
	return out
}

// TestAgreesWithTheLibraryOnExamples: every example number, written as
// E.164, internationally, and nationally (with its national prefix) after
// the calling code, and every one-digit deletion, insertion and change of
// it gets the library's answer.
func TestAgreesWithTheLibraryOnExamples(t *testing.T) {
	ex := examples()
	if len(ex) < 1000 {
		t.Fatalf("only %d example numbers", len(ex))
	}
	checked, valid, failures := 0, 0, 0
	check := func(s string) {
		checked++
		if _, ok := E164(s); ok {
			valid++
		}
		if !compare(t, s) {
			failures++
		}
	}
	for _, n := range ex {
		e164 := phonenumbers.Format(n, phonenumbers.E164)
		cc := strconv.Itoa(int(n.GetCountryCode()))
		check(e164)
		check(phonenumbers.Format(n, phonenumbers.INTERNATIONAL))
		check("+" + cc + " " + phonenumbers.Format(n, phonenumbers.NATIONAL))
		check("+" + cc + "-" + phonenumbers.GetNationalSignificantNumber(n))
		digits := e164[1:]
		for i := 0; i <= len(digits); i++ {
			if i < len(digits) {
				check("+" + digits[:i] + digits[i+1:])
			}
			for _, d := range "0159" {
				check("+" + digits[:i] + string(d) + digits[i:])
				if i < len(digits) {
					check("+" + digits[:i] + string(d) + digits[i+1:])
				}
			}
		}
		if failures > 20 {
			t.Fatal("too many differences")
		}
	}
	t.Logf("%d example numbers, %d inputs compared, %d valid", len(ex), checked, valid)
	if valid < checked/10 {
		t.Fatalf("only %d of %d inputs valid: the comparison says little", valid, checked)
	}
}

// TestAgreesWithTheLibraryOnRandomInput: random digits and separators
// after a '+', and national prefixes after calling codes.
func TestAgreesWithTheLibraryOnRandomInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	const seps = separators + "      "
	for i := 0; i < 50000; i++ {
		var b strings.Builder
		b.WriteByte('+')
		n := 3 + rng.IntN(16)
		for j := 0; j < n; j++ {
			if rng.IntN(5) == 0 {
				b.WriteByte(seps[rng.IntN(len(seps))])
			}
			b.WriteByte(byte('0' + rng.IntN(10)))
		}
		if !compare(t, b.String()) && t.Failed() && i > 100 {
			t.FailNow()
		}
	}
}

func TestExamples(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"+524401234567", "+524401234567"},
		{"+1 (650) 253-0000", "+16502530000"},
		{"+44 (0)20 7946 0958", "+442079460958"},
		{"+44 020 7946 0958", "+442079460958"},
		{"+39 06 6982 1234", "+390669821234"}, // Italian leading zero kept
		{"+800 1234 5678", "+80012345678"},    // non-geographic
		{"+54 9 11 1234 5678", "+5491112345678"},
		{"+49 30 123456", "+4930123456"},
	} {
		if got, ok := E164(c.in); !ok || got != c.want {
			t.Errorf("E164(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
		compare(t, c.in)
	}
	for _, in := range []string{"", "+", "524401234567", "+52 440 123", "+1 650 253 0000 ext. 12", "+1-800-FLOWERS",
		"+0 123456789", "+999 123456789", "+44 20 7946 095８", "+1 650 253 0000\n", " +4930123456", "+4930123456 ", "tel:+16502530000"} {
		if got, ok := E164(in); ok {
			t.Errorf("E164(%q) = %q, want refusal", in, got)
		}
	}
}

// FuzzE164 holds the package to the library on any input in its charset,
// and to refusal outside it.
func FuzzE164(f *testing.F) {
	for _, s := range []string{"+524401234567", "+1 (650) 253-0000", "+44 (0)20 7946 0958", "+54 9 11 1234 5678",
		"+800 1234 5678", "+39 06 6982 1234", "+7 8 800 555 35 35", "+1-800-FLOWERS", "+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { compare(t, s) })
}

var compiledAtStart = -1

func TestMain(m *testing.M) {
	compiledAtStart = 0
	patterns.Range(func(any, any) bool { compiledAtStart++; return true })
	os.Exit(m.Run())
}

// TestNothingAtInit: loading the package compiles no pattern; the first
// number of a region compiles that region's only.
func TestNothingAtInit(t *testing.T) {
	if compiledAtStart != 0 {
		t.Fatalf("%d patterns compiled before any number was checked", compiledAtStart)
	}
}
