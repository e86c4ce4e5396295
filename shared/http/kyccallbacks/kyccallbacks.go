// Package kyccallbacks holds the KYC providers' callbacks: Sumsub's
// webhooks and the hosted provider's. No partner key: each is
// authenticated by its provider's signature over the raw body. Answers are
// in the Partner v2 dialect: 200 for everything accepted (applied or
// ignored, so that the provider does not send it again), 401 for a bad or
// missing signature, 400 for a body that is not what the provider sends.
package kyccallbacks

import (
	"context"
	"errors"
	"net/http"

	"github.com/partner-identity/api/shared/adapters/kycproviders"
	"github.com/partner-identity/api/shared/adapters/sumsub"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/kyc"
	"github.com/partner-identity/api/shared/domain/users"
	"github.com/partner-identity/api/shared/http/apierr"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/kit/metrics"
	"github.com/partner-identity/api/shared/webhooks/signature"
)

// accepted is the answer to an accepted callback: what was done with it.
type accepted struct {
	Outcome kyc.Outcome `json:"outcome"`
}

// resultTimeField is the body field of each provider's result time.
var resultTimeField = map[string]string{domain.ProviderSumsub: "createdAtMs", domain.ProviderHosted: "occurredAt", domain.ProviderSandbox: "occurredAt"}

// ignoredType is the outcome of a Sumsub webhook type this API does not map.
const ignoredType kyc.Outcome = "ignored_type"

// Sumsub is POST /kyc/providers/sumsub/webhook: X-Payload-Digest is the
// hex HMAC of the raw body with the account's webhook secret, by the
// account's algorithm (the secret's webhookDigestAlg); an
// X-Payload-Digest-Alg naming another is refused.
func (a *API) Sumsub(w http.ResponseWriter, r *http.Request) error {
	return a.callback(w, r, func(cfg *kycproviders.Config, body []byte) bool {
		return cfg.Sumsub != nil &&
			sumsub.VerifyDigest(cfg.Sumsub.WebhookSecret, cfg.Sumsub.WebhookDigestAlg, r.Header.Get(sumsub.HeaderDigestAlg), body, r.Header.Get(sumsub.HeaderDigest)) == nil
	}, sumsubResult)
}

// sumsubResult is the result a Sumsub webhook's body says, or the outcome
// of one this API does not apply (a type it does not map, a user id not
// one of its own: an applicant made elsewhere in the account).
func sumsubResult(body []byte) (kyc.Result, kyc.Outcome, error) {
	res, err := sumsub.Parse(body)
	switch {
	case err != nil:
		return kyc.Result{}, "", apierr.InvalidInput(apierr.Detail{Field: "body", Issue: "is not a Sumsub webhook (type, externalUserId, createdAtMs and, when reviewed, reviewResult)"})
	case !res.Mapped:
		return kyc.Result{}, ignoredType, nil
	}
	id, ok := users.UserID(res.UserID)
	if !ok {
		return kyc.Result{}, kyc.UnknownSession, nil
	}
	return kyc.Result{Provider: domain.ProviderSumsub, UserID: id, Status: res.Status, At: res.At,
		RejectLabels: res.RejectLabels, LevelName: res.LevelName, ApplicantID: res.ApplicantID}, "", nil
}

// Hosted is POST /kyc/providers/hosted/webhook, signed as this API signs
// its webhooks (package webhooksig) with the hosted provider's secret:
// {"sessionId", "status", "occurredAt"}.
func (a *API) Hosted(w http.ResponseWriter, r *http.Request) error {
	return a.callback(w, r, func(cfg *kycproviders.Config, body []byte) bool {
		return cfg.Hosted != nil && signature.Verify(cfg.Hosted.Key, r.Header, body, a.d.Now()) == nil
	}, hostedResult)
}

