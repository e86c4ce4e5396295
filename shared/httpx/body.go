package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/partner-identity/api/shared/apierr"
)

// Limits on request bodies, the same on every surface.
const (
	MaxBodyBytes = 64 << 10
	MaxJSONDepth = 32
)

// ReadObject reads a JSON object body strictly: a JSON content type (or
// none), at most MaxBodyBytes, valid UTF-8, no duplicate keys at any depth,
// at most MaxJSONDepth levels, and an object at the top. It returns the
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
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, &apierr.Detail{Field: "body", Issue: "could not be read"}
	}
	if len(body) > MaxBodyBytes {
		return nil, &apierr.Detail{Field: "body", Issue: "must be at most " + strconv.Itoa(MaxBodyBytes) + " bytes"}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &apierr.Detail{Field: "body", Issue: "is required"}
	}
	if !utf8.Valid(body) {
		return nil, &apierr.Detail{Field: "body", Issue: "must be valid UTF-8"}
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

// checkStructure walks the tokens once: syntax, depth and duplicate keys.
func checkStructure(body []byte) *apierr.Detail {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		object  bool
		keys    map[string]struct{}
		wantKey bool
	}
	var stack []frame
	for {
		tok, err := dec.Token()
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
			// A scalar at the top; more after it is a syntax error either way.
			if _, err := dec.Token(); !errors.Is(err, io.EOF) {
				return &apierr.Detail{Field: "body", Issue: "is not valid JSON"}
			}
			return nil
		}
		top := len(stack) - 1
		if top >= 0 && stack[top].object && stack[top].wantKey {
			if key, ok := tok.(string); ok {
				if _, dup := stack[top].keys[key]; dup {
					return &apierr.Detail{Field: key, Issue: "is given more than once"}
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
			if len(stack) >= MaxJSONDepth {
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

func isOpen(tok json.Token) bool { return tok == json.Delim('{') || tok == json.Delim('[') }

// WriteJSON writes v as JSON with the given status and content type.
func WriteJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{}`)
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// StringMember reads a string member of an object from ReadObject: present
// tells whether it is there and not null; ok is false when it is there with
// another JSON type.
func StringMember(obj map[string]json.RawMessage, name string) (v string, present, ok bool) {
	raw, there := obj[name]
	if !there || string(raw) == "null" {
		return "", false, true
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", false, false
	}
	return v, true, true
}

// UnknownMembers lists, sorted, the members of obj not named in known.
func UnknownMembers(obj map[string]json.RawMessage, known ...string) []string {
	var unknown []string
	for k := range obj {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	return unknown
}
