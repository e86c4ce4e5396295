package userv2

import (
	"net/http"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/identifiers"
	"github.com/partner-identity/api/shared/domain/jsonmember"
	"github.com/partner-identity/api/shared/http/apierr"
	"github.com/partner-identity/api/shared/http/httpx"
)

// linkedMessage is the body of a successful link.
const linkedMessage = "User identifier linked successfully."

// LinkIdentifier is POST /api/v2/user/link-identifier. The identifier is
// linked to the authenticated user only; no member of the body can name
// another user (members other than identifier are ignored).
func (a *API) LinkIdentifier(w http.ResponseWriter, r *http.Request) error {
	p, err := a.auth.authenticate(r)
	if err != nil {
		return err
	}
	id, err := identifierOf(r)
	if err != nil {
		return err
	}
	if err := a.d.Linker.Link(r.Context(), p.User, p.Partner, id); err != nil {
		return answer(err)
	}
	httpx.WriteUserV2(w, http.StatusOK, map[string]string{"message": linkedMessage})
	return nil
}

// identifierOf is the body's identifier, each problem with the code that
// names it best (docs/openapi.yaml lists them):
//   - ER053 "Missing identifier": no identifier can be read (no body, a
//     content type other than JSON, not JSON, not an object, nested too
//     deeply) or it is absent or null;
//   - ER102 "User identifier length out of bounds": 36 to 255 characters,
//     counted as characters; a body over 64 KiB too, whatever it holds,
//     since only an identifier out of bounds makes a link request that
//     large;
//   - ER707 "User identifier is invalid": not a string, not ASCII letters
//     and digits, given twice, or a body whose strings are not characters
//     (invalid UTF-8, an unpaired surrogate escape).
func identifierOf(r *http.Request) (string, error) {
	obj, bad := httpx.ReadObject(r)
	switch {
	case bad == nil:
	case bad.Issue == httpx.IssueTooLarge:
		return "", apierr.ER102()
	case bad.Issue == httpx.IssueNotUTF8, bad.Issue == httpx.IssueBadEscape, bad.Issue == httpx.IssueDuplicated && bad.Field == "identifier":
		return "", apierr.ER707()
	default:
		return "", apierr.ER053()
	}
	id, _, ok := jsonmember.String(obj, "identifier")
	if !ok {
		return "", apierr.ER707()
	}
	if err := identifiers.Check(id); err != nil {
		return "", answer(err)
	}
	return id, nil
}

// infoBody is the authenticated user as the User v2 surface shows it.
type infoBody struct {
	httpx.UserView
	// PartnerID is the partner's id in either mode (livemode tells which).
	PartnerID        string `json:"partnerId"`
	IdentifierLinked bool   `json:"identifierLinked"`
}

// UserInfo is GET /api/v2/user/info.
func (a *API) UserInfo(w http.ResponseWriter, r *http.Request) error {
	p, err := a.auth.authenticate(r)
	if err != nil {
		return err
	}
	httpx.WriteUserV2(w, http.StatusOK, infoBody{
		UserView:         httpx.UserViewOf(p.User, a.d.Now()),
		PartnerID:        domain.LivePartnerOf(p.Partner.ID),
		IdentifierLinked: p.User.LinkedIdentifierHash != "",
	})
	return nil
}
