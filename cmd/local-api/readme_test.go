package main

import (
	"context"
	"github.com/partner-identity/api/shared/devdata"
	"github.com/partner-identity/api/shared/lambda/dispatch"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/testkit"
)

// step is one command of the README's walkthrough and the answer the
// README shows for it ("..." stands for anything), if any.
type step struct {
	command, want string
}

// walkthrough reads the sh blocks of the README's "Try it" section.
func walkthrough(t *testing.T) []step {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testkit.Root(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	from, to := strings.Index(s, "## Try it"), strings.Index(s, "## Invoke one function")
	if from < 0 || to < from {
		t.Fatal("README.md: no Try it section")
	}
	var steps []step
	for _, block := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(s[from:to], -1) {
		var cur *step
		continued := false
		for _, line := range strings.Split(strings.TrimRight(block[1], "\n"), "\n") {
			switch {
			case continued:
				cur.command += "\n" + line
			case strings.HasPrefix(line, "# "):
				if cur == nil {
					t.Fatalf("an answer before any command: %s", line)
				}
				cur.want += strings.TrimPrefix(line, "# ")
				continue
			default:
				steps = append(steps, step{command: line})
				cur = &steps[len(steps)-1]
			}
			continued = strings.HasSuffix(line, "\\")
		}
	}
	return steps
}

// TestREADMEWalkthrough runs the README's walkthrough, as pasted, against
// the local API (what make run serves) and checks every answer it shows.
func TestREADMEWalkthrough(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	// As make run serves it: the stand-in receiver gets the development
	// partner's webhooks, delivered every second.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deps, err := devdata.Build(context.Background(), app.Config{WebhookAllowHTTP: true}, devdata.Local{Memory: true, WebhookURL: baseURL(ln.Addr()) + devHooksPath})
	if err != nil {
		t.Fatal(err)
	}
	dispatcher := dispatch.New(deps)
	srv := httptest.NewUnstartedServer(handler(deps, []string{"*"}, func() string { return baseURL(ln.Addr()) }))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go deliverOutbox(ctx, dispatcher, deps.Store.(*memstore.Store))

	steps := walkthrough(t)
	var script strings.Builder
	script.WriteString("set -u\n")
	for i, st := range steps {
		script.WriteString("echo; echo '@@" + strconv.Itoa(i) + "@@'\n" + st.command + "\n")
	}
	cmd := exec.Command("bash", "-c", script.String())
	cmd.Env = append(os.Environ(), "API="+srv.URL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the walkthrough failed: %v\n%s", err, out)
	}
	answers := regexp.MustCompile(`(?m)^@@(\d+)@@\n`).Split(string(out), -1)[1:]
	if len(answers) != len(steps) {
		t.Fatalf("%d answers for %d steps:\n%s", len(answers), len(steps), out)
	}
	checked := 0
	for i, st := range steps {
		if st.want == "" {
			continue
		}
		checked++
		pattern := strings.ReplaceAll(regexp.QuoteMeta(st.want), `\.\.\.`, `.*`)
		got := strings.TrimSpace(strings.ReplaceAll(answers[i], "\r", ""))
		if !regexp.MustCompile(`^(?s)` + pattern + `$`).MatchString(got) {
			t.Errorf("%s\n answered %s\n README says %s", st.command, got, st.want)
		}
	}
	if checked < 12 {
		t.Errorf("only %d answers checked", checked)
	}
}
