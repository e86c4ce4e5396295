// Package partnerv2 holds the handlers of the Partner v2 surface
// (/api/partner/v2, seeds 001 and 003) and its API key authentication.
package partnerv2

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/partner-identity/api/shared/apierr"
	"github.com/partner-identity/api/shared/dialects"
	"github.com/partner-identity/api/shared/httpx"
	"github.com/partner-identity/api/shared/kyc"
	"github.com/partner-identity/api/shared/partners"
	"github.com/partner-identity/api/shared/store"
	"github.com/partner-identity/api/shared/users"
	"github.com/partner-identity/api/shared/webhookevents"
	"github.com/partner-identity/api/shared/wire"
)

// headerAPIKey carries the partner's API key; headerAPIKeyAlias is the
// name seed 003 gives it, accepted as well.
const (
	headerAPIKey      = "partner-api-key"
	headerAPIKeyAlias = "PartnerApiKey"
)

// headerReplayed marks a replayed create.
const headerReplayed = "Idempotent-Replayed"

// API is the Partner v2 surface.
type API struct {
	registry func(context.Context) (*partners.Registry, error)
	users    *users.Service
	kyc      *kyc.Service
	events   *webhookevents.Service
}

// partner authenticates the partner-api-key header and checks the
// partner's flow for op: 401 with the seed's three messages, 403
// INVALID_PARTNER_FLOW. Presence and format are checked before the registry
// is read, so a malformed key costs no secret fetch.
func (a *API) partner(r *http.Request, op partners.Operation) (*partners.Partner, error) {
	key, err := apiKeyOf(r)
	if err != nil {
		return nil, err
	}
	if err := partners.CheckKey(key); err != nil {
		return nil, keyError(err)
	}
	reg, err := a.registry(r.Context())
	if err != nil {
		return nil, apierr.Internal(apierr.MsgInternal).WithCause(err)
	}
	p, err := reg.Authenticate(key)
	if err != nil {
		return nil, keyError(err)
	}
	httpx.SetPartner(r, p.ID)
	if !p.MayCall(op) {
		return nil, apierr.InvalidPartnerFlow()
	}
	return p, nil
}

// apiKeyOf is the request's API key, from partner-api-key or its alias
// PartnerApiKey (seed 003's name for it); both with different values is
// "Invalid API Key": the request does not say which key it means.
func apiKeyOf(r *http.Request) (string, error) {
	key, alias := r.Header.Get(headerAPIKey), r.Header.Get(headerAPIKeyAlias)
	switch {
	case alias == "":
		return key, nil
	case key == "" || key == alias:
		return alias, nil
	}
	return "", apierr.Unauthorized(apierr.MsgAPIKeyInvalid)
}

func keyError(err error) *apierr.Error {
	switch {
	case errors.Is(err, partners.ErrKeyMissing):
		return apierr.Unauthorized(apierr.MsgAPIKeyMissing)
	case errors.Is(err, partners.ErrKeyFormat):
		return apierr.Unauthorized(apierr.MsgAPIKeyFormat)
	default:
		return apierr.Unauthorized(apierr.MsgAPIKeyInvalid)
	}
}

// CreateUser is POST /api/partner/v2/users.
func (a *API) CreateUser(w http.ResponseWriter, r *http.Request) error {
	p, in, err := partnerAndBody(a, r, partners.OpCreateUser, users.ParseCreate)
	if err != nil {
		return err
	}
	res, err := a.users.Create(r.Context(), p.ID, in)
	switch {
	case err != nil:
		return apierr.Translate(err, apierr.Answer{Outcome: users.ErrConflict, Answer: apierr.ExternalUserIDConflict})
	case res.Replayed:
		w.Header().Set(headerReplayed, "true")
		dialects.WritePartnerV2(w, http.StatusOK, res.Data)
	default:
		dialects.WritePartnerV2(w, http.StatusCreated, res.Data)
	}
	return nil
}

// GetUser is GET /api/partner/v2/users/{userId}.
func (a *API) GetUser(w http.ResponseWriter, r *http.Request) error {
	p, id, err := a.partnerAndUser(r, partners.OpReadUser)
	if err != nil {
		return err
	}
	v, err := a.users.Get(r.Context(), p.ID, id)
	return writeUser(w, v, err)
}

// FindUser is GET /api/partner/v2/users?externalUserId=...
func (a *API) FindUser(w http.ResponseWriter, r *http.Request) error {
	p, err := a.partner(r, partners.OpReadUser)
	if err != nil {
		return err
	}
	ext, err := externalUserIDQuery(r)
	if err != nil {
		return err
	}
	v, err := a.users.FindByExternalID(r.Context(), p.ID, ext)
	return writeUser(w, v, err)
}

