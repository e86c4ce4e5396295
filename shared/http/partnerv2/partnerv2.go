// Package partnerv2 holds the handlers of the Partner v2 surface
// (/api/partner/v2, seeds 001 and 003) and its API key authentication.
package partnerv2

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/kyc"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/domain/tokenauth"
	"github.com/partner-identity/api/shared/domain/tokens"
	"github.com/partner-identity/api/shared/domain/users"
	"github.com/partner-identity/api/shared/http/apierr"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/kit/wire"
)

// headerAPIKey carries the partner's API key; headerAPIKeyAlias is the
// name seed 003 gives it, accepted as well.
const (
	headerAPIKey      = "partner-api-key"
	headerAPIKeyAlias = "PartnerApiKey"
)

// headerReplayed marks a replayed create.
const headerReplayed = "Idempotent-Replayed"

// partner authenticates the request's partner credential (credentialOf)
// and checks the partner's flow for op: 401 with the seed's messages (and
// the access token's, below), 403 INVALID_PARTNER_FLOW. Presence and
// format are checked before anything is read, so a malformed key costs no
// read.
func (a *API) partner(r *http.Request, op partners.Operation) (*partners.Partner, error) {
	p, _, err := a.authenticated(r, op)
	return p, err
}

// authenticated is partner, with the digest of the key the credential
// stands for: the key itself, or the key an access token was issued for.
func (a *API) authenticated(r *http.Request, op partners.Operation) (*partners.Partner, string, error) {
	cred, err := credentialOf(r)
	if err != nil {
		return nil, "", err
	}
	var p *partners.Partner
	digest := ""
	if cred.token != "" {
		if p, digest, err = a.d.Tokens.Authenticate(r.Context(), cred.token); err != nil {
			return nil, "", tokenAnswer(err)
		}
	} else {
		if p, err = a.d.Partners.Authenticate(r.Context(), cred.key); err != nil {
			return nil, "", lookupAnswer(err) // a fault is not the route's work: no route's message
		}
		digest = partners.KeyDigest(cred.key)
	}
	if err := httpx.Admit(r, p.ID, p.Limits); err != nil {
		return nil, "", err
	}
	if !p.MayCall(op) {
		return nil, "", apierr.InvalidPartnerFlow()
	}
	return p, digest, nil
}

// credential is a request's partner credential: its API key, or a
// partner access token.
type credential struct{ key, token string }

// credentialOf is the request's partner credential, exactly one of:
//   - partner-api-key, or its alias PartnerApiKey (seed 003's name for
//     it); both with different values is "Invalid API Key": the request
//     does not say which key it means;
//   - Authorization: Bearer <partner access token> (POST /oauth2/token);
//     another scheme or no token after Bearer is "Invalid access token".
//
// A key and an Authorization header together are "Multiple authorization
// methods used". A request with neither that carries a user's credential
// instead (User-Authorization: a user token names a user, not a partner)
// is seed 001's "Partner information is required for this operation"; so
// is a user token sent as the bearer token (tokenAnswer). Neither at all
// is "API Key is missing" (the key's lookup says so).
func credentialOf(r *http.Request) (credential, error) {
	key, alias := r.Header.Get(headerAPIKey), r.Header.Get(headerAPIKeyAlias)
	switch {
	case alias == "":
	case key == "" || key == alias:
		key = alias
	default:
		return credential{}, apierr.Unauthorized(apierr.MsgAPIKeyInvalid)
	}
	authz := strings.TrimSpace(r.Header.Get("Authorization"))
	switch {
	case key != "" && authz != "":
		return credential{}, apierr.Unauthorized(apierr.MsgMultipleCredentials)
	case authz != "":
		token, err := tokenauth.Bearer(authz)
		if err != nil { // another scheme, or no token after Bearer
			return credential{}, apierr.Unauthorized(apierr.MsgAccessTokenInvalid)
		}
		return credential{token: token}, nil
	case key == "" && strings.TrimSpace(r.Header.Get("User-Authorization")) != "":
		return credential{}, apierr.Unauthorized(apierr.MsgPartnerInfoRequired)
	}
	return credential{key: key}, nil
}

// tokenAnswer is the answer to an access token refused: expired, a
// user's token, or invalid (a bad signature, a removed partner, a revoked
// or expired key); a fault is a 500.
func tokenAnswer(err error) error {
	e, ok := domain.As(err)
	switch {
	case !ok:
		return apierr.Internal(apierr.MsgInternal).WithCause(err)
	case e.Reason == domain.ReasonTokenExpired:
		return apierr.Unauthorized(apierr.MsgAccessTokenExpired)
	case e.Reason == domain.ReasonUserCredential:
		return apierr.Unauthorized(apierr.MsgPartnerInfoRequired)
	}
	return apierr.Unauthorized(apierr.MsgAccessTokenInvalid)
}

