// Package jsonmember reads the members of a JSON object body, as
// httpx.ReadObject returns it, and collects one domain.Problem per bad
// member, so that a domain's request rules never touch HTTP.
package jsonmember

import (
	"bytes"
	"encoding/json"
	"github.com/partner-identity/api/shared/domain"
	"slices"
)

// String reads a string member: present tells whether it is there and not
// null; ok is false when it is there with another JSON type.
func String(obj map[string]json.RawMessage, name string) (v string, present, ok bool) {
	raw, there := obj[name]
	if !there || string(raw) == "null" {
		return "", false, true
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", false, false
	}
	return v, true, true
}

// Checker reads the members of one object and collects a detail per bad
// member, in the order they are checked.
type Checker struct {
	obj     map[string]json.RawMessage
	Details []domain.Problem
}

// Check starts checking obj.
func Check(obj map[string]json.RawMessage) *Checker { return &Checker{obj: obj} }

// Fail records that member field has the given issue.
func (c *Checker) Fail(field, issue string) {
	c.Details = append(c.Details, domain.Problem{Field: field, Issue: issue})
}

// Required is the string member name; ok is false, and the member failed
// ("must be a string" or "is required"), when it is not a string or is
// absent or null.
func (c *Checker) Required(name string) (v string, ok bool) {
	v, present, ok := c.Optional(name)
	if ok && !present {
		c.Fail(name, "is required")
		return "", false
	}
	return v, ok
}

// Optional is the string member name: present tells whether it is there
// and not null; ok is false, and the member failed ("must be a string"),
// when it has another JSON type.
func (c *Checker) Optional(name string) (v string, present, ok bool) {
	v, present, ok = String(c.obj, name)
	if !ok {
		c.Fail(name, "must be a string")
	}
	return v, present, ok
}

// RejectUnknown fails, sorted by name, every member not named in known.
func (c *Checker) RejectUnknown(known ...string) {
	var unknown []string
	for k := range c.obj {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		c.Fail(k, "is not a known field")
	}
}

// DecodeStrict decodes the JSON document data into v, refusing members v
// does not declare (a configuration document with a misspelt member is an
// error, not a default).
func DecodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
