package federatedids

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/partner-identity/api/shared/http/apierr"
)

// fieldsParam is the sparse fieldset of the surface's one resource type.
const fieldsParam = "fields[" + resourceType + "]"

// attributeNames are the members a sparse fieldset may name.
var attributeNames = []string{"identityProvider", "subject", "createdAt"}

// fieldset reads the query string as JSON:API 1.1 requires a server to:
// include and sort, which this surface does not support, are 400; so is
// every other parameter (a family this surface does not know, such as
// foo, page or filter), a repeated one and a malformed query string. A
// listing (GET) may carry fields[federated-identities], a comma-separated
// list of the attributes to return (empty: none); the answer is the
// chosen attributes, nil when every one is. Other routes take no query
// parameter.
func fieldset(r *http.Request, listing bool) (map[string]bool, error) {
	if r.URL.RawQuery == "" {
		return nil, nil
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, apierr.InvalidQueryParameter("", "The query string is malformed: parameters are name=value pairs separated by &, %-encoded.")
	}
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	slices.Sort(names)
	var chosen map[string]bool
	for _, k := range names {
		switch {
		case k == "include" || k == "sort":
			return nil, apierr.InvalidQueryParameter(k, "This endpoint does not support the "+k+" parameter.")
		case k != fieldsParam || !listing:
			return nil, apierr.InvalidQueryParameter(k, "This endpoint does not support the query parameter "+k+".")
		case len(q[k]) > 1:
			return nil, apierr.InvalidQueryParameter(k, "The parameter "+k+" must be given once.")
		}
		chosen = map[string]bool{}
		if q[k][0] == "" {
			continue
		}
		for _, f := range strings.Split(q[k][0], ",") {
			if !slices.Contains(attributeNames, f) {
				return nil, apierr.InvalidQueryParameter(k, "A "+resourceType+" resource has no field "+f+"; its fields are identityProvider, subject and createdAt.")
			}
			chosen[f] = true
		}
	}
	return chosen, nil
}