// DeleteUser is DELETE /api/partner/v2/users/{userId}: the user's
// erasure, 204 with no body; again, 204 and nothing changes.
func (a *API) DeleteUser(w http.ResponseWriter, r *http.Request) error {
	p, id, err := a.partnerAndUser(r, partners.OpDeleteUser)
	if err != nil {
		return err
	}
	if err := a.users.Delete(r.Context(), p.ID, id); err != nil {
		return lookupError(err)
	}
	dialects.WritePartnerV2NoContent(w)
	return nil
}

// writeUser answers a lookup of one of the partner's users.
func writeUser(w http.ResponseWriter, v users.View, err error) error {
	if err != nil {
		return lookupError(err)
	}
	dialects.WritePartnerV2(w, http.StatusOK, v)
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

// lookupError answers a failed lookup of one of the partner's users: 404,
// 401 "User is not associated with the partner", or a 500 "Internal server
// error" whatever the route's own 500 message.
func lookupError(err error) error {
	if e, ok := apierr.Match(err, lookupAnswers...); ok {
		return e
	}
	return apierr.Internal(apierr.MsgInternal).WithCause(err)
}

// The surface's answers to the domain's outcomes.
var (
	lookupAnswers = []apierr.Answer{
		{Outcome: store.ErrNotFound, Answer: apierr.UserNotFound},
		{Outcome: users.ErrNotOwned, Answer: userNotOfPartner},
		{Outcome: kyc.ErrUserNotFound, Answer: apierr.UserNotFound},
		{Outcome: kyc.ErrNotOwned, Answer: userNotOfPartner},
	}
	linkAnswers = []apierr.Answer{
		{Outcome: kyc.ErrUserNotFound, Answer: apierr.UserNotFound},
		{Outcome: kyc.ErrNotOwned, Answer: userNotOfPartner},
		{Outcome: kyc.ErrWrongUserType, Answer: apierr.InvalidVerificationType},
		{Outcome: kyc.ErrAlreadyApproved, Answer: apierr.KYCAlreadyApproved},
	}
)

func userNotOfPartner() *apierr.Error { return apierr.Unauthorized(apierr.MsgUserNotOfPartner) }

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
	link, err := a.kyc.Open(r.Context(), p, id, in)
	switch {
	case errors.Is(err, kyc.ErrTemplateNotConfigured):
		return apierr.KYCTemplateNotConfigured(in.Country)
	case err != nil:
		return apierr.Translate(err, linkAnswers...)
	}
	dialects.WritePartnerV2(w, http.StatusCreated, link)
	return nil
}

// GetUserKYC is GET /api/partner/v2/users/{userId}/kyc: the user's
// kycStatus and its newest sessions.
func (a *API) GetUserKYC(w http.ResponseWriter, r *http.Request) error {
	p, id, err := a.partnerAndUser(r, partners.OpReadUser)
	if err != nil {
		return err
	}
	v, err := a.kyc.Read(r.Context(), p.ID, id)
	if err != nil {
		return lookupError(err)
	}
	dialects.WritePartnerV2(w, http.StatusOK, v)
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
	p, id, err := a.partnerAndUser(r, partners.OpMintUserToken)
	if err != nil {
		return err
	}
	t, err := a.users.MintToken(r.Context(), p.ID, id)
	var signing *users.SigningError
	switch {
	case errors.As(err, &signing):
		return signing.Err // the route's 500, "Failed to create user token"
	case err != nil:
		return lookupError(err)
	}
	dialects.WritePartnerV2(w, http.StatusCreated, userToken{Token: t.Token, TokenType: "Bearer", ExpiresAt: wire.Time(t.ExpiresAt)})
	return nil
}

// partnerAndBody authenticates the partner for op, then reads a strict
// JSON body and applies parse: 400 INVALID_USER_INPUT_ERROR, one detail per
// bad field, when either fails.
func partnerAndBody[T any](a *API, r *http.Request, op partners.Operation, parse func(map[string]json.RawMessage) (T, []apierr.Detail)) (*partners.Partner, T, error) {
	var zero T
	p, err := a.partner(r, op)
	if err != nil {
		return nil, zero, err
	}
	obj, bad := httpx.ReadObject(r)
	if bad != nil {
		return nil, zero, apierr.InvalidInput(*bad)
	}
	in, details := parse(obj)
	if len(details) > 0 {
		return nil, zero, apierr.InvalidInput(details...)
	}
	return p, in, nil
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
