// Command sandbox-kyc-page is the Lambda function of sandboxpage.PageRoute:
// the sandbox's page a test-mode session's link opens.
package main

import (
	"github.com/partner-identity/api/shared/http/sandboxpage"
	"github.com/partner-identity/api/shared/lambda/sandboxapi"
)

func main() { sandboxapi.Main(sandboxpage.PageRoute, nil) }
