// Package dialects renders the shared error model (package apierr) and
// success bodies in each surface's wire format.
package dialects

import (
	"net/http"

	"github.com/partner-identity/api/shared/apierr"
	"github.com/partner-identity/api/shared/httpx"
)

const contentTypeJSON = "application/json"

// PartnerV2 is the dialect of /api/partner/v2 (seeds 001 and 003):
// {"success":true,"data":{...}} and
// {"success":false,"error":{"code","message","details":[{"field","issue"}]}}.
type PartnerV2 struct{}

type partnerV2Error struct {
	Success bool              `json:"success"`
	Error   partnerV2ErrorObj `json:"error"`
}

type partnerV2ErrorObj struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Details []apierr.Detail `json:"details,omitempty"`
}

type partnerV2OK struct {
	Success bool `json:"success"`
	Data    any  `json:"data"`
}

// WriteError renders e; a 5xx never carries details.
func (PartnerV2) WriteError(w http.ResponseWriter, _ *http.Request, e *apierr.Error) {
	body := partnerV2Error{Error: partnerV2ErrorObj{Code: e.Code, Message: e.Message}}
	if e.Status < 500 {
		body.Error.Details = e.Details
	}
	httpx.WriteJSON(w, e.Status, contentTypeJSON, body)
}

// WriteOK renders a success body.
func (PartnerV2) WriteOK(w http.ResponseWriter, status int, data any) {
	httpx.WriteJSON(w, status, contentTypeJSON, partnerV2OK{Success: true, Data: data})
}
