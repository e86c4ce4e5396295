package systemtest_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/partner-identity/api/shared/testkit"
)

// TestGeneratedClientIsCurrent: client/client.gen.go (the client module's)
// is what the pinned oapi-codegen (this module's tool) makes from
// docs/openapi.yaml today; make client mends it.
func TestGeneratedClientIsCurrent(t *testing.T) {
	root := testkit.Root()
	cfg, err := os.ReadFile(filepath.Join(root, "client", "oapi-codegen.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "client.gen.go")
	outputLine := regexp.MustCompile(`(?m)^output: .*$`)
	if !outputLine.Match(cfg) {
		t.Fatal("oapi-codegen.yaml names no output")
	}
	tmpCfg := filepath.Join(t.TempDir(), "oapi-codegen.yaml")
	if err := os.WriteFile(tmpCfg, outputLine.ReplaceAll(cfg, []byte("output: "+out)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "tool", "oapi-codegen", "-config", tmpCfg, filepath.Join("docs", "openapi.yaml"))
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("oapi-codegen: %v\n%s", err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, "client", "client.gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("client/client.gen.go differs from what oapi-codegen makes of docs/openapi.yaml: run make client")
	}
}