// CreateUser is POST /api/partner/v2/users.
func (a *API) CreateUser(w http.ResponseWriter, r *http.Request) error {
	in, err := bodyOf(r, users.ParseCreate)
	if err != nil {
		return a.keyFirst(r, partners.OpCreateUser, err)
	}
	_, res, authErr, err := overlapped(a, r, partners.OpCreateUser, func(ctx context.Context, p *partners.Partner) (users.Created, error) {
		return a.d.Users.Create(ctx, p.ID, in, renderCreated)
	})
	switch {
	case authErr != nil:
		return authErr
	case err != nil:
		return answer(err, apierr.UserNotFound)
	case res.Replayed:
		w.Header().Set(headerReplayed, "true")
		httpx.WritePartnerV2(w, http.StatusOK, json.RawMessage(res.Response))
	default:
		httpx.WritePartnerV2(w, http.StatusCreated, json.RawMessage(res.Response))
	}
	return nil
}

// GetUser is GET /api/partner/v2/users/{userId}.
func (a *API) GetUser(w http.ResponseWriter, r *http.Request) error {
	id, err := userIDParam(r)
	if err != nil {
		return a.keyFirst(r, partners.OpReadUser, err)
	}
	_, u, authErr, err := overlapped(a, r, partners.OpReadUser, func(ctx context.Context, p *partners.Partner) (domain.User, error) {
		return a.d.Users.Get(ctx, p.ID, id)
	})
	if authErr != nil {
		return authErr
	}
	return a.writeUser(w, u, err)
}

// FindUser is GET /api/partner/v2/users?externalUserId=...
func (a *API) FindUser(w http.ResponseWriter, r *http.Request) error {
	ext, err := externalUserIDQuery(r)
	if err != nil {
		return a.keyFirst(r, partners.OpReadUser, err)
	}
	_, u, authErr, err := overlapped(a, r, partners.OpReadUser, func(ctx context.Context, p *partners.Partner) (domain.User, error) {
		return a.d.Users.FindByExternalID(ctx, p.ID, ext)
	})
	if authErr != nil {
		return authErr
	}
	return a.writeUser(w, u, err)
}

// DeleteUser is DELETE /api/partner/v2/users/{userId}: the user's
// erasure, 204 with no body; again, 204 and nothing changes.
func (a *API) DeleteUser(w http.ResponseWriter, r *http.Request) error {
	p, id, err := a.partnerAndUser(r, partners.OpDeleteUser)
	if err != nil {
		return err
	}
	if err := a.d.Users.Delete(r.Context(), p.ID, id); err != nil {
		return lookupAnswer(err)
	}
	httpx.WritePartnerV2NoContent(w)
	return nil
}

// writeUser answers a lookup of one of the partner's users.
func (a *API) writeUser(w http.ResponseWriter, u domain.User, err error) error {
	if err != nil {
		return lookupAnswer(err)
	}
	httpx.WritePartnerV2(w, http.StatusOK, httpx.UserViewOf(u, a.d.Users.Now()))
	return nil
}

// externalUserIDQuery is the one externalUserId of the query, which holds
// nothing else.
func externalUserIDQuery(r *http.Request) (string, error) {
	vals, bad := httpx.Query(r, "externalUserId")
	if len(bad) > 0 {
		return "", apierr.InvalidInput(bad...)
	}
	ext, ok := vals["externalUserId"]
	if !ok {
		return "", apierr.InvalidInput(apierr.Detail{Field: "externalUserId", Issue: "is required"})
	}
	if d := users.CheckExternalUserID(ext); d != nil {
		return "", apierr.InvalidInput(*d)
	}
	return ext, nil
}

// CreateVerificationLink is POST /api/partner/v2/users/{userId}/kyc/verification-link.
func (a *API) CreateVerificationLink(w http.ResponseWriter, r *http.Request) error {
	p, in, err := partnerAndBody(a, r, partners.OpOpenKYCSession, kyc.ParseLink)
	if err != nil {
		return err
	}
	id, err := userIDParam(r)
	if err != nil {
		return err
	}
	// A test-mode session's page is the sandbox's, at this API's address
	// (in AWS, the host API Gateway routed the request by).
	in.SandboxBase = "https://" + r.Host
	o, err := a.d.KYC.Open(r.Context(), p, id, in)
	if err != nil {
		return answer(err, apierr.UserNotFound)
	}
	httpx.WritePartnerV2(w, http.StatusCreated, linkView{KYCLink: o.Link, SessionID: o.SessionID, ExpiresAt: wire.Time(o.ExpiresAt), Livemode: domain.Livemode(p.ID)})
	return nil
}

