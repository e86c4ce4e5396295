package metrics

import "testing"

// TestServiceIsTheStack: the Service dimension is the stack's name where
// the template sets METRICS_SERVICE, the default elsewhere.
func TestServiceIsTheStack(t *testing.T) {
	env := map[string]string{ServiceEnv: "partner-identity-prod"}
	if got := serviceFrom(func(k string) string { return env[k] }); got != "partner-identity-prod" {
		t.Fatalf("with %s set: %q", ServiceEnv, got)
	}
	if got := serviceFrom(func(string) string { return "" }); got != DefaultService {
		t.Fatalf("without it: %q", got)
	}
}
