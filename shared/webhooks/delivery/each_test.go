package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
)

// TestAPanicFailsItsRecordOnly: one record's panic is that record's
// failure (retried by the stream), the others' outcomes stand, and the
// log line holds the stack without the panic's value.
func TestAPanicFailsItsRecordOnly(t *testing.T) {
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&logs, nil)))
	defer slog.SetDefault(prev)

	failed := each(context.Background(), 4, func(i int) error {
		switch i {
		case 1:
			panic("user ada@example.com")
		case 3:
			return errors.New("refused")
		}
		return nil
	})
	if !slices.Equal(failed, []int{1, 3}) {
		t.Fatalf("failed %v, want [1 3]", failed)
	}
	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, logs.String())
	}
	stack, _ := line["stack"].(string)
	if line["msg"] != "webhook worker panic" || !strings.Contains(stack, "TestAPanicFailsItsRecordOnly") || strings.Contains(logs.String(), "ada@") {
		t.Fatalf("log %s", logs.String())
	}
}
