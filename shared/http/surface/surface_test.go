package surface_test

import (
	"encoding/json"
	"github.com/partner-identity/api/shared/domain/ratelimit"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/partner-identity/api/shared/http/surface"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/openapitest"
	"go.yaml.in/yaml/v3"
)

// TestRoutesMatchTheDocument: every route is an operation of
// docs/openapi.yaml and every operation is a route.
func TestRoutesMatchTheDocument(t *testing.T) {
	doc, err := openapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, rt := range surface.All() {
		patterns = append(patterns, rt.Pattern)
	}
	sort.Strings(patterns)
	if got, want := strings.Join(doc.Operations(), "\n"), strings.Join(patterns, "\n"); got != want {
		t.Fatalf("docs/openapi.yaml operations:\n%s\nroutes:\n%s", got, want)
	}
}

type samFunction struct {
	Type     string `yaml:"Type"`
	Metadata struct {
		BuildMethod string `yaml:"BuildMethod"`
	} `yaml:"Metadata"`
	Properties struct {
		Events map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				Path   string `yaml:"Path"`
				Method string `yaml:"Method"`
			} `yaml:"Properties"`
		} `yaml:"Events"`
	} `yaml:"Properties"`
}

// TestEveryRouteIsDeployable: each route has functions/<name>/main.go, a
// Makefile build target, a template.yaml function whose HttpApi event is
// the route, and an events/<name>.json whose routeKey is the route.
func TestEveryRouteIsDeployable(t *testing.T) {
	root := testkit.Root()
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]string{} // function name -> logical id
	for _, m := range regexp.MustCompile(`(?m)^build-(\w+):\s*;\s*\$\(call build_fn,([a-z0-9-]+)\)`).FindAllStringSubmatch(string(makefile), -1) {
		targets[m[2]] = m[1]
	}
	resources := templateFunctions(t, root)
	seen := map[string]bool{}
	for _, rt := range surface.All() {
		if _, err := os.Stat(filepath.Join(root, "functions", rt.Name, "main.go")); err != nil {
			t.Errorf("%s: no functions/%s/main.go", rt.Name, rt.Name)
		}
		id, ok := targets[rt.Name]
		if !ok {
			t.Errorf("%s: no Makefile build-<LogicalId> target", rt.Name)
			continue
		}
		seen[id] = true
		fn, ok := resources[id]
		if !ok {
			t.Errorf("%s: template.yaml has no %s", rt.Name, id)
			continue
		}
		if fn.Metadata.BuildMethod != "makefile" {
			t.Errorf("%s: BuildMethod %q", id, fn.Metadata.BuildMethod)
		}
		var events []string
		for _, ev := range fn.Properties.Events {
			if ev.Type == "HttpApi" {
				events = append(events, ev.Properties.Method+" "+ev.Properties.Path)
			}
		}
		if len(events) != 1 || events[0] != rt.Pattern {
			t.Errorf("%s: template.yaml events %v, want [%s]", id, events, rt.Pattern)
		}
		raw, err := os.ReadFile(filepath.Join(root, "events", rt.Name+".json"))
		if err != nil {
			t.Errorf("%s: %v", rt.Name, err)
			continue
		}
		var ev struct {
			Version  string `json:"version"`
			RouteKey string `json:"routeKey"`
		}
		if err := json.Unmarshal(raw, &ev); err != nil || ev.Version != "2.0" || ev.RouteKey != rt.Pattern {
			t.Errorf("events/%s.json: version %q routeKey %q (%v), want 2.0 and %q", rt.Name, ev.Version, ev.RouteKey, err, rt.Pattern)
		}
	}
	for id, fn := range resources {
		if len(fn.Properties.Events) > 0 && !seen[id] {
			for _, ev := range fn.Properties.Events {
				// An event without a path is the $default route (unmatched-route).
				if ev.Type == "HttpApi" && (ev.Properties.Path != "" || id != "UnmatchedRouteFunction") {
					t.Errorf("template.yaml %s serves a route that surface.All() does not list", id)
				}
			}
		}
	}
}

