// Command delete-federated-identity is the Lambda function of federatedids.DeleteIdentityRoute.
package main

import (
	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/lambdarun"
	"github.com/partner-identity/api/shared/surface/federatedids"
)

func main() {
	deps := app.MustFromEnv()
	lambdarun.Serve(deps, federatedids.DeleteIdentityRoute)
}
