package layers_test

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/partner-identity/api/shared/testkit"
)

const module = "github.com/partner-identity/api/"

// The layers are folders: a package's layer is the folder it is in, never
// a list to keep by hand. A new package lands in its layer by where it is
// created.
var layers = []struct{ prefix, name string }{
	{"shared/kit/", "kit"},
	{"shared/domain", "domain"}, // the domain root (records, store interfaces, errors) and its services
	{"shared/webhooks/", "webhooks"},
	{"shared/adapters/", "adapters"},
	{"shared/http/", "http"},
	{"shared/lambda/", "lambda"},
	{"functions/", "function"},
}

// tooling may import anything: the development data, the tests' kit, the
// system tests, this test, the local runners, the bench.
var tooling = []string{"shared/devdata", "shared/testkit", "shared/systemtest", "shared/layers", "cmd/", "bench"}

// layerOf is the layer of pkg, from its folder.
func layerOf(pkg string) string {
	for _, t := range tooling {
		if strings.HasPrefix(pkg, t) {
			return "tooling"
		}
	}
	for _, l := range layers {
		if pkg == strings.TrimSuffix(l.prefix, "/") || strings.HasPrefix(pkg, l.prefix) {
			return l.name
		}
	}
	return ""
}

// mayImport lists the layers each layer may import: inward only. The
// domain knows none of the outer rings; delivery knows the domain; the
// adapters implement both; the HTTP side serves them; the Lambda side
// composes everything; a function is wiring.
var mayImport = map[string][]string{
	"kit":      {"kit"},
	"domain":   {"kit", "domain"},
	"webhooks": {"kit", "domain", "webhooks"},
	"adapters": {"kit", "domain", "webhooks", "adapters"},
	"http":     {"kit", "domain", "webhooks", "adapters", "http"},
	"lambda":   {"kit", "domain", "webhooks", "adapters", "http", "lambda"},
	"function": {"http", "lambda"},
}

// wire are the imports the domain may not make, even indirectly: HTTP,
// Lambda's types, the AWS SDK.
var wire = []string{"net/http", "github.com/aws/aws-lambda-go", "github.com/aws/aws-sdk-go-v2", "github.com/awslabs/aws-lambda-go-api-proxy"}

// lambdaTypes may be imported only by the Lambda side (and functions).
var lambdaTypes = []string{"github.com/aws/aws-lambda-go", "github.com/awslabs/aws-lambda-go-api-proxy"}

// surfaces are the HTTP side's one package per surface: none imports another.
var surfaces = []string{"shared/http/partnerv2", "shared/http/userv2", "shared/http/federatedids", "shared/http/kyccallbacks"}

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

// under tells whether import path p is one of prefixes or below one.
func under(p string, prefixes []string) bool {
	return slices.ContainsFunc(prefixes, func(x string) bool { return p == x || strings.HasPrefix(p, x+"/") })
}

