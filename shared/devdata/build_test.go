package devdata_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partner-identity/api/shared/devdata"
	"github.com/partner-identity/api/shared/kit/logsafe"
	"github.com/partner-identity/api/shared/lambda/app"
)

// TestABadPartnersFileIsNamed: make run -partners FILE refuses a file
// that does not validate before serving, naming the file and the field,
// and imports nothing of it.
func TestABadPartnersFileIsNamed(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct{ doc, want string }{
		"a bad webhook URL": {`{"partners":[{"id":"p_x","webhook":{"url":"http://hooks.x.example/"}}]}`,
			"config: file " + dir + "/a bad webhook URL.json: partner registry: partner 0: partner p_x: webhook.url must be https"},
		"not JSON": {`{"partners": [secretvalue]}`, "config: file " + dir + "/not JSON.json: partner registry: "},
	} {
		path := filepath.Join(dir, name+".json")
		if err := os.WriteFile(path, []byte(c.doc), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := devdata.Build(context.Background(), app.Config{}, devdata.Local{Memory: true, PartnersFile: path})
		if code := logsafe.Code(err); !strings.HasPrefix(code, c.want) || strings.Contains(code, "secretvalue") {
			t.Errorf("%s: %q, want %q...", name, code, c.want)
		}
	}
}
