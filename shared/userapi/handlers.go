package userapi

import (
	"errors"
	"net/http"

	"github.com/partner-identity/api/shared/apierr"
	"github.com/partner-identity/api/shared/httpx"
	"github.com/partner-identity/api/shared/identifiers"
	"github.com/partner-identity/api/shared/servicekeys"
	"github.com/partner-identity/api/shared/users"
)

// API is the User v2 surface.
type API struct {
	Auth   *Auth
	Linker *identifiers.Linker
}

// LinkedMessage is the body of a successful link.
const LinkedMessage = "User identifier linked successfully."

// LinkIdentifier is POST /api/v2/user/link-identifier. The identifier is
// linked to the authenticated user only; no member of the body can name
// another user (members other than identifier are ignored).
func (a *API) LinkIdentifier() http.Handler {
	return a.Auth.Wrap(func(w http.ResponseWriter, r *http.Request, p *Principal, keys *servicekeys.Keys) {
		obj, bad := httpx.ReadObject(r)
		if bad != nil {
			Dialect.WriteError(w, r, apierr.ER053)
			return
		}
		id, present, ok := httpx.StringMember(obj, "identifier")
		if !ok {
			Dialect.WriteError(w, r, apierr.ER707)
			return
		}
		if !present {
			id = ""
		}
		switch err := identifiers.Check(id); {
		case errors.Is(err, identifiers.ErrMissing):
			Dialect.WriteError(w, r, apierr.ER053)
			return
		case errors.Is(err, identifiers.ErrLength):
			Dialect.WriteError(w, r, apierr.ER102)
			return
		case err != nil:
			Dialect.WriteError(w, r, apierr.ER707)
			return
		}
		err := a.Linker.Link(r.Context(), keys.Pepper, p.User, p.Partner.ID, p.Partner.IdentityProvider, id)
		switch {
		case err == nil:
			Dialect.WriteOK(w, http.StatusOK, map[string]string{"message": LinkedMessage})
		case errors.Is(err, identifiers.ErrTaken):
			Dialect.WriteError(w, r, apierr.ER706)
		case errors.Is(err, identifiers.ErrUserGone):
			Dialect.WriteError(w, r, apierr.ER709)
		default:
			httpx.SetCause(r, err)
			Dialect.WriteError(w, r, apierr.ER999)
		}
	})
}

// Info is the authenticated user as the User v2 surface shows it.
type Info struct {
	users.View
	PartnerID        string `json:"partnerId"`
	IdentifierLinked bool   `json:"identifierLinked"`
}

// UserInfo is GET /api/v2/user/info.
func (a *API) UserInfo() http.Handler {
	return a.Auth.Wrap(func(w http.ResponseWriter, r *http.Request, p *Principal, _ *servicekeys.Keys) {
		Dialect.WriteOK(w, http.StatusOK, Info{
			View:             users.ViewOf(p.User, a.Auth.Now()),
			PartnerID:        p.Partner.ID,
			IdentifierLinked: p.User.LinkedIdentifierHash != "",
		})
	})
}
