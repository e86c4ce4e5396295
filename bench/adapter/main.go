// Command adapter is the bare HTTP API adapter binary of the benchmarks: an
// empty handler behind aws-lambda-go-api-proxy, without the API's code.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/partner-identity/api/bench/baseline"
)

func main() { lambda.Start(baseline.Adapter().ProxyWithContext) }
