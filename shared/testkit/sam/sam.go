// Package sam reads template.yaml as AWS SAM deploys it: transformed by
// aws-sam-translator (transform.py beside this file), the library behind
// `sam deploy` and CloudFormation's AWS::Serverless transform, so that tests
// hold the generated resources (IAM roles, event source mappings, routes)
// to AWS's documented rules rather than the SAM shorthand.
package sam

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/partner-identity/api/shared/testkit"
)

// Parameters given to the transform for the template's required parameters.
var Parameters = []string{
	"ServiceKeysSecretArn=arn:aws:secretsmanager:us-east-1:123456789012:secret:keys-AbCdEf",
	"TokenSigningSecretArn=arn:aws:secretsmanager:us-east-1:123456789012:secret:signing-AbCdEf",
	"CorsAllowedOrigins=https://widget.acme.example",
	// A parameter's default, as SAM CLI gives it to a function (the
	// local invokes read their environment from here).
	"Sandbox=enabled",
}

// Template is the transformed template.
type Template struct {
	Resources  map[string]Resource  `json:"Resources"`
	Parameters map[string]Parameter `json:"Parameters"`
	Conditions map[string]any       `json:"Conditions"`
}

// Parameter is one of the template's parameters.
type Parameter struct {
	Type          string `json:"Type"`
	Default       any    `json:"Default"`
	AllowedValues []any  `json:"AllowedValues"`
}

// Resource is one CloudFormation resource.
type Resource struct {
	Type           string         `json:"Type"`
	DeletionPolicy string         `json:"DeletionPolicy"`
	Properties     map[string]any `json:"Properties"`
	// UpdatePolicy is how CloudFormation updates it (an alias: through
	// CodeDeploy).
	UpdatePolicy map[string]any `json:"UpdatePolicy,omitempty"`
}

// Transform runs the transform on the repository's template.yaml with
// Parameters and params ("Name=Value"). Without python3 and
// aws-sam-translator the test is skipped, or failed under CI=true.
func Transform(t testing.TB, params ...string) *Template {
	t.Helper()
	root := testkit.Root()
	args := append([]string{filepath.Join(root, "shared", "testkit", "sam", "transform.py"), filepath.Join(root, "template.yaml")}, Parameters...)
	cmd := exec.Command("python3", append(args, params...)...)
	out, err := cmd.Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok {
			msg += ": " + string(ee.Stderr)
		}
		if os.Getenv("CI") == "true" {
			t.Fatalf("aws-sam-translator is required under CI=true: %s", msg)
		}
		t.Skipf("aws-sam-translator unavailable (%s); CI=true makes this a failure", msg)
	}
	var tpl Template
	if err := json.Unmarshal(out, &tpl); err != nil {
		t.Fatal(err)
	}
	return &tpl
}

// Statement is one Allow statement of a function's role, its resources
// named symbolically: "table", "index/<name>", "stream", "secret:<parameter>",
// "queue:<resource>", "loggroup:<resource>", "function:<resource>"
// (anything else is its JSON, "*" as "\"*\""); LeadingKeys are the
// prefixes its dynamodb:LeadingKeys condition allows ("USER#" for "USER#*",
// and for "USER#7e57*": a pattern's part up to its first "#" when that
// holds no wildcard; a pattern led by one, as "*.test#*", scopes nothing
// by prefix), Patterns the condition's patterns as written.
type Statement struct {
	Actions     []string
	Resources   []string
	LeadingKeys []string
	Patterns    []string
}

// Grants lists "action resource" for every pair a statement allows, as
// "action table PREFIX" for each leading key prefix of a scoped one.
func (s Statement) Grants() []string {
	var out []string
	for _, a := range s.Actions {
		for _, r := range s.Resources {
			if len(s.LeadingKeys) == 0 {
				out = append(out, a+" "+r)
			}
			for _, k := range s.LeadingKeys {
				out = append(out, a+" "+r+" "+k)
			}
		}
	}
	return out
}

