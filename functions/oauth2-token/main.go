// Command oauth2-token is the Lambda function of oauth.TokenRoute.
package main

import (
	"github.com/partner-identity/api/shared/http/oauth"
	"github.com/partner-identity/api/shared/lambda/oauthapi"
)

func main() { oauthapi.Main(oauth.TokenRoute) }
