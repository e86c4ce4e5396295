// Command kyc-hosted-webhook is the Lambda function of kyccallbacks.HostedRoute.
package main

import (
	"github.com/partner-identity/api/shared/http/kyccallbacks"
	"github.com/partner-identity/api/shared/lambda/callbackapi"
)

func main() { callbackapi.Main(kyccallbacks.HostedRoute) }
