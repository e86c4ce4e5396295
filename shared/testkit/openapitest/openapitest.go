// Package openapitest checks responses against docs/openapi.yaml, so that
// the document cannot drift from the code: every handler test response must
// be a documented status of its operation, with a documented content type,
// the documented required headers and a body valid against its schema.
//
// The schema checker covers the JSON Schema the document uses: $ref, type
// (one or a list), properties, required, additionalProperties, items, enum,
// const, minLength, maxLength, minItems, pattern, format uuid and date-time,
// oneOf, anyOf and allOf.
package openapitest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/partner-identity/api/shared/testkit"
	"go.yaml.in/yaml/v3"
)

// Doc is a loaded OpenAPI document.
type Doc struct {
	root map[string]any
}

var (
	loadOnce sync.Once
	loaded   *Doc
	loadErr  error
)

// Load reads docs/openapi.yaml once per test binary.
func Load() (*Doc, error) {
	loadOnce.Do(func() {
		raw, err := os.ReadFile(filepath.Join(testkit.Root(), "docs", "openapi.yaml"))
		if err != nil {
			loadErr = err
			return
		}
		var root map[string]any
		if err := yaml.Unmarshal(raw, &root); err != nil {
			loadErr = err
			return
		}
		loaded = &Doc{root: root}
	})
	return loaded, loadErr
}

// Operations lists the document's operations as ServeMux patterns
// ("POST /api/partner/v2/users").
func (d *Doc) Operations() []string {
	var ops []string
	paths, _ := d.root["paths"].(map[string]any)
	for p, item := range paths {
		m, _ := item.(map[string]any)
		for method := range m {
			switch method {
			case "get", "post", "put", "delete", "patch":
				ops = append(ops, strings.ToUpper(method)+" "+p)
			}
		}
	}
	sort.Strings(ops)
	return ops
}

// Check validates one response of the operation named by a ServeMux pattern.
func (d *Doc) Check(pattern string, status int, header http.Header, body []byte) error {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		return fmt.Errorf("pattern %q has no method", pattern)
	}
	op, ok := d.get("paths", path, strings.ToLower(method)).(map[string]any)
	if !ok {
		return fmt.Errorf("%s is not documented", pattern)
	}
	responses, _ := op["responses"].(map[string]any)
	resp, ok := responses[strconv.Itoa(status)]
	if !ok {
		return fmt.Errorf("%s: status %d is not documented", pattern, status)
	}
	r := d.deref(resp)
	headers, _ := r["headers"].(map[string]any)
	for name, h := range headers {
		hm := d.deref(h)
		if req, _ := hm["required"].(bool); req && header.Get(name) == "" {
			return fmt.Errorf("%s %d: required header %s missing", pattern, status, name)
		}
		if v := header.Get(name); v != "" {
			if s, ok := hm["schema"]; ok {
				if err := d.validate(s, v, "header "+name); err != nil {
					return fmt.Errorf("%s %d: %w", pattern, status, err)
				}
			}
		}
	}
	content, _ := r["content"].(map[string]any)
	if len(content) == 0 {
		if len(body) != 0 {
			return fmt.Errorf("%s %d: body present but none documented", pattern, status)
		}
		return nil
	}
	ct := header.Get("Content-Type")
	mt := strings.TrimSpace(strings.Split(ct, ";")[0])
	media, ok := content[mt].(map[string]any)
	if !ok {
		return fmt.Errorf("%s %d: content type %q not documented", pattern, status, ct)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("%s %d: body is not JSON: %v", pattern, status, err)
	}
	if err := d.validate(media["schema"], v, "$"); err != nil {
		return fmt.Errorf("%s %d: %w", pattern, status, err)
	}
	return nil
}

