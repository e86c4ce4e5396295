package layers_test

import (
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/partner-identity/api/shared/testkit"
)

const module = "github.com/partner-identity/api/"

// layerOf classifies every package of the module; a new package must be
// given a layer here before the test passes.
func layerOf(pkg string) string {
	switch {
	case slices.Contains([]string{"shared/apierr", "shared/awsconfig", "shared/deadline", "shared/jsonmember", "shared/logsafe",
		"shared/metrics", "shared/partners", "shared/phone", "shared/phone/internal/gen", "shared/secrets", "shared/servicekeys", "shared/store",
		"shared/tokens", "shared/wire", "shared/webhooksig", "shared/kycproviders", "shared/sumsub", "shared/webhookqueue", "shared/webhookqueue/sqsqueue"}, pkg):
		return "foundation"
	case slices.Contains(domain, pkg):
		return "domain"
	case pkg == "shared/store/dynamostore" || pkg == "shared/store/memstore":
		return "adapter"
	case pkg == "shared/app":
		return "composition"
	case slices.Contains([]string{"shared/httpx", "shared/dialects", "shared/router", "shared/lambdarun"}, pkg):
		return "transport"
	case strings.HasPrefix(pkg, "shared/surface"):
		return "surface"
	case strings.HasPrefix(pkg, "shared/jobs/"):
		return "job"
	case strings.HasPrefix(pkg, "functions/"):
		return "function"
	case pkg == "client":
		return "client" // the generated partner client: imports nothing of the module
	case strings.HasPrefix(pkg, "shared/testkit") || pkg == "shared/store/storetest" || pkg == "shared/systemtest" ||
		pkg == "shared/layers" || pkg == "shared/devdata" || strings.HasPrefix(pkg, "cmd/") || strings.HasPrefix(pkg, "bench"):
		return "tooling" // tests, tools and the local runner: free to import anything
	}
	return ""
}

// domain holds the rules and services.
var domain = []string{"shared/users", "shared/kyc", "shared/identifiers", "shared/federation", "shared/tokenauth", "shared/webhookevents",
	"shared/outbox", "shared/webhooks"}

// mayImport lists the layers each layer may import.
var mayImport = map[string][]string{
	"foundation":  {"foundation"},
	"domain":      {"foundation", "domain"},
	"adapter":     {"foundation"},
	"composition": {"foundation", "adapter"},
	"transport":   {"foundation", "composition", "transport"},
	"surface":     {"foundation", "domain", "composition", "transport", "surface"},
	"job":         {"foundation", "domain", "adapter", "composition"},
	"function":    {"composition", "transport", "surface", "job"},
	"client":      {},
}

type pkgInfo struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func listPackages(t *testing.T) []pkgInfo {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", "./...")
	cmd.Dir = testkit.Root()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkgInfo
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkgInfo
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		p.ImportPath = strings.TrimPrefix(p.ImportPath, module)
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d packages", len(pkgs))
	}
	return pkgs
}

// internal is the module's own packages among paths, without the module prefix.
func internal(paths []string) []string {
	var out []string
	for _, p := range paths {
		if strings.HasPrefix(p, module) {
			out = append(out, strings.TrimPrefix(p, module))
		}
	}
	return out
}

// violations lists what breaks the rules in pkgs.
func violations(pkgs []pkgInfo) []string {
	var bad []string
	for _, p := range pkgs {
		layer := layerOf(p.ImportPath)
		if layer == "" {
			bad = append(bad, p.ImportPath+": no layer (add it to layerOf)")
			continue
		}
		if layer == "tooling" {
			continue
		}
		for _, imp := range internal(p.Imports) {
			if to := layerOf(imp); !slices.Contains(mayImport[layer], to) {
				bad = append(bad, fmt.Sprintf("%s (%s) imports %s (%s)", p.ImportPath, layer, imp, to))
			}
			if layer == "surface" && p.ImportPath != "shared/surface" && strings.HasPrefix(imp, "shared/surface") {
				bad = append(bad, fmt.Sprintf("%s imports another surface, %s", p.ImportPath, imp))
			}
		}
		if layer == "domain" {
			if slices.Contains(p.Imports, "net/http") && p.ImportPath != "shared/webhooks" {
				bad = append(bad, p.ImportPath+" (domain) imports net/http")
			}
			for _, dep := range internal(p.Deps) {
				if l := layerOf(dep); l == "transport" || l == "composition" || l == "surface" {
					bad = append(bad, fmt.Sprintf("%s (domain) depends on %s (%s)", p.ImportPath, dep, l))
				}
			}
		}
	}
	return bad
}

