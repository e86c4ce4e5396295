package partnerv2

import (
	"context"
	"errors"
	"net/http"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/http/apierr"
)

// overlapped is the request's partner for op, and work's result for it.
//
// work gets the partner: while its key is being read, one that holds its
// id only, and its context a KeyCheck (domain.KeyCheckOf).
//
// When the container does not hold the key yet (a cold start, a new key)
// and the key names its partner (partners.KeyClaim: every key partnerctl
// makes), work runs for that partner beside the key's lookup, so that the
// request waits for one round trip where it would wait for two. Nothing
// of work reaches anyone before the key is proven: its writes are
// conditioned on the key in their own transaction (domain.KeyCheck: a
// key that fails writes nothing), and what it read is dropped when the
// lookup refuses the key (the answer is then the key's 401 or 403). A
// write the key's item refused although the lookup accepted the key (the
// partner changed in between) is made once more, after the lookup, as for
// any request.
//
// Otherwise (a key held, valid or not, a key that names no partner, a
// malformed key) the key is checked first and work runs after it: a flood
// of one invalid key costs no read of work's.
//
// authErr is the key's answer; workErr is work's, for the route to map.
func overlapped[T any](a *API, r *http.Request, op partners.Operation, work func(ctx context.Context, p *partners.Partner) (T, error)) (
	p *partners.Partner, v T, authErr, workErr error) {
	cred, err := credentialOf(r)
	key, claim := cred.key, ""
	if err == nil && key != "" {
		claim = partners.ColdClaim(a.d.Partners, key)
	}
	if claim == "" {
		if p, authErr = a.partner(r, op); authErr != nil {
			return nil, v, authErr, nil
		}
		v, workErr = work(r.Context(), p)
		return p, v, nil, workErr
	}
	type checked struct {
		p   *partners.Partner
		err error
	}
	done := make(chan checked, 1)
	go func() {
		p, err := a.partner(r, op)
		done <- checked{p, err}
	}()
	ctx := domain.WithKeyCheck(r.Context(), domain.KeyCheck{Digest: partners.KeyDigest(key), PartnerID: claim, At: a.d.Users.Now()})
	// The partner as claimed: its id only, until the lookup says more (a
	// write that depends on more says so in its KeyCheck).
	v, workErr = work(ctx, &partners.Partner{ID: claim})
	c := <-done
	var zero T
	switch {
	case c.err != nil:
		return nil, zero, c.err, nil // what work read is dropped; it wrote nothing
	case c.p.ID != claim:
		return nil, zero, apierr.Unauthorized(apierr.MsgAPIKeyInvalid), nil
	case errors.Is(workErr, domain.E(domain.Unauthenticated, domain.ReasonKeyCheck)):
		v, workErr = work(r.Context(), c.p)
	}
	return c.p, v, nil, workErr
}
