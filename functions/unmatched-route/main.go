// Command unmatched-route is the function of the HTTP API's $default route:
// it answers the paths and methods no route matches, 404 or 405 in the
// dialect of the surface the path belongs to, as cmd/local-api does.
package main

import (
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/http/surface"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/lambda/lambdarun"
)

func main() {
	app.SetupLogging()
	lambdarun.Start(httpx.Unmatched(surface.All()...))
}