// hostedResult is the result a hosted callback's body says.
// Sandbox is the sandbox's callback: the hosted provider's protocol (its
// signature under the hosted provider's secret), about a test-mode session.
// It is no route: the sandbox's page and API hand it their signed
// callback in process, so that an outcome travels the path of a
// provider's result.
func (a *API) Sandbox(w http.ResponseWriter, r *http.Request) error {
	return a.callback(w, r, func(cfg *kycproviders.Config, body []byte) bool {
		return cfg.Hosted != nil && signature.Verify(cfg.Hosted.Key, r.Header, body, a.d.Now()) == nil
	}, sandboxResult)
}

func sandboxResult(body []byte) (kyc.Result, kyc.Outcome, error) {
	obj, bad := httpx.ParseObject(body)
	if bad != nil {
		return kyc.Result{}, "", apierr.InvalidInput(*bad)
	}
	res, details := kyc.ParseSandboxCallback(obj)
	if len(details) > 0 {
		return kyc.Result{}, "", apierr.InvalidInput(details...)
	}
	return res, "", nil
}

func hostedResult(body []byte) (kyc.Result, kyc.Outcome, error) {
	obj, bad := httpx.ParseObject(body)
	if bad != nil {
		return kyc.Result{}, "", apierr.InvalidInput(*bad)
	}
	res, details := kyc.ParseHostedCallback(obj)
	if len(details) > 0 {
		return kyc.Result{}, "", apierr.InvalidInput(details...)
	}
	return res, "", nil
}

// callback is a provider's callback: its raw body, its signature checked
// by verify against the providers' secret (401 when it does not verify),
// then the result parse reads of it applied (400 for a body that is not
// the provider's; 200 with what was done, for everything accepted).
//
// While the container does not hold the providers' secret yet (its first
// callbacks: the secret is on its way from Secrets Manager), the result's
// reads begin on what the body says, beside the secret's fetch, and are
// dropped when the signature does not verify: nothing is written before
// it does. Once the secret is held, nothing is read for a callback whose
// signature does not verify.
func (a *API) callback(w http.ResponseWriter, r *http.Request, verify func(cfg *kycproviders.Config, body []byte) bool,
	parse func(body []byte) (kyc.Result, kyc.Outcome, error)) error {
	ctx := r.Context()
	body, bad := httpx.ReadRaw(r)
	if bad != nil {
		return apierr.InvalidInput(*bad)
	}
	// What the body says, answered only once its signature verifies.
	res, out, parseErr := parse(body)
	var begun *kyc.Begun
	if !a.held.Load() && parseErr == nil && out == "" {
		begun = a.d.KYC.Begin(ctx, res)
	}
	drop := func() {
		if begun != nil {
			begun.Drop()
		}
	}
	cfg, err := a.config(ctx)
	if err != nil {
		drop()
		return err
	}
	a.held.Store(true)
	if !verify(cfg, body) {
		drop()
		return apierr.BadCallbackSignature()
	}
	switch {
	case parseErr != nil:
		return parseErr
	case out != "":
		metrics.Count(ctx, metrics.KYCCallbacksIgnored, 1)
		httpx.WritePartnerV2(w, http.StatusOK, accepted{Outcome: out})
		return nil
	}
	if begun != nil {
		out, err = begun.Apply(ctx)
	} else {
		out, err = a.d.KYC.Apply(ctx, res)
	}
	switch {
	case domain.ReasonOf(err) == domain.ReasonFutureResult:
		return apierr.InvalidInput(apierr.Detail{Field: resultTimeField[res.Provider], Issue: "is in the future"})
	case err != nil:
		return err // the 500, made by httpx.Wrap
	}
	httpx.WritePartnerV2(w, http.StatusOK, accepted{Outcome: out})
	return nil
}

func (a *API) config(ctx context.Context) (*kycproviders.Config, error) {
	cfg, err := a.d.Providers(ctx)
	if err != nil {
		return nil, err
	}
	if cfg == nil {
		return nil, errors.New("no KYC providers")
	}
	return cfg, nil
}
