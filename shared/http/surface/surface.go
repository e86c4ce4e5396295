// Package surface is the one list of the API's routes, as described
// (name, pattern, the message of its 500; no handler): for the $default
// route, which answers what no route serves, and for the tests that hold
// the list to docs/openapi.yaml, template.yaml, the Makefile and events/.
// A function serves its own route without this package (the Lambda side
// binds it to its surface), so that it links no other surface's code.
package surface

import (
	"github.com/partner-identity/api/shared/http/federatedids"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/http/kyccallbacks"
	"github.com/partner-identity/api/shared/http/oauth"
	"github.com/partner-identity/api/shared/http/partnerv2"
	"github.com/partner-identity/api/shared/http/sandboxpage"
	"github.com/partner-identity/api/shared/http/userv2"
	"github.com/partner-identity/api/shared/http/wellknown"
)

// All is every route.
func All() []httpx.Endpoint {
	var out []httpx.Endpoint
	out = appendInfos(out, partnerv2.Routes)
	out = appendInfos(out, userv2.Routes)
	out = appendInfos(out, federatedids.Routes)
	out = appendInfos(out, wellknown.Routes)
	out = appendInfos(out, oauth.Routes)
	out = appendInfos(out, sandboxpage.Routes)
	return appendInfos(out, kyccallbacks.Routes)
}

func appendInfos[API any](out []httpx.Endpoint, rs []httpx.Route[API]) []httpx.Endpoint {
	for _, rt := range rs {
		out = append(out, rt.Info())
	}
	return out
}
