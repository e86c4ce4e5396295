// Command sandbox-wipe-data is the Lambda function of
// partnerv2.WipeSandboxDataRoute (test mode only).
package main

import (
	"github.com/partner-identity/api/shared/http/partnerv2"
	"github.com/partner-identity/api/shared/lambda/partnerapi"
)

func main() { partnerapi.Main(partnerv2.WipeSandboxDataRoute) }
