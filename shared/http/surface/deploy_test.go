package surface_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/http/surface"
	"github.com/partner-identity/api/shared/testkit"
	"github.com/partner-identity/api/shared/testkit/sam"
	"go.yaml.in/yaml/v3"
)

// TestDefaultRouteGoesToUnmatchedRoute: in the HTTP API as SAM generates it,
// the $default route (any method) is integrated with unmatched-route (its
// alias, as every route), so that AWS answers unmatched paths in the
// surfaces' dialects.
func TestDefaultRouteGoesToUnmatchedRoute(t *testing.T) {
	tpl := sam.Transform(t)
	body, _ := tpl.Resources["HttpApi"].Properties["Body"].(map[string]any)
	paths, _ := body["paths"].(map[string]any)
	def, _ := paths["$default"].(map[string]any)
	anyMethod, _ := def["x-amazon-apigateway-any-method"].(map[string]any)
	integ, _ := anyMethod["x-amazon-apigateway-integration"].(map[string]any)
	uri, _ := integ["uri"].(map[string]any)
	if anyMethod["isDefaultRoute"] != true || !strings.Contains(uri["Fn::Sub"].(string), "${UnmatchedRouteFunctionAliaslive}") {
		t.Fatalf("$default route: %v", def)
	}
}

// TestCORSIsTheLocalAPIs: the CORS configuration API Gateway applies is the
// one cmd/local-api applies (httpx.CORS), for the origins of the parameter.
func TestCORSIsTheLocalAPIs(t *testing.T) {
	tpl := sam.Transform(t, "CorsAllowedOrigins=https://widget.acme.example,https://checkout.acme.example")
	body, _ := tpl.Resources["HttpApi"].Properties["Body"].(map[string]any)
	cors, _ := body["x-amazon-apigateway-cors"].(map[string]any)
	list := func(k string) []string {
		var out []string
		for _, v := range cors[k].([]any) {
			out = append(out, v.(string))
		}
		return out
	}
	if !slices.Equal(list("allowHeaders"), httpx.CORSAllowHeaders) || !slices.Equal(list("allowMethods"), httpx.CORSAllowMethods) ||
		!slices.Equal(list("exposeHeaders"), httpx.CORSExposeHeaders) || cors["maxAge"] != float64(httpx.CORSMaxAge) {
		t.Fatalf("API Gateway's CORS %v, the local API's %v %v %v %d", cors, httpx.CORSAllowHeaders, httpx.CORSAllowMethods, httpx.CORSExposeHeaders, httpx.CORSMaxAge)
	}
	if origins, ok := cors["allowOrigins"].([]any); !ok || len(origins) != 2 || origins[0] != "https://widget.acme.example" {
		t.Fatalf("allowOrigins %v: want the CorsAllowedOrigins parameter's list", cors["allowOrigins"])
	}
	// Every header a page sends with a user token is allowed; the
	// partner's key, a server-to-server credential, is not.
	for _, h := range []string{"user-authorization", "user-identifier", "authorization", "content-type"} {
		if !slices.Contains(httpx.CORSAllowHeaders, h) {
			t.Errorf("%s is not allowed", h)
		}
	}
	for _, h := range []string{"partner-api-key", "partnerapikey"} {
		if slices.Contains(httpx.CORSAllowHeaders, h) {
			t.Errorf("%s, a server-to-server credential, is allowed from browsers", h)
		}
	}
}

