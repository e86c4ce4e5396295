// Package baseline holds the two floors the functions are measured
// against: a bare aws-lambda-go hello handler and a bare HTTP API adapter
// with an empty handler. bench/hello and bench/adapter are their binaries.
package baseline

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
)

// Hello answers every event with a constant.
func Hello(context.Context, json.RawMessage) (string, error) { return "hello", nil }

// Adapter is the HTTP API (payload 2.0) adapter around an empty handler
// (it only sets its status), as lambdarun.Start wraps a function's routes.
func Adapter() *httpadapter.HandlerAdapterV2 {
	return httpadapter.NewV2(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
}
