// Package openapitest holds requests and responses to docs/openapi.yaml, so
// that the document cannot drift from the code. The checking is
// pb33f/libopenapi-validator's, an OpenAPI 3.1 validator maintained outside
// this project: status, content type, required headers and body schema of
// every response (formats uuid and date-time asserted), and every request
// the API accepted (parameters, credentials, body). Only what it does not
// say is here: a body on a response that documents none.
package openapitest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/partner-identity/api/shared/testkit"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	valerrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/paths"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

// Doc is the loaded document and its validators.
type Doc struct {
	model   *v3.Document
	mu      sync.Mutex // the validator's caches are not documented as safe for concurrent use
	http    validator.Validator
	options *config.ValidationOptions
	schemas schema_validation.SchemaValidator
}

var (
	loadOnce sync.Once
	loaded   *Doc
	loadErr  error
)

// Load reads docs/openapi.yaml once per test binary.
func Load() (*Doc, error) {
	loadOnce.Do(func() { loaded, loadErr = load(filepath.Join(testkit.Root(), "docs", "openapi.yaml")) })
	return loaded, loadErr
}

func load(path string) (*Doc, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc, err := libopenapi.NewDocument(raw)
	if err != nil {
		return nil, err
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		return nil, err
	}
	opts := []config.Option{config.WithFormatAssertions()}
	v, errs := validator.NewValidator(doc, opts...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		return nil, joined("docs/openapi.yaml is not a valid OpenAPI document", verrs)
	}
	return &Doc{model: &model.Model, http: v, options: config.NewValidationOptions(opts...),
		schemas: schema_validation.NewSchemaValidator(opts...)}, nil
}

// Operations lists the document's operations as ServeMux patterns
// ("POST /api/partner/v2/users").
func (d *Doc) Operations() []string {
	var ops []string
	for path, item := range d.model.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().FromOldest() {
			ops = append(ops, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(ops)
	return ops
}

// Check validates one exchange: the response always; the request when the
// API accepted it (a 2xx), since an API that accepts what its document
// forbids has drifted as surely as one that answers what it does not
// promise.
func (d *Doc) Check(req *http.Request, reqBody []byte, status int, header http.Header, body []byte) error {
	req = req.Clone(req.Context())
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	if len(reqBody) > 0 && req.Header.Get("Content-Type") == "" {
		// The API reads a body without Content-Type as JSON (documented
		// in the conventions); the validator needs it named.
		req.Header.Set("Content-Type", "application/json")
	}
	res := &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(bytes.NewReader(body)), Request: req}
	d.mu.Lock()
	defer d.mu.Unlock()
	var ok bool
	var errs []*valerrors.ValidationError
	if status/100 == 2 {
		ok, errs = d.http.ValidateHttpRequestResponse(req, res)
	} else {
		ok, errs = d.http.ValidateHttpResponse(req, res)
	}
	if !ok {
		return joined(fmt.Sprintf("%s %s %d", req.Method, req.URL.Path, status), errs)
	}
	if len(body) > 0 && !d.documentsContent(req, status) {
		return fmt.Errorf("%s %s %d: a body, but the document promises none", req.Method, req.URL.Path, status)
	}
	return nil
}

// documentsContent reports whether the response documented for req and
// status, on the path the validator matches, declares content.
func (d *Doc) documentsContent(req *http.Request, status int) bool {
	item, _, _ := paths.FindPath(req, d.model, d.options)
	if item == nil {
		return false
	}
	op := item.GetOperations().GetOrZero(strings.ToLower(req.Method))
	if op == nil || op.Responses == nil {
		return false
	}
	r := op.Responses.Codes.GetOrZero(strconv.Itoa(status))
	if r == nil {
		r = op.Responses.Default
	}
	return r != nil && r.Content != nil && r.Content.Len() > 0
}

// CheckSchema validates a JSON body against the document's component schema name.
func (d *Doc) CheckSchema(name string, body []byte) error {
	proxy := d.model.Components.Schemas.GetOrZero(name)
	if proxy == nil {
		return fmt.Errorf("no schema %s in the document", name)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if ok, errs := d.schemas.ValidateSchemaBytes(proxy.Schema(), body); !ok {
		return joined(name, errs)
	}
	return nil
}

func joined(what string, errs []*valerrors.ValidationError) error {
	var b strings.Builder
	b.WriteString(what + ":")
	for _, e := range errs {
		b.WriteString("\n  " + e.Error())
		for _, s := range e.SchemaValidationErrors {
			b.WriteString("\n    " + s.FieldPath + ": " + s.Reason)
		}
	}
	return errors.New(b.String())
}