// TestCORSOriginsMustBeNamed: a deploy names its widget origins: the
// parameter has no default, and "*" or a plain-http origin is refused;
// https origins (and http on localhost, for a development stack) pass.
func TestCORSOriginsMustBeNamed(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testkit.Root(), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Parameters map[string]struct {
			Default        any    `yaml:"Default"`
			AllowedPattern string `yaml:"AllowedPattern"`
		} `yaml:"Parameters"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	p := doc.Parameters["CorsAllowedOrigins"]
	if p.Default != nil {
		t.Fatalf("CorsAllowedOrigins has a default, %v", p.Default)
	}
	re := regexp.MustCompile(p.AllowedPattern)
	for origin, ok := range map[string]bool{"*": false, "https://*": false, "http://widget.acme.example": false, "null": false, "": false,
		"https://widget.acme.example": true, "https://pay.acme.example:8443": true, "http://localhost:5173": true, "http://127.0.0.1:3000": true} {
		if re.MatchString(origin) != ok {
			t.Errorf("%q accepted: %v, want %v", origin, !ok, ok)
		}
	}
}

// TestTwoStacksCanShareARegion: no resource of the transformed template has
// a fixed name (the schedule's comes from OmitName) but the functions'
// aliases, whose names are their function's own.
func TestTwoStacksCanShareARegion(t *testing.T) {
	tpl := sam.Transform(t)
	for id, r := range tpl.Resources {
		if r.Type == "AWS::Lambda::Alias" {
			continue
		}
		for _, k := range []string{"Name", "FunctionName", "TableName", "QueueName", "TopicName", "RoleName", "LogGroupName", "AlarmName", "DashboardName"} {
			if v, ok := r.Properties[k]; ok {
				if _, literal := v.(string); literal {
					t.Errorf("%s (%s) has a fixed %s %v", id, r.Type, k, v)
				}
			}
		}
	}
}

// TestSecretParametersRefusePlaceholders: the template refuses an ARN
// without the six-character suffix every secret's ARN ends in, such as
// samconfig.toml's placeholders, and accepts a real one.
func TestSecretParametersRefusePlaceholders(t *testing.T) {
	root := testkit.Root()
	raw, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Parameters map[string]struct {
			AllowedPattern string `yaml:"AllowedPattern"`
		} `yaml:"Parameters"`
	}
	if err := yaml.Unmarshal(raw, &tpl); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join(root, "samconfig.toml"))
	if err != nil {
		t.Fatal(err)
	}
	placeholders := regexp.MustCompile(`"(\w+SecretArn)=([^"]+)"`).FindAllStringSubmatch(string(cfg), -1)
	if len(placeholders) < 4 {
		t.Fatalf("samconfig.toml: %d secret ARNs", len(placeholders))
	}
	for _, p := range placeholders {
		pattern := regexp.MustCompile(tpl.Parameters[p[1]].AllowedPattern)
		if pattern.MatchString(p[2]) {
			t.Errorf("%s accepts samconfig.toml's placeholder %s", p[1], p[2])
		}
		if real := p[2] + "-Ab12Cd"; !pattern.MatchString(real) {
			t.Errorf("%s refuses the real ARN %s", p[1], real)
		}
	}
}