// violations lists what breaks the rules in pkgs.
func violations(pkgs []pkgInfo) []string {
	var bad []string
	for _, p := range pkgs {
		layer := layerOf(p.ImportPath)
		switch layer {
		case "":
			bad = append(bad, p.ImportPath+": in no layer's folder")
			continue
		case "tooling":
			continue
		}
		for _, imp := range internal(p.Imports) {
			if to := layerOf(imp); !slices.Contains(mayImport[layer], to) {
				bad = append(bad, fmt.Sprintf("%s (%s) imports %s (%s)", p.ImportPath, layer, imp, to))
			}
			if slices.Contains(surfaces, p.ImportPath) && slices.Contains(surfaces, imp) {
				bad = append(bad, fmt.Sprintf("%s imports another surface, %s", p.ImportPath, imp))
			}
		}
		if layer != "lambda" && layer != "function" {
			for _, imp := range p.Imports {
				if under(imp, lambdaTypes) {
					bad = append(bad, fmt.Sprintf("%s (%s) imports Lambda's %s", p.ImportPath, layer, imp))
				}
			}
		}
		if layer == "domain" {
			for _, dep := range p.Deps {
				if under(dep, wire) {
					bad = append(bad, fmt.Sprintf("%s (domain) depends on %s", p.ImportPath, dep))
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
		"domain imports the HTTP side":     {ImportPath: "shared/domain/users", Imports: []string{module + "shared/http/httpx"}},
		"domain imports the Lambda side":   {ImportPath: "shared/domain/kyc", Imports: []string{module + "shared/lambda/app"}},
		"domain imports an adapter":        {ImportPath: "shared/domain/kyc", Imports: []string{module + "shared/adapters/sumsub"}},
		"domain imports net/http":          {ImportPath: "shared/domain/identifiers", Imports: []string{"net/http"}, Deps: []string{"net/http"}},
		"domain reaches HTTP":              {ImportPath: "shared/domain/federation", Deps: []string{"net/http"}},
		"domain has a Lambda type":         {ImportPath: "shared/domain", Imports: []string{"github.com/aws/aws-lambda-go/events"}},
		"the domain root imports delivery": {ImportPath: "shared/domain", Imports: []string{module + "shared/webhooks/queue"}},
		"kit imports the domain":           {ImportPath: "shared/kit/wire", Imports: []string{module + "shared/domain"}},
		"delivery imports an adapter":      {ImportPath: "shared/webhooks/delivery", Imports: []string{module + "shared/adapters/dynamostore"}},
		"an adapter imports HTTP":          {ImportPath: "shared/adapters/sumsub", Imports: []string{module + "shared/http/apierr"}},
		"HTTP imports the Lambda side":     {ImportPath: "shared/http/partnerv2", Imports: []string{module + "shared/lambda/app"}},
		"HTTP has a Lambda type":           {ImportPath: "shared/http/httpx", Imports: []string{"github.com/aws/aws-lambda-go/events"}},
		"a surface imports a surface":      {ImportPath: "shared/http/userv2", Imports: []string{module + "shared/http/partnerv2"}},
		"a package in no layer":            {ImportPath: "shared/newthing"},
		"a function imports a mock":        {ImportPath: "functions/get-user", Imports: []string{module + "shared/adapters/memstore"}},
		"a function imports devdata":       {ImportPath: "functions/get-user", Imports: []string{module + "shared/devdata"}},
	}
	for name, p := range cases {
		if len(violations([]pkgInfo{p})) == 0 {
			t.Errorf("%s: not caught", name)
		}
	}
	if v := violations([]pkgInfo{{ImportPath: "shared/webhooks/delivery", Imports: []string{"net/http"}}}); len(v) != 0 {
		t.Errorf("the webhook sender's net/http is allowed: %v", v)
	}
}

// devOnly are the packages of development and tests: the development
// partner, keys and data, the in-memory store, the in-process queues, the
// test kit. None may be linked into a function binary.
func devOnly(pkg string) bool {
	return pkg == "shared/adapters/memstore" || pkg == "shared/adapters/storetest" || layerOf(pkg) == "tooling"
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
	if dirs, err := os.ReadDir(filepath.Join(testkit.Root(), "functions")); err != nil || functions != len(dirs) || functions < 21 {
		t.Errorf("%d functions of %d directories (%v)", functions, len(dirs), err)
	}
	for _, dev := range []string{"shared/devdata", "shared/adapters/memstore", "shared/testkit/fixture"} {
		if !devOnly(dev) {
			t.Errorf("%s is not development code", dev)
		}
	}
}

// TestClientIsAModuleOfItsOwn: a partner importing client/ gets its module
// graph only: none of the server's modules (AWS, Lambda, the server
// itself), and a go line no newer than the client needs.
func TestClientIsAModuleOfItsOwn(t *testing.T) {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Path}} {{.GoVersion}}", "all")
	cmd.Dir = testkit.Root() + "/client"
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -m all in client/: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if main := strings.Fields(lines[0]); main[0] != module+"client" || main[1] != "1.24" {
		t.Fatalf("client/ is %q, want its own module at go 1.24", lines[0])
	}
	for _, l := range lines[1:] {
		if p := strings.Fields(l)[0]; strings.HasPrefix(p, strings.TrimSuffix(module, "/")) ||
			strings.HasPrefix(p, "github.com/aws/") || strings.HasPrefix(p, "github.com/awslabs/") {
			t.Errorf("the client's graph holds %s", p)
		}
	}
}

// TestTheLambdaAdapterLinksNoFramework: aws-lambda-go-api-proxy earns its
// place as the one adapter between API Gateway's payload 2.0 and
// net/http (httpadapter, with core's request and response conversion),
// which the design names and the benchmarks measure against: no function
// links any other package of it, and none of the web frameworks its
// go.mod requires (gin, echo, fiber, chi, gorilla, iris, negroni) is
// downloaded or listed in go.sum (the module graph is pruned: they never
// reach a build).
func TestTheLambdaAdapterLinksNoFramework(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "./functions/...")
	cmd.Dir = testkit.Root()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const proxy = "github.com/awslabs/aws-lambda-go-api-proxy"
	var linked []string
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, proxy) {
			linked = append(linked, p)
		}
	}
	if strings.Join(linked, " ") != proxy+"/core "+proxy+"/httpadapter" {
		t.Errorf("the functions link %v of %s, want core and httpadapter only", linked, proxy)
	}
	sum, err := os.ReadFile(filepath.Join(testkit.Root(), "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for _, fw := range []string{"github.com/gin-gonic/", "github.com/labstack/echo", "github.com/gofiber/", "github.com/go-chi/",
		"github.com/gorilla/", "github.com/kataras/iris", "github.com/urfave/negroni"} {
		if strings.Contains(string(sum), fw) {
			t.Errorf("go.sum lists %s: a web framework reached the module graph", fw)
		}
	}
}
