package httpx

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/partner-identity/api/shared/http/apierr"
)

// Query reads r's query string strictly: each of known at most once and
// nothing else. It returns the values by name, or the details of what is
// wrong: one naming "query" when the string is malformed (a ";" separator,
// a bad %-escape: which parameter was meant cannot be told, so none is
// guessed at), else one per unknown or repeated parameter, by name.
func Query(r *http.Request, known ...string) (map[string]string, []apierr.Detail) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, []apierr.Detail{{Field: "query", Issue: "is malformed (parameters are name=value pairs separated by &, %-encoded)"}}
	}
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	slices.Sort(names)
	vals := make(map[string]string, len(q))
	var bad []apierr.Detail
	for _, k := range names {
		switch {
		case !slices.Contains(known, k):
			bad = append(bad, apierr.Detail{Field: k, Issue: "is not a known query parameter"})
		case len(q[k]) > 1:
			bad = append(bad, apierr.Detail{Field: k, Issue: "must be given once"})
		default:
			vals[k] = q[k][0]
		}
	}
	return vals, bad
}