func templateFunctions(t *testing.T, root string) map[string]samFunction {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]samFunction{}
	top := doc.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value != "Resources" {
			continue
		}
		res := top.Content[i+1]
		for j := 0; j+1 < len(res.Content); j += 2 {
			var fn samFunction
			if err := res.Content[j+1].Decode(&fn); err != nil {
				continue // a resource with intrinsic tags where this struct has none
			}
			if fn.Type == "AWS::Serverless::Function" {
				out[res.Content[j].Value] = fn
			}
		}
	}
	return out
}

// TestMakeFuzzRunsEveryFuzzTarget: every Fuzz function of the repository is
// in the Makefile's FUZZ_TARGETS (make fuzz), as dir:Name.
func TestMakeFuzzRunsEveryFuzzTarget(t *testing.T) {
	root := testkit.Root()
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	fuzzFunc := regexp.MustCompile(`(?m)^func (Fuzz\w+)\(`)
	n := 0
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(p))
		for _, m := range fuzzFunc.FindAllStringSubmatch(string(src), -1) {
			n++
			if !strings.Contains(string(makefile), rel+":"+m[1]) {
				t.Errorf("%s:%s is not in FUZZ_TARGETS", rel, m[1])
			}
		}
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("%d fuzz targets found, %v", n, err)
	}
}

// TestThrottlingOnEveryRoute: the HTTP API throttles every route by its
// default route settings, from parameters with positive defaults; every
// HTTP event is on that API (an event without ApiId would get an implicit
// API without throttling); the README says how to raise it per stage.
func TestThrottlingOnEveryRoute(t *testing.T) {
	root := testkit.Root()
	src, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Parameters map[string]struct {
			Type    string `yaml:"Type"`
			Default string `yaml:"Default"`
		} `yaml:"Parameters"`
		Resources map[string]yaml.Node `yaml:"Resources"`
	}
	if err := doc.Decode(&tpl); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"ThrottlingRateLimit", "ThrottlingBurstLimit"} {
		if par, ok := tpl.Parameters[p]; !ok || par.Type != "Number" || par.Default == "" || par.Default == "0" || strings.HasPrefix(par.Default, "-") {
			t.Errorf("parameter %s: %+v", p, par)
		}
	}
	// The outer guard: above the limits of at least 20 partners at the
	// defaults, so that it throttles no partner within its own.
	def := ratelimit.Defaults()[ratelimit.Default]
	if rate, _ := strconv.ParseFloat(tpl.Parameters["ThrottlingRateLimit"].Default, 64); rate < 20*def.Rate {
		t.Errorf("ThrottlingRateLimit %g: below 20 partners' default rate (%g)", rate, 20*def.Rate)
	}
	if burst, _ := strconv.Atoi(tpl.Parameters["ThrottlingBurstLimit"].Default); burst < 20*def.Burst {
		t.Errorf("ThrottlingBurstLimit %d: below 20 partners' default burst (%d)", burst, 20*def.Burst)
	}
	api, ok := tpl.Resources["HttpApi"]
	if !ok {
		t.Fatal("no HttpApi")
	}
	var apiDef struct {
		Type       string `yaml:"Type"`
		Properties struct {
			DefaultRouteSettings map[string]yaml.Node `yaml:"DefaultRouteSettings"`
		} `yaml:"Properties"`
	}
	if err := api.Decode(&apiDef); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"ThrottlingRateLimit", "ThrottlingBurstLimit"} {
		n := apiDef.Properties.DefaultRouteSettings[p]
		if n.Tag != "!Ref" || n.Value != p {
			t.Errorf("HttpApi DefaultRouteSettings %s = %s %q, want !Ref %s", p, n.Tag, n.Value, p)
		}
	}
	events := 0
	for id, res := range tpl.Resources {
		var fn struct {
			Properties struct {
				Events map[string]struct {
					Type       string `yaml:"Type"`
					Properties struct {
						ApiID yaml.Node `yaml:"ApiId"`
					} `yaml:"Properties"`
				} `yaml:"Events"`
			} `yaml:"Properties"`
		}
		if err := res.Decode(&fn); err != nil {
			continue
		}
		for name, ev := range fn.Properties.Events {
			if ev.Type != "HttpApi" {
				continue
			}
			events++
			if ev.Properties.ApiID.Tag != "!Ref" || ev.Properties.ApiID.Value != "HttpApi" {
				t.Errorf("%s event %s is not on HttpApi", id, name)
			}
		}
	}
	if events != len(surface.All())+1 {
		t.Errorf("%d HttpApi events, %d routes and the $default route", events, len(surface.All()))
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil || !strings.Contains(string(readme), "--parameter-overrides ThrottlingRateLimit=") {
		t.Error("README does not say how to raise throttling per stage")
	}
}

