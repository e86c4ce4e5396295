// Command hello is the bare aws-lambda-go binary of the benchmarks: it
// imports nothing but aws-lambda-go (baseline.Hello is the same function,
// for the in-process figures).
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, json.RawMessage) (string, error) { return "hello", nil })
}
