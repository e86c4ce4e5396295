// Command user-info is the Lambda function of userv2.UserInfoRoute.
package main

import (
	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/lambdarun"
	"github.com/partner-identity/api/shared/surface/userv2"
)

func main() {
	deps := app.MustFromEnv()
	lambdarun.Serve(deps, userv2.UserInfoRoute)
}
