// Command delete-federated-identity is the Lambda function of routes.DeleteFederatedIdentity.
package main

import (
	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/lambdarun"
	"github.com/partner-identity/api/shared/routes"
)

func main() {
	deps := app.MustFromEnv()
	lambdarun.Start(routes.Mux(deps, routes.DeleteFederatedIdentity))
}
