package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/partner-identity/api/shared/http/apierr"
)

// tokenWalk is the first checkStructure, on json.Decoder.Token: slower,
// plainly right; the byte walk is held to it. (Syntax first: a duplicate
// key before a syntax error is a syntax error.) Each string's escapes are
// checked by go-json-experiment's jsontext (encoding/json/v2's), which
// refuses what names no character.
func tokenWalk(body []byte) *apierr.Detail {
	if !json.Valid(body) {
		return &apierr.Detail{Field: "body", Issue: "is not valid JSON"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		object  bool
		keys    map[string]struct{}
		wantKey bool
	}
	var stack []frame
	isOpen := func(tok json.Token) bool { return tok == json.Delim('{') || tok == json.Delim('[') }
	for {
		prev := dec.InputOffset()
		tok, err := dec.Token()
		if _, ok := tok.(string); ok && err == nil {
			raw := bytes.TrimLeft(body[prev:dec.InputOffset()], " \t\r\n,:")
			if _, err := jsontext.AppendUnquote(nil, raw); err != nil {
				return &apierr.Detail{Field: "body", Issue: IssueBadEscape}
			}
		}
		if errors.Is(err, io.EOF) {
			if len(stack) != 0 {
				return &apierr.Detail{Field: "body", Issue: "is not valid JSON"}
			}
			return nil
		}
		if err != nil {
			return &apierr.Detail{Field: "body", Issue: "is not valid JSON"}
		}
		if len(stack) == 0 && !isOpen(tok) {
			if _, err := dec.Token(); !errors.Is(err, io.EOF) {
				return &apierr.Detail{Field: "body", Issue: "is not valid JSON"}
			}
			return nil
		}
		top := len(stack) - 1
		if top >= 0 && stack[top].object && stack[top].wantKey {
			if key, ok := tok.(string); ok {
				if _, dup := stack[top].keys[key]; dup {
					return duplicateKey(key)
				}
				stack[top].keys[key] = struct{}{}
				stack[top].wantKey = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if top >= 0 && stack[top].object {
				stack[top].wantKey = true
			}
			if len(stack) >= maxJSONDepth {
				return &apierr.Detail{Field: "body", Issue: "is nested too deeply"}
			}
			stack = append(stack, frame{object: tok == json.Delim('{'), keys: map[string]struct{}{}, wantKey: true})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				if dec.More() {
					return &apierr.Detail{Field: "body", Issue: "is not valid JSON"}
				}
				if _, err := dec.Token(); !errors.Is(err, io.EOF) {
					return &apierr.Detail{Field: "body", Issue: "is not valid JSON"}
				}
				return nil
			}
		default:
			if top >= 0 && stack[top].object {
				stack[top].wantKey = true
			}
		}
	}
}

func sameDetail(a, b *apierr.Detail) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

var structureSeeds = []string{
	`{}`, `{"a":1}`, `{"a":1,"a":2}`, `{"a":{"b":1,"b":2}}`, `{"a":[{"b":1},{"b":2}]}`,
	`{"a":1,"\u0061":2}`, `{"x\"y":1,"x\"y":2}`, `[1,2,{"k":"v","k":"w"}]`, `"str"`, `12`, `{"a":1}x`,
	`{"a":"{\"a\":1,\"a\":2}"}`, `{"a":1,}`, `{"a" 1}`, `{`, `}`, ``, ` `, `{"a":[]}`, `{"":1,"":2}`,
	strings.Repeat("[", 32) + strings.Repeat("]", 32), strings.Repeat("[", 33) + strings.Repeat("]", 33),
	`{"a":` + strings.Repeat(`{"a":`, 31) + `1` + strings.Repeat("}", 32),
	`{"a":"\ud800"}`, `{"identifier":"x","identifier":"y"}`,
	`{"a":"\udc00"}`, `{"a":"\ud83d\ude00"}`, `{"a":"\\ud800"}`, `{"a":"\ud800\u0041"}`, `{"a":"x\ud800"}`, `{"\ud800":1}`,
	`{"a":"\ud83d"}`, `{"a":"\ud83dx"}`, `{"a":"\ud83d\n"}`, `{"a":"\uDBFF\uDFFF"}`, `{"\ud800":1,"\ud800":2}`,
}

// TestByteWalkMatchesTokenWalk on the seeds (the fuzz target below goes on).
func TestByteWalkMatchesTokenWalk(t *testing.T) {
	for _, s := range structureSeeds {
		if len(bytes.TrimSpace([]byte(s))) == 0 {
			continue // ReadObject refuses it before
		}
		got, want := checkStructure([]byte(s)), tokenWalk([]byte(s))
		if !sameDetail(got, want) {
			t.Errorf("%q: byte walk %+v, token walk %+v", s, got, want)
		}
	}
}

func FuzzCheckStructure(f *testing.F) {
	for _, s := range structureSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(bytes.TrimSpace(body)) == 0 || !utf8.Valid(body) {
			return // ReadObject refuses it before
		}
		got, want := checkStructure(body), tokenWalk(body)
		if !sameDetail(got, want) {
			t.Fatalf("%q: byte walk %+v, token walk %+v", body, got, want)
		}
	})
}

// FuzzReadObject: any body and content type gives a map or a detail that
// names a field, never a panic.
func FuzzReadObject(f *testing.F) {
	for _, s := range structureSeeds {
		f.Add([]byte(s), "application/json")
	}
	f.Add([]byte(`{"a":1}`), "text/plain")
	f.Add([]byte("{\"a\":\"\xff\"}"), "application/json; charset=utf-8")
	f.Add([]byte(`{"a":1}`), "application/vnd.api+json")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		obj, d := ReadObject(r)
		if (obj == nil) == (d == nil) {
			t.Fatalf("%q: map %v and detail %v", body, obj, d)
		}
		if d != nil && (d.Field == "" || d.Issue == "") {
			t.Fatalf("%q: detail %+v names nothing", body, d)
		}
	})
}

// BenchmarkCheckStructure: a 64 KiB body of 8,190 distinct three-letter
// keys against a flat 64 KiB body (one long string): the walk is linear in
// both (the keys' set), where the list of keys it had was quadratic (100x).
func BenchmarkCheckStructure(b *testing.B) {
	var keys strings.Builder
	keys.WriteString("{")
	for i := 0; i < 8190; i++ {
		if i > 0 {
			keys.WriteString(",")
		}
		keys.WriteString(`"` + string([]byte{byte('a' + i/676%26), byte('a' + i/26%26), byte('a' + i%26)}) + `":1`)
	}
	keys.WriteString("}")
	flat := `{"a":"` + strings.Repeat("x", keys.Len()-8) + `"}`
	for _, c := range []struct{ name, body string }{{"flat", flat}, {"8190-keys", keys.String()}} {
		b.Run(c.name, func(b *testing.B) {
			body := []byte(c.body)
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if d := checkStructure(body); d != nil {
					b.Fatal(d)
				}
			}
		})
	}
}

// TestWriteJSONDoesNotEscapeHTML: "&" is sent as "&" (a KYC link's query),
// with Content-Length the bytes sent.
func TestWriteJSONDoesNotEscapeHTML(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteJSON(rec, 201, "application/json", map[string]string{"kycLink": "https://kyc.example/s/1?lang=es&redirect_uri=x"})
	want := `{"kycLink":"https://kyc.example/s/1?lang=es&redirect_uri=x"}`
	if rec.Body.String() != want || rec.Header().Get("Content-Length") != strconv.Itoa(len(want)) {
		t.Fatalf("%s (Content-Length %s)", rec.Body, rec.Header().Get("Content-Length"))
	}
}
