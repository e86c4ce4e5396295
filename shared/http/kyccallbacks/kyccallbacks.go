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
var resultTimeField = map[string]string{domain.ProviderSumsub: "createdAtMs", domain.ProviderHosted: "occurredAt"}

// ignoredType is the outcome of a Sumsub webhook type this API does not map.
const ignoredType kyc.Outcome = "ignored_type"

// Sumsub is POST /kyc/providers/sumsub/webhook: X-Payload-Digest is the
// hex HMAC of the raw body with the account's webhook secret, by the
// account's algorithm (the secret's webhookDigestAlg); an
// X-Payload-Digest-Alg naming another is refused.
func (a *API) Sumsub(w http.ResponseWriter, r *http.Request) error {
	body, err := a.signedBody(r, func(cfg *kycproviders.Config, body []byte) bool {
		return cfg.Sumsub != nil &&
			sumsub.VerifyDigest(cfg.Sumsub.WebhookSecret, cfg.Sumsub.WebhookDigestAlg, r.Header.Get(sumsub.HeaderDigestAlg), body, r.Header.Get(sumsub.HeaderDigest)) == nil
	})
	if err != nil {
		return err
	}
	res, err := sumsub.Parse(body)
	if err != nil {
		return apierr.InvalidInput(apierr.Detail{Field: "body", Issue: "is not a Sumsub webhook (type, externalUserId, createdAtMs and, when reviewed, reviewResult)"})
	}
	if !res.Mapped {
		metrics.Count(r.Context(), metrics.KYCCallbacksIgnored, 1)
		httpx.WritePartnerV2(w, http.StatusOK, accepted{Outcome: ignoredType})
		return nil
	}
	id, ok := users.UserID(res.UserID)
	if !ok {
		// Not one of our user ids: an applicant made elsewhere in the account.
		metrics.Count(r.Context(), metrics.KYCCallbacksIgnored, 1)
		httpx.WritePartnerV2(w, http.StatusOK, accepted{Outcome: kyc.UnknownSession})
		return nil
	}
	return a.apply(w, r, kyc.Result{Provider: domain.ProviderSumsub, UserID: id, Status: res.Status, At: res.At,
		RejectLabels: res.RejectLabels, LevelName: res.LevelName, ApplicantID: res.ApplicantID})
}

// Hosted is POST /kyc/providers/hosted/webhook, signed as this API signs
// its webhooks (package webhooksig) with the hosted provider's secret:
// {"sessionId", "status", "occurredAt"}.
func (a *API) Hosted(w http.ResponseWriter, r *http.Request) error {
	body, err := a.signedBody(r, func(cfg *kycproviders.Config, body []byte) bool {
		return cfg.Hosted != nil && signature.Verify(cfg.Hosted.Key, r.Header, body, a.d.Now()) == nil
	})
	if err != nil {
		return err
	}
	obj, bad := httpx.ParseObject(body)
	if bad != nil {
		return apierr.InvalidInput(*bad)
	}
	res, details := kyc.ParseHostedCallback(obj)
	if len(details) > 0 {
		return apierr.InvalidInput(details...)
	}
	return a.apply(w, r, res)
}

func (a *API) apply(w http.ResponseWriter, r *http.Request, res kyc.Result) error {
	out, err := a.d.KYC.Apply(r.Context(), res)
	switch {
	case domain.ReasonOf(err) == domain.ReasonFutureResult:
		return apierr.InvalidInput(apierr.Detail{Field: resultTimeField[res.Provider], Issue: "is in the future"})
	case err != nil:
		return err // the 500, made by httpx.Wrap
	}
	httpx.WritePartnerV2(w, http.StatusOK, accepted{Outcome: out})
	return nil
}

// signedBody reads the raw body and checks its signature with verify,
// against the providers' secret: 400 for a body that cannot be read, 401
// for a signature that does not verify.
func (a *API) signedBody(r *http.Request, verify func(cfg *kycproviders.Config, body []byte) bool) ([]byte, error) {
	cfg, err := a.config(r.Context())
	if err != nil {
		return nil, err
	}
	body, bad := httpx.ReadRaw(r)
	if bad != nil {
		return nil, apierr.InvalidInput(*bad)
	}
	if !verify(cfg, body) {
		return nil, apierr.BadCallbackSignature()
	}
	return body, nil
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
