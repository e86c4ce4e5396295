// Command user-info is the Lambda function of userapi.UserInfoRoute.
package main

import (
	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/lambdarun"
	"github.com/partner-identity/api/shared/router"
	"github.com/partner-identity/api/shared/userapi"
)

func main() {
	deps := app.MustFromEnv()
	lambdarun.Start(router.Mux(deps, userapi.UserInfoRoute))
}