// GetUserKYC is GET /api/partner/v2/users/{userId}/kyc: the user's
// kycStatus and its newest sessions.
func (a *API) GetUserKYC(w http.ResponseWriter, r *http.Request) error {
	id, err := userIDParam(r)
	if err != nil {
		return a.keyFirst(r, partners.OpReadUser, err)
	}
	type read struct {
		u    domain.User
		list []domain.KYCSession
	}
	_, got, authErr, err := overlapped(a, r, partners.OpReadUser, func(ctx context.Context, p *partners.Partner) (read, error) {
		u, list, err := a.d.KYC.Read(ctx, p.ID, id)
		return read{u, list}, err
	})
	switch {
	case authErr != nil:
		return authErr
	case err != nil:
		return lookupAnswer(err)
	}
	httpx.WritePartnerV2(w, http.StatusOK, kycViewOf(got.u, got.list, a.d.KYC.Now()))
	return nil
}

// userToken is the answer of CreateUserToken.
type userToken struct {
	Token     string `json:"token"`
	TokenType string `json:"tokenType"`
	ExpiresAt string `json:"expiresAt"`
}

// CreateUserToken is POST /api/partner/v2/users/{userId}/token: a user
// token for the partner's widget, for one of the partner's own users.
func (a *API) CreateUserToken(w http.ResponseWriter, r *http.Request) error {
	id, err := userIDParam(r)
	if err != nil {
		return a.keyFirst(r, partners.OpMintUserToken, err)
	}
	_, t, authErr, err := overlapped(a, r, partners.OpMintUserToken, func(ctx context.Context, p *partners.Partner) (tokens.Minted, error) {
		return a.d.Users.MintToken(ctx, p.ID, id)
	})
	var signing *users.SigningError
	switch {
	case authErr != nil:
		return authErr
	case errors.As(err, &signing):
		return signing.Err // the route's 500, "Failed to create user token"
	case err != nil:
		return lookupAnswer(err)
	}
	httpx.WritePartnerV2(w, http.StatusCreated, userToken{Token: t.Token, TokenType: "Bearer", ExpiresAt: wire.Time(t.ExpiresAt)})
	return nil
}

// partnerAndBody authenticates the partner for op, then reads a strict
// JSON body and applies parse: 400 INVALID_USER_INPUT_ERROR, one detail per
// bad field, when either fails.
func partnerAndBody[T any](a *API, r *http.Request, op partners.Operation, parse func(map[string]json.RawMessage) (T, []domain.Problem)) (*partners.Partner, T, error) {
	var zero T
	p, err := a.partner(r, op)
	if err != nil {
		return nil, zero, err
	}
	in, err := bodyOf(r, parse)
	if err != nil {
		return nil, zero, err
	}
	return p, in, nil
}

// keyFirst is the answer to a request whose input is bad (err): the
// key's, when the key fails, for the key is checked first.
func (a *API) keyFirst(r *http.Request, op partners.Operation, err error) error {
	if _, keyErr := a.partner(r, op); keyErr != nil {
		return keyErr
	}
	return err
}

// bodyOf is the request's JSON object read by parse, or its 400.
func bodyOf[T any](r *http.Request, parse func(map[string]json.RawMessage) (T, []domain.Problem)) (T, error) {
	var zero T
	obj, bad := httpx.ReadObject(r)
	if bad != nil {
		return zero, apierr.InvalidInput(*bad)
	}
	in, details := parse(obj)
	if len(details) > 0 {
		return zero, apierr.InvalidInput(details...)
	}
	return in, nil
}

// partnerAndUser authenticates the partner for op, then reads the {userId}
// path value.
func (a *API) partnerAndUser(r *http.Request, op partners.Operation) (*partners.Partner, string, error) {
	p, err := a.partner(r, op)
	if err != nil {
		return nil, "", err
	}
	id, err := userIDParam(r)
	return p, id, err
}

// userIDParam is the {userId} path value, in lower case (UUIDs are
// case-insensitive); one that cannot be a user id is 404 without a lookup.
func userIDParam(r *http.Request) (string, error) {
	id, ok := users.UserID(r.PathValue("userId"))
	if !ok {
		return "", apierr.UserNotFound()
	}
	return id, nil
}