// TestEveryOperationDocumentsThrottling: API Gateway's 429 is documented on
// every operation (a partner's surface: inside its dialect's own 429, the
// rate limit's), and the servers name the deployed URL form.
func TestEveryOperationDocumentsThrottling(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testkit.Root(), "docs", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Servers []struct {
			URL string `yaml:"url"`
		} `yaml:"servers"`
		Paths map[string]map[string]yaml.Node `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for path, ops := range doc.Paths {
		for method, node := range ops {
			if method == "parameters" {
				continue
			}
			var op struct {
				Responses map[string]map[string]any `yaml:"responses"`
			}
			if err := node.Decode(&op); err != nil {
				t.Fatal(err)
			}
			n++
			// API Gateway's throttling answer, or (where a partner's rate
			// budget applies) its surface's answer, which includes it.
			want := []string{"TooManyRequests"}
			switch {
			case strings.HasPrefix(path, "/api/partner/v2/"):
				want = []string{"PartnerRateLimited", "PartnerBudgetSpent"}
			case strings.HasPrefix(path, "/api/v2/user/"):
				want = []string{"UserV2RateLimited"}
			case strings.HasPrefix(path, "/federated-identities"):
				want = []string{"JSONAPIRateLimited"}
			case strings.HasPrefix(path, "/oauth2/"):
				want = []string{"OAuthRateLimited"}
			}
			if ref, _ := op.Responses["429"]["$ref"].(string); !slices.Contains(want, strings.TrimPrefix(ref, "#/components/responses/")) {
				t.Errorf("%s %s: 429 is %q, want one of %v", method, path, ref, want)
			}
		}
	}
	if n != len(surface.All()) {
		t.Errorf("%d operations, %d routes", n, len(surface.All()))
	}
	if !slices.ContainsFunc(doc.Servers, func(s struct {
		URL string `yaml:"url"`
	}) bool {
		return strings.Contains(s.URL, ".execute-api.")
	}) {
		t.Errorf("servers %v: no deployed URL", doc.Servers)
	}
}

// TestREADMEExplainsEveryParameter: the README's deploy table names every
// parameter of the template.
func TestREADMEExplainsEveryParameter(t *testing.T) {
	root := testkit.Root()
	raw, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Parameters map[string]any `yaml:"Parameters"`
	}
	if err := yaml.Unmarshal(raw, &tpl); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for name := range tpl.Parameters {
		if !strings.Contains(string(readme), "| `"+name+"` |") {
			t.Errorf("README.md does not explain the parameter %s", name)
		}
	}
}

// TestParametersTakeWhatAWSGives: the KMS key parameter takes a key's ARN
// in both of AWS's forms (a UUID; mrk- and 32 hex digits, a multi-Region
// key) and refuses an alias or a truncated id; a custom domain's DNS target
// is an output (its regional domain name and hosted zone).
func TestParametersTakeWhatAWSGives(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testkit.Root(), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Parameters map[string]struct {
			AllowedPattern string `yaml:"AllowedPattern"`
		} `yaml:"Parameters"`
		Outputs map[string]struct {
			Condition string `yaml:"Condition"`
		} `yaml:"Outputs"`
	}
	if err := yaml.Unmarshal(raw, &tpl); err != nil {
		t.Fatal(err)
	}
	key := regexp.MustCompile(tpl.Parameters["SecretsKmsKeyArn"].AllowedPattern)
	for arn, ok := range map[string]bool{
		"": true,
		"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab":            true,
		"arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab":            true,
		"arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef": true,
		"arn:aws:kms:us-east-1:123456789012:alias/partner-identity":                              false,
		"arn:aws:kms:us-east-1:123456789012:key/1234abcd":                                        false,
		"arn:aws:kms:us-east-1:123456789012:key/mrk-1234":                                        false,
	} {
		if key.MatchString(arn) != ok {
			t.Errorf("SecretsKmsKeyArn %q: accepted %v, want %v", arn, !ok, ok)
		}
	}
	for _, out := range []string{"CustomDomainUrl", "CustomDomainTarget", "CustomDomainHostedZoneId"} {
		if tpl.Outputs[out].Condition != "HasCustomDomain" {
			t.Errorf("output %s: %+v", out, tpl.Outputs[out])
		}
	}
}

// TestTheREADMELayoutNamesEveryPackage: the README's layout names every
// package of shared/ under its layer, and every command.
func TestTheREADMELayoutNamesEveryPackage(t *testing.T) {
	root := testkit.Root()
	raw, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(raw), "## Layout")
	layout, _, _ := strings.Cut(after, "## Tests")
	words := map[string]bool{}
	for _, w := range strings.FieldsFunc(layout, func(r rune) bool {
		return r == ' ' || r == '\n' || r == ',' || r == '(' || r == ')' || r == ';' || r == ':'
	}) {
		words[strings.TrimSuffix(w, "/")] = true
	}
	for _, layer := range []string{"kit", "domain", "webhooks", "adapters", "http", "lambda", "testkit"} {
		dirs, err := os.ReadDir(filepath.Join(root, "shared", layer))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dirs {
			if d.IsDir() && !words[d.Name()] {
				t.Errorf("README layout: shared/%s/%s is not named", layer, d.Name())
			}
		}
	}
	cmds, _ := os.ReadDir(filepath.Join(root, "cmd"))
	for _, c := range cmds {
		if !strings.Contains(layout, "cmd/"+c.Name()) {
			t.Errorf("README layout: cmd/%s is not named", c.Name())
		}
	}
}

// TestGuidedDeployAsksNothingOfAuthorization: `sam deploy --guided` asks,
// of each function with an HttpApi event, whether it "may not have
// authorization defined", unless the event or the API it names has an
// Auth (SAM CLI's auth_per_resource: an Auth present and not empty); the
// default answer aborts the deploy. The template's API
// says that API Gateway authorizes nothing (the functions authenticate):
// every routed function passes that check, and as SAM transforms it no
// route carries an authorizer.
func TestGuidedDeployAsksNothingOfAuthorization(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testkit.Root(), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				Auth   map[string]any `yaml:"Auth"`
				Events map[string]struct {
					Type       string `yaml:"Type"`
					Properties struct {
						Auth  map[string]any `yaml:"Auth"`
						ApiId yaml.Node      `yaml:"ApiId"`
					} `yaml:"Properties"`
				} `yaml:"Events"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(raw, &tpl); err != nil {
		t.Fatal(err)
	}
	routed := 0
	for id, r := range tpl.Resources {
		for name, ev := range r.Properties.Events {
			if ev.Type != "HttpApi" {
				continue
			}
			routed++
			api := tpl.Resources[ev.Properties.ApiId.Value]
			if len(ev.Properties.Auth) == 0 && len(api.Properties.Auth) == 0 {
				t.Errorf("%s.%s: sam deploy --guided would ask whether it may have no authorization", id, name)
			}
		}
	}
	if routed == 0 {
		t.Fatal("no routed function found")
	}
	transformed := sam.Transform(t)
	body, _ := json.Marshal(transformed.Resources["HttpApi"].Properties["Body"])
	for _, mark := range []string{`"security"`, "securitySchemes", "x-amazon-apigateway-authorizer", "authorizationType"} {
		if strings.Contains(string(body), mark) {
			t.Fatalf("a route carries an authorizer (%s): %s", mark, body)
		}
	}
	for id, r := range transformed.Resources {
		if r.Type == "AWS::ApiGatewayV2::Authorizer" {
			t.Fatalf("%s: an authorizer", id)
		}
	}
}
