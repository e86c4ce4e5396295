// Package wire holds what every response body and webhook event shares:
// one timestamp format and one JSON encoding.
package wire

import (
	"bytes"
	"encoding/json"
	"time"
)

// TimeFormat is the one timestamp format of every response and event: RFC
// 3339 in UTC with milliseconds, always three digits
// ("2026-11-24T09:00:00.000Z"), so that a partner's parser and sort order
// meet one shape.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// Time formats t in TimeFormat.
func Time(t time.Time) string { return t.UTC().Format(TimeFormat) }

// Marshal is json.Marshal without HTML escaping: a link's "&" is sent as
// "&", not "\u0026" (the bodies are application/json, never HTML, and
// nosniff keeps browsers from reading them as HTML).
func Marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
