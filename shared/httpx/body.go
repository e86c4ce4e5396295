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

	"github.com/partner-identity/api/shared/apierr"
)

// Limits on request bodies, the same on every surface.
const (
	maxBodyBytes = 64 << 10
	maxJSONDepth = 32
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
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, &apierr.Detail{Field: "body", Issue: "could not be read"}
	}
	if len(body) > maxBodyBytes {
		return nil, &apierr.Detail{Field: "body", Issue: "must be at most " + strconv.Itoa(maxBodyBytes) + " bytes"}
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

// checkStructure checks syntax (json.Valid), then walks the bytes once for
// depth and duplicate keys; a key is compared after unescaping, so "a" and
// "\u0061" are the same key.
func checkStructure(body []byte) *apierr.Detail {
	if !json.Valid(body) {
		return &apierr.Detail{Field: "body", Issue: "is not valid JSON"}
	}
	type frame struct {
		object  bool
		wantKey bool
		keys    []string
	}
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
			end, escaped := stringEnd(body, i)
			if top := len(stack) - 1; top >= 0 && stack[top].wantKey {
				key := string(body[i+1 : end])
				if escaped {
					_ = json.Unmarshal(body[i:end+1], &key) // valid: json.Valid said so
				}
				if slices.Contains(stack[top].keys, key) {
					return duplicateKey(key)
				}
				stack[top].keys = append(stack[top].keys, key)
				stack[top].wantKey = false
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
	return &apierr.Detail{Field: key, Issue: "is given more than once"}
}

// stringEnd returns the index of the quote that closes the string opening
// at body[start], and whether the string holds an escape.
func stringEnd(body []byte, start int) (int, bool) {
	escaped := false
	for i := start + 1; i < len(body); i++ {
		switch body[i] {
		case '\\':
			escaped = true
			i++
		case '"':
			return i, escaped
		}
	}
	return len(body) - 1, escaped
}

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
