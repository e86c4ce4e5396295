// Command unmatched-route is the function of the HTTP API's $default route:
// it answers the paths and methods no route matches, 404 or 405 in the
// dialect of the surface the path belongs to, as cmd/local-api does.
package main

import (
	"github.com/partner-identity/api/shared/app"
	"github.com/partner-identity/api/shared/lambdarun"
	"github.com/partner-identity/api/shared/router"
	"github.com/partner-identity/api/shared/surface"
)

func main() {
	app.SetupLogging()
	lambdarun.Start(router.Unmatched(surface.All()...))
}