// TestTheMakefileBuildsEveryFunctionStamped: make build builds every
// function of functions/, and a build carries its commit (the log lines'
// version): make build-one with COMMIT, found in the binary.
func TestTheMakefileBuildsEveryFunctionStamped(t *testing.T) {
	mk, err := os.ReadFile(filepath.Join(testkit.Root(), "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(mk), "\nFUNCTIONS    := ")
	list, _, _ := strings.Cut(rest, "\nFN ")
	listed := strings.Fields(strings.ReplaceAll(list, "\\", " "))
	dirs, err := os.ReadDir(filepath.Join(testkit.Root(), "functions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !slices.Contains(listed, d.Name()) {
			t.Errorf("make build does not build functions/%s (FUNCTIONS)", d.Name())
		}
	}
	if len(listed) != len(dirs) {
		t.Errorf("FUNCTIONS lists %d, functions/ holds %d", len(listed), len(dirs))
	}

	out := t.TempDir()
	cmd := exec.Command("make", "-s", "--no-print-directory", "build-one", "F=jwks", "OUT="+out, "ARCH="+runtime.GOARCH, "COMMIT=0c0ffee0babe")
	cmd.Dir = testkit.Root()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make build-one: %v\n%s", err, b)
	}
	// -trimpath leaves -ldflags out of the build settings: the commit is
	// looked for as the string it is in the binary.
	bin, err := os.ReadFile(filepath.Join(out, "jwks", "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(bin), "0c0ffee0babe") {
		t.Fatal("the build does not carry its commit")
	}
}

// TestMakeHelpListsEveryTarget: `make help` (and `make` alone) lists each
// developer target of the Makefile's .PHONY line (all but SAM's build-*
// targets and the helpers build-one and fuzz-corpus), one a line, every
// description starting in the same column.
func TestMakeHelpListsEveryTarget(t *testing.T) {
	root := testkit.Root()
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	var phony []string
	for _, line := range strings.Split(string(mk), "\n") {
		if rest, ok := strings.CutPrefix(line, ".PHONY: help "); ok {
			phony = append([]string{"help"}, strings.Fields(rest)...)
		}
	}
	if len(phony) == 0 {
		t.Fatal("no .PHONY line starting with help")
	}
	cmd := exec.Command("make", "-s", "--no-print-directory")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("make: %v", err)
	}
	listed, column := map[string]bool{}, -1
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 2 || !strings.HasPrefix(line, "  ") {
			t.Fatalf("make help line %q", line)
		}
		listed[f[0]] = true
		at := strings.Index(line[2+len(f[0]):], f[1]) + 2 + len(f[0])
		if column >= 0 && at != column {
			t.Errorf("make help: %q's description starts at column %d, the others' at %d", f[0], at, column)
		}
		column = at
	}
	for _, target := range phony {
		if target != "build-one" && target != "fuzz-corpus" && !listed[target] {
			t.Errorf("make help does not list %s", target)
		}
	}
}
