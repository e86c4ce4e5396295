// Command get-user is the Lambda function of partnerapi.GetUserRoute.
package main

import (
	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/lambdarun"
	"github.com/partner-identity/api/shared/partnerapi"
	"github.com/partner-identity/api/shared/router"
)

func main() {
	deps := app.MustFromEnv()
	lambdarun.Start(router.Mux(deps, partnerapi.GetUserRoute))
}