// TestImportRules: every package imports only what its layer may.
func TestImportRules(t *testing.T) {
	for _, v := range violations(listPackages(t)) {
		t.Error(v)
	}
}

// TestTheRulesCatchABreach: the check finds each kind of breach, so that a
// passing TestImportRules means something.
func TestTheRulesCatchABreach(t *testing.T) {
	cases := map[string]pkgInfo{
		"domain imports transport":    {ImportPath: "shared/users", Imports: []string{module + "shared/httpx"}},
		"domain imports app":          {ImportPath: "shared/kyc", Imports: []string{module + "shared/app"}},
		"domain imports net/http":     {ImportPath: "shared/identifiers", Imports: []string{"net/http"}},
		"domain reaches a surface":    {ImportPath: "shared/federation", Deps: []string{module + "shared/surface/userv2"}},
		"foundation imports domain":   {ImportPath: "shared/apierr", Imports: []string{module + "shared/users"}},
		"app imports a surface":       {ImportPath: "shared/app", Imports: []string{module + "shared/surface/partnerv2"}},
		"router imports a surface":    {ImportPath: "shared/router", Imports: []string{module + "shared/surface/userv2"}},
		"surface imports a surface":   {ImportPath: "shared/surface/userv2", Imports: []string{module + "shared/surface/partnerv2"}},
		"an unclassified package":     {ImportPath: "shared/newthing"},
		"a function imports a mock":   {ImportPath: "functions/get-user", Imports: []string{module + "shared/store/memstore"}},
		"an adapter imports a domain": {ImportPath: "shared/store/memstore", Imports: []string{module + "shared/outbox"}},
	}
	for name, p := range cases {
		if len(violations([]pkgInfo{p})) == 0 {
			t.Errorf("%s: not caught", name)
		}
	}
	if v := violations([]pkgInfo{{ImportPath: "shared/webhooks", Imports: []string{"net/http"}}}); len(v) != 0 {
		t.Errorf("the webhook sender's net/http is allowed: %v", v)
	}
}

// devOnly are the packages of development and tests: the development
// partner, keys and data, the in-memory store, the in-process queues, the
// test kit. None may be linked into a function binary.
func devOnly(pkg string) bool {
	return pkg == "shared/devdata" || pkg == "shared/store/memstore" || pkg == "shared/store/storetest" ||
		strings.HasPrefix(pkg, "shared/testkit") || pkg == "shared/systemtest" || strings.HasPrefix(pkg, "cmd/") || strings.HasPrefix(pkg, "bench")
}

// TestNoFunctionLinksDevelopmentCode: every function's dependencies (go
// list -deps, what its binary links) hold no development or test package,
// so no function binary contains the development partner's key, the
// development signing seed or the in-memory store, whatever its
// environment says.
func TestNoFunctionLinksDevelopmentCode(t *testing.T) {
	functions := 0
	for _, p := range listPackages(t) {
		if !strings.HasPrefix(p.ImportPath, "functions/") {
			continue
		}
		functions++
		for _, dep := range internal(p.Deps) {
			if devOnly(dep) {
				t.Errorf("%s links %s", p.ImportPath, dep)
			}
		}
	}
	if functions != 21 {
		t.Errorf("%d functions", functions)
	}
	// The check catches one that does.
	bad := pkgInfo{ImportPath: "functions/x", Deps: []string{module + "shared/app", module + "shared/devdata"}}
	if !devOnly(internal(bad.Deps)[1]) {
		t.Error("devdata is not development code")
	}
}
