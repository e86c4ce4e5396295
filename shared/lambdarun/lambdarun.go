// Package lambdarun starts an HTTP handler as a Lambda function behind an
// API Gateway HTTP API (payload 2.0), or, outside Lambda, invokes it once
// with an event file and prints the response, like `sam local invoke`.
package lambdarun

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
)

// LocalTimeout bounds a local invoke, like a function's timeout.
const LocalTimeout = 30 * time.Second

// Start serves h: inside Lambda through the runtime API; outside, once, with
// the event file named by the first argument ("-" for standard input).
func Start(h http.Handler) {
	adapter := httpadapter.NewV2(h)
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" {
		lambda.Start(adapter.ProxyWithContext)
		return
	}
	if len(os.Args) != 2 {
		fmt.Fprintf(os.Stderr, "usage: %s EVENT.json   (an API Gateway HTTP API 2.0 event; - reads standard input)\n", os.Args[0])
		os.Exit(2)
	}
	out, err := InvokeFile(context.Background(), adapter, os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(append(out, '\n'))
}

// InvokeFile runs one event from path through the adapter and returns the
// response event as indented JSON.
func InvokeFile(ctx context.Context, adapter *httpadapter.HandlerAdapterV2, path string) ([]byte, error) {
	var raw []byte
	var err error
	if path == "-" {
		raw, err = io.ReadAll(os.Stdin)
	} else {
		raw, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	return Invoke(ctx, adapter, raw)
}

// Invoke runs one raw event through the adapter.
func Invoke(ctx context.Context, adapter *httpadapter.HandlerAdapterV2, raw []byte) ([]byte, error) {
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("event: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, LocalTimeout)
	defer cancel()
	resp, err := adapter.ProxyWithContext(ctx, ev)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(resp, "", "  ")
}
