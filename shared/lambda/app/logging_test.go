package app_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/partner-identity/api/shared/kit/metrics"
	"github.com/partner-identity/api/shared/kit/version"
	"github.com/partner-identity/api/shared/lambda/app"
)

// TestEveryLineSaysWhoWroteIt: a line carries the service (the stack),
// the build and, in Lambda, the function's name.
func TestEveryLineSaysWhoWroteIt(t *testing.T) {
	var buf bytes.Buffer
	env := map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "stack-GetUserFunction-abc"}
	log := slog.New(app.Identified(slog.NewJSONHandler(&buf, nil), func(k string) string { return env[k] }))
	log.Info("request", "status", 200)
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if line["service"] != metrics.Service || line["version"] != version.Commit || line["function"] != "stack-GetUserFunction-abc" || line["status"] != 200.0 {
		t.Fatalf("line %s", buf.Bytes())
	}
	buf.Reset()
	slog.New(app.Identified(slog.NewJSONHandler(&buf, nil), func(string) string { return "" })).Info("x")
	if bytes.Contains(buf.Bytes(), []byte(`"function"`)) {
		t.Fatalf("outside Lambda a line names a function: %s", buf.Bytes())
	}
}

// TestLogLevelFollowsLambda: Lambda's AWS_LAMBDA_LOG_LEVEL (the
// function's ApplicationLogLevel) wins over LOG_LEVEL; its TRACE and FATAL
// map to slog's nearest; nothing, or nonsense, is info.
func TestLogLevelFollowsLambda(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want slog.Level
	}{
		{map[string]string{}, slog.LevelInfo},
		{map[string]string{"LOG_LEVEL": "DEBUG"}, slog.LevelDebug},
		{map[string]string{"AWS_LAMBDA_LOG_LEVEL": "WARN", "LOG_LEVEL": "DEBUG"}, slog.LevelWarn},
		{map[string]string{"AWS_LAMBDA_LOG_LEVEL": "TRACE"}, slog.LevelDebug},
		{map[string]string{"AWS_LAMBDA_LOG_LEVEL": "FATAL"}, slog.LevelError},
		{map[string]string{"AWS_LAMBDA_LOG_LEVEL": "LOUD", "LOG_LEVEL": "ERROR"}, slog.LevelError},
		{map[string]string{"LOG_LEVEL": "nonsense"}, slog.LevelInfo},
	} {
		if got := app.LogLevel(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("%v: %v, want %v", c.env, got, c.want)
		}
	}
}