// RoleStatements are the inline policy statements of the role of the
// function with logical id fn, and the role's managed policy ARNs. A
// statement under Fn::If counts when its condition is true in conditions.
func (tpl *Template) RoleStatements(fn string, conditions map[string]bool) (statements []Statement, managed []string, err error) {
	f, ok := tpl.Resources[fn]
	if !ok || f.Type != "AWS::Lambda::Function" {
		return nil, nil, fmt.Errorf("no function %s", fn)
	}
	roleRef, _ := f.Properties["Role"].(map[string]any)
	getAtt, _ := roleRef["Fn::GetAtt"].([]any)
	if len(getAtt) != 2 {
		return nil, nil, fmt.Errorf("%s: role %v", fn, f.Properties["Role"])
	}
	role, ok := tpl.Resources[getAtt[0].(string)]
	if !ok {
		return nil, nil, fmt.Errorf("%s: no role %v", fn, getAtt[0])
	}
	for _, m := range asList(role.Properties["ManagedPolicyArns"]) {
		managed = append(managed, fmt.Sprint(m))
	}
	for _, p := range asList(role.Properties["Policies"]) {
		doc, _ := p.(map[string]any)["PolicyDocument"].(map[string]any)
		for _, st := range asList(doc["Statement"]) {
			m := st.(map[string]any)
			if cond, ok := m["Fn::If"].([]any); ok && len(cond) == 3 {
				on, known := conditions[fmt.Sprint(cond[0])]
				if !known {
					return nil, nil, fmt.Errorf("%s: condition %v not given", fn, cond[0])
				}
				if !on {
					continue
				}
				m = cond[1].(map[string]any)
			}
			if m["Effect"] != "Allow" {
				return nil, nil, fmt.Errorf("%s: a statement that is not Allow: %v", fn, m)
			}
			var s Statement
			for _, a := range asList(m["Action"]) {
				s.Actions = append(s.Actions, fmt.Sprint(a))
			}
			for _, r := range asList(m["Resource"]) {
				s.Resources = append(s.Resources, symbol(r))
			}
			if cond, ok := m["Condition"].(map[string]any); ok && cond["StringEquals"] != nil {
				eq, _ := cond["StringEquals"].(map[string]any)
				via, _ := eq["kms:ViaService"].(map[string]any)
				if len(cond) != 1 || len(eq) != 1 || via["Fn::Sub"] != "secretsmanager.${AWS::Region}.amazonaws.com" {
					b, _ := json.Marshal(cond)
					return nil, nil, fmt.Errorf("%s: a condition other than kms:ViaService Secrets Manager: %s", fn, b)
				}
				for i := range s.Resources {
					s.Resources[i] += " via secretsmanager"
				}
			} else if cond, ok := m["Condition"]; ok {
				like, _ := cond.(map[string]any)["ForAllValues:StringLike"].(map[string]any)
				keys := asList(like["dynamodb:LeadingKeys"])
				if len(cond.(map[string]any)) != 1 || len(like) != 1 || len(keys) == 0 {
					b, _ := json.Marshal(cond)
					return nil, nil, fmt.Errorf("%s: a condition other than ForAllValues:StringLike on dynamodb:LeadingKeys: %s", fn, b)
				}
				for _, k := range keys {
					pat := fmt.Sprint(k)
					s.Patterns = append(s.Patterns, pat)
					whole := strings.TrimSuffix(pat, "*")
					switch i := strings.Index(pat, "#"); {
					case i >= 0 && !strings.ContainsAny(pat[:i], "*?"):
						s.LeadingKeys = append(s.LeadingKeys, pat[:i+1])
					case i < 0 && !strings.ContainsAny(whole, "*?"):
						s.LeadingKeys = append(s.LeadingKeys, whole) // a key of its own ("PTNS")
					}
				}
			}
			statements = append(statements, s)
		}
	}
	return statements, managed, nil
}

func asList(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{v}
}

// symbol names a resource reference of the template.
func symbol(r any) string {
	if m, ok := r.(map[string]any); ok {
		if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
			switch {
			case ga[0] == "Table" && ga[1] == "Arn":
				return "table"
			case ga[0] == "Table" && ga[1] == "StreamArn":
				return "stream"
			case ga[1] == "Arn" && strings.HasSuffix(fmt.Sprint(ga[0]), "LogGroup"):
				return "loggroup:" + fmt.Sprint(ga[0])
			case ga[1] == "Arn" && strings.HasSuffix(fmt.Sprint(ga[0]), "Function"):
				return "function:" + fmt.Sprint(ga[0])
			case ga[1] == "Arn" && strings.HasSuffix(fmt.Sprint(ga[0]), "Key"):
				return "key:" + fmt.Sprint(ga[0])
			case ga[1] == "Arn":
				return "queue:" + fmt.Sprint(ga[0])
			}
		}
		if ref, ok := m["Ref"].(string); ok && strings.HasSuffix(ref, "SecretArn") {
			return "secret:" + ref
		}
		if ref, ok := m["Ref"].(string); ok && strings.HasSuffix(ref, "KmsKeyArn") {
			return "key:" + ref
		}
		if sub, ok := m["Fn::Sub"].(string); ok && strings.HasPrefix(sub, "${Table.Arn}/") {
			return strings.TrimPrefix(sub, "${Table.Arn}/")
		}
	}
	b, _ := json.Marshal(r)
	return string(b)
}

// FunctionIDs maps each function's name (functions/<name>) to its logical
// id, from the Makefile's build-<LogicalId> targets.
func FunctionIDs(t testing.TB) map[string]string {
	t.Helper()
	mk, err := os.ReadFile(filepath.Join(testkit.Root(), "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(mk), "\n") {
		// build-CreateUserFunction: ; $(call build_fn,create-user)
		id, rest, ok := strings.Cut(line, ":")
		if !ok || !strings.HasPrefix(id, "build-") || !strings.Contains(rest, "build_fn,") {
			continue
		}
		name := strings.TrimSuffix(strings.SplitN(rest, "build_fn,", 2)[1], ")")
		out[strings.TrimSpace(name)] = strings.TrimPrefix(id, "build-")
	}
	return out
}

// Sorted is the keys of m, sorted.
func Sorted[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
