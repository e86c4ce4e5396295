// Command list-federated-identities is the Lambda function of fedapi.ListIdentitiesRoute.
package main

import (
	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/fedapi"
	"github.com/partner-identity/api/shared/lambdarun"
	"github.com/partner-identity/api/shared/router"
)

func main() {
	deps := app.MustFromEnv()
	lambdarun.Start(router.Mux(deps, fedapi.ListIdentitiesRoute))
}