func (d *Doc) get(path ...string) any {
	var cur any = d.root
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func (d *Doc) deref(v any) map[string]any {
	m, _ := v.(map[string]any)
	for i := 0; i < 10 && m != nil; i++ {
		ref, ok := m["$ref"].(string)
		if !ok {
			break
		}
		parts := strings.Split(strings.TrimPrefix(ref, "#/"), "/")
		m, _ = d.get(parts...).(map[string]any)
	}
	return m
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func (d *Doc) validate(schema any, v any, at string) error {
	s := d.deref(schema)
	if s == nil {
		return fmt.Errorf("%s: unresolvable schema", at)
	}
	if t, ok := s["type"]; ok && !typeMatches(t, v) {
		return fmt.Errorf("%s: %s is not of type %v", at, describe(v), t)
	}
	if c, ok := s["const"]; ok && !equal(c, v) {
		return fmt.Errorf("%s: %v is not the constant %v", at, v, c)
	}
	if e, ok := s["enum"].([]any); ok {
		found := false
		for _, x := range e {
			found = found || equal(x, v)
		}
		if !found {
			return fmt.Errorf("%s: %v is not one of %v", at, v, e)
		}
	}
	if str, ok := v.(string); ok {
		n := utf8.RuneCountInString(str)
		if m, ok := num(s["minLength"]); ok && n < m {
			return fmt.Errorf("%s: shorter than %d", at, m)
		}
		if m, ok := num(s["maxLength"]); ok && n > m {
			return fmt.Errorf("%s: longer than %d", at, m)
		}
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(str) {
			return fmt.Errorf("%s: %q does not match %s", at, str, p)
		}
		switch s["format"] {
		case "uuid":
			if !uuidRE.MatchString(str) {
				return fmt.Errorf("%s: %q is not a uuid", at, str)
			}
		case "date-time":
			if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
				return fmt.Errorf("%s: %q is not a date-time", at, str)
			}
		}
	}
	if obj, ok := v.(map[string]any); ok {
		props, _ := s["properties"].(map[string]any)
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				if _, there := obj[r.(string)]; !there {
					return fmt.Errorf("%s: required property %q missing", at, r)
				}
			}
		}
		for k, val := range obj {
			if ps, ok := props[k]; ok {
				if err := d.validate(ps, val, at+"."+k); err != nil {
					return err
				}
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					return fmt.Errorf("%s: property %q is not documented", at, k)
				}
			case map[string]any:
				if err := d.validate(ap, val, at+"."+k); err != nil {
					return err
				}
			}
		}
	}
	if arr, ok := v.([]any); ok {
		if m, ok := num(s["minItems"]); ok && len(arr) < m {
			return fmt.Errorf("%s: fewer than %d items", at, m)
		}
		if items, ok := s["items"]; ok {
			for i, x := range arr {
				if err := d.validate(items, x, fmt.Sprintf("%s[%d]", at, i)); err != nil {
					return err
				}
			}
		}
	}
	if all, ok := s["allOf"].([]any); ok {
		for _, sub := range all {
			if err := d.validate(sub, v, at); err != nil {
				return err
			}
		}
	}
	if anyOf, ok := s["anyOf"].([]any); ok && matching(d, anyOf, v, at) == 0 {
		return fmt.Errorf("%s: matches none of anyOf", at)
	}
	if oneOf, ok := s["oneOf"].([]any); ok {
		if n := matching(d, oneOf, v, at); n != 1 {
			return fmt.Errorf("%s: matches %d of oneOf, want 1", at, n)
		}
	}
	return nil
}

func matching(d *Doc, schemas []any, v any, at string) int {
	n := 0
	for _, sub := range schemas {
		if d.validate(sub, v, at) == nil {
			n++
		}
	}
	return n
}

func typeMatches(t any, v any) bool {
	switch tt := t.(type) {
	case string:
		return isType(tt, v)
	case []any:
		for _, x := range tt {
			if s, ok := x.(string); ok && isType(s, v) {
				return true
			}
		}
	}
	return false
}

func isType(t string, v any) bool {
	switch t {
	case "null":
		return v == nil
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == float64(int64(f))
	}
	return false
}

func num(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case float64:
		return int(n), true
	}
	return 0, false
}

func equal(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func describe(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 60 {
		b = append(b[:60], "..."...)
	}
	return string(b)
}

// CheckSchema validates a JSON body against the document's component schema name.
func (d *Doc) CheckSchema(name string, body []byte) error {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return err
	}
	return d.validate(map[string]any{"$ref": "#/components/schemas/" + name}, v, name)
}
