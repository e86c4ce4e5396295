package main

import (
	"net/http"
	"time"

	"github.com/partner-identity/api/shared/httpx"
	"github.com/partner-identity/api/shared/store"
)

// devProviderPattern is where the local runner serves devProvider; the
// development partner's kycTemplates link to it.
const devProviderPattern = "GET /kyc/{sessionId}"

// DevProvider stands in for the KYC provider's page in the local runner:
// it shows the session a kycLink opens, as of now. It is never deployed.
func devProvider(s store.KYCSessions, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.GetKYCSession(r.Context(), r.PathValue("sessionId"))
		if err != nil {
			httpx.WriteJSON(w, http.StatusNotFound, "application/json", map[string]string{"error": "no such KYC session"})
			return
		}
		httpx.WriteJSON(w, http.StatusOK, "application/json", map[string]string{
			"provider":    "local stand-in for the KYC provider",
			"sessionId":   sess.ID,
			"status":      sess.EffectiveStatus(now()),
			"country":     sess.Country,
			"templateId":  sess.TemplateID,
			"redirectUri": r.URL.Query().Get("redirect_uri"),
			"expiresAt":   sess.ExpiresAt.Format(time.RFC3339),
		})
	})
}
