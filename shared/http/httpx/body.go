package httpx

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/partner-identity/api/shared/http/apierr"
	"github.com/partner-identity/api/shared/kit/wire"
)

// Limits on request bodies, the same on every surface.
const (
	maxBodyBytes = 64 << 10
	maxJSONDepth = 32
)

// Issues of ReadObject's details that a surface may answer its own way
// (User v2 has a code per identifier problem, not a list of details).
const (
	IssueTooLarge   = "must be at most 65536 bytes"
	IssueNotUTF8    = "must be valid UTF-8"
	IssueBadEscape  = `has a \u escape that is not a character (an unpaired surrogate)`
	IssueDuplicated = "is given more than once"
)

// ReadObject reads a JSON object body strictly: a JSON content type (or
// none), at most maxBodyBytes, valid UTF-8, no duplicate keys at any depth,
// at most maxJSONDepth levels, and an object at the top. It returns the
// object's members undecoded so that the caller can check every field and
// report each bad one. A failure is returned as an apierr.Detail naming what
// is wrong, for the surface to render.
func ReadObject(r *http.Request) (map[string]json.RawMessage, *apierr.Detail) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !hasJSONSuffix(mt)) {
			return nil, &apierr.Detail{Field: "Content-Type", Issue: "must be application/json"}
		}
	}
	body, bad := ReadRaw(r)
	if bad != nil {
		return nil, bad
	}
	return ParseObject(body)
}

// ReadRaw reads a body of at most maxBodyBytes as it is (for a signature
// over its bytes).
func ReadRaw(r *http.Request) ([]byte, *apierr.Detail) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, &apierr.Detail{Field: "body", Issue: "could not be read"}
	}
	if len(body) > maxBodyBytes {
		return nil, &apierr.Detail{Field: "body", Issue: IssueTooLarge}
	}
	return body, nil
}

// ReadOptionalObject is the request's JSON object body, read as
// ParseObject reads one, or none (nil) for an empty body.
func ReadOptionalObject(r *http.Request) (map[string]json.RawMessage, *apierr.Detail) {
	raw, bad := ReadRaw(r)
	if bad != nil || len(bytes.TrimSpace(raw)) == 0 {
		return nil, bad
	}
	return ParseObject(raw)
}

// ParseObject is ReadObject's reading of a body already read.
func ParseObject(body []byte) (map[string]json.RawMessage, *apierr.Detail) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &apierr.Detail{Field: "body", Issue: "is required"}
	}
	if !utf8.Valid(body) {
		return nil, &apierr.Detail{Field: "body", Issue: IssueNotUTF8}
	}
	if d := checkStructure(body); d != nil {
		return nil, d
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return nil, &apierr.Detail{Field: "body", Issue: "must be a JSON object"}
	}
	return obj, nil
}

func hasJSONSuffix(mt string) bool {
	return len(mt) > 5 && mt[len(mt)-5:] == "+json"
}

// checkStructure checks syntax (json.Valid), then walks the bytes once for
// depth, duplicate keys and escapes that name no character: a lone UTF-16
// surrogate such as \ud800, which a decoder would replace by U+FFFD, so
// that two different requests could read as one. A key is compared after
// unescaping, so "a" and "\u0061" are the same key; each object's keys go
// into a set once it has more than a few, so the walk stays linear however
// many keys a body holds.
func checkStructure(body []byte) *apierr.Detail {
	if !json.Valid(body) {
		return &apierr.Detail{Field: "body", Issue: "is not valid JSON"}
	}
	type frame struct {
		object  bool
		wantKey bool
		keys    []string
		set     map[string]struct{}
	}
	const smallObject = 8
	var stackBuf [8]frame
	stack := stackBuf[:0]
	for i := 0; i < len(body); i++ {
		switch c := body[i]; c {
		case '{', '[':
			if len(stack) >= maxJSONDepth {
				return &apierr.Detail{Field: "body", Issue: "is nested too deeply"}
			}
			stack = append(stack, frame{object: c == '{', wantKey: c == '{'})
		case '}', ']':
			stack = stack[:len(stack)-1]
		case ',':
			if top := len(stack) - 1; stack[top].object {
				stack[top].wantKey = true
			}
		case '"':
			end, escaped, ok := stringEnd(body, i)
			if !ok {
				return &apierr.Detail{Field: "body", Issue: IssueBadEscape}
			}
			if top := len(stack) - 1; top >= 0 && stack[top].wantKey {
				key := string(body[i+1 : end])
				if escaped {
					_ = json.Unmarshal(body[i:end+1], &key) // valid: json.Valid said so
				}
				f := &stack[top]
				dup := false
				if f.set != nil {
					_, dup = f.set[key]
				} else {
					dup = slices.Contains(f.keys, key)
				}
				if dup {
					return duplicateKey(key)
				}
				if f.set == nil && len(f.keys) < smallObject {
					f.keys = append(f.keys, key)
				} else {
					if f.set == nil {
						f.set = make(map[string]struct{}, 2*smallObject)
						for _, k := range f.keys {
							f.set[k] = struct{}{}
						}
					}
					f.set[key] = struct{}{}
				}
				f.wantKey = false
			}
			i = end
		}
	}
	return nil
}

func duplicateKey(key string) *apierr.Detail {
	if key == "" {
		return &apierr.Detail{Field: "body", Issue: "has the empty key more than once"}
	}
	return &apierr.Detail{Field: key, Issue: IssueDuplicated}
}

// stringEnd returns the index of the quote that closes the string opening
// at body[start] (valid JSON), whether the string holds an escape, and
// whether every \u escape names a character: a high surrogate
// (\ud800-\udbff) must be followed by a low one (\udc00-\udfff), and a
// low one may not stand alone.
func stringEnd(body []byte, start int) (end int, escaped, ok bool) {
	ok = true
	pendingHigh := false
	for i := start + 1; i < len(body); i++ {
		switch body[i] {
		case '\\':
			escaped = true
			if i+5 < len(body) && body[i+1] == 'u' {
				r := hex4(body[i+2 : i+6])
				switch {
				case r >= 0xdc00 && r <= 0xdfff:
					if !pendingHigh {
						ok = false
					}
					pendingHigh = false
				case pendingHigh:
					ok = false
					pendingHigh = r >= 0xd800 && r <= 0xdbff
				default:
					pendingHigh = r >= 0xd800 && r <= 0xdbff
				}
				i += 5
				continue
			}
			if pendingHigh {
				ok = false
			}
			pendingHigh = false
			i++
		case '"':
			return i, escaped, ok && !pendingHigh
		default:
			if pendingHigh {
				ok = false
				pendingHigh = false
			}
		}
	}
	return len(body) - 1, escaped, ok && !pendingHigh
}

// hex4 is the value of four hex digits (valid JSON guarantees them).
func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c-'a') + 10
		case c >= 'A' && c <= 'F':
			r |= rune(c-'A') + 10
		}
	}
	return r
}

// WriteJSON writes v as JSON with the given status and content type.
func WriteJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := wire.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{}`)
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
