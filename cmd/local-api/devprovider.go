package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/partner-identity/api/shared/adapters/kycproviders"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/kit/wire"
	"github.com/partner-identity/api/shared/webhooks/signature"
)

// Where the local runner serves the stand-in provider; the development
// partner's kycTemplates link to the page.
const (
	devProviderPattern = "GET /kyc/{sessionId}"
	devDecisionPattern = "POST /kyc/{sessionId}/decision"
)

// devDecision is a result a button of the page posts.
type devDecision struct{ ID, Label, Status string }

// devDecisions are the results the page's buttons post, by button id.
var devDecisions = []devDecision{
	{"approve", "Approve", domain.KYCApproved},
	{"reject", "Reject", domain.KYCRejected},
	{"resubmit", "Ask for resubmission", domain.KYCActionRequired},
}

// devProvider stands in for the hosted KYC provider in the local runner. Its
// page (GET, as a browser asks for it: HTML; otherwise JSON) shows the
// session a kycLink opens, as of now, with buttons that decide it: each
// posts to the page's decision route, which sends the hosted provider's
// callback, signed with the providers secret's hosted.webhookSecret, to
// the local API at apiURL (the address make run serves, never one a
// request names), as the provider would. A decision is taken only for a
// session that exists, with one of the page's statuses, and with the form
// token of the page that showed it (an HMAC of the session id under a key
// of this process: another site's page cannot post one). It is never
// deployed.
func devProvider(s domain.KYCSessions, now func() time.Time, providers func(context.Context) (*kycproviders.Config, error), apiURL func() string) http.Handler {
	var formKey [32]byte
	_, _ = rand.Read(formKey[:])
	token := func(sessionID string) string {
		m := hmac.New(sha256.New, formKey[:])
		m.Write([]byte(sessionID))
		return hex.EncodeToString(m.Sum(nil))
	}
	mux := http.NewServeMux()
	mux.HandleFunc(devProviderPattern, func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.GetKYCSession(r.Context(), r.PathValue("sessionId"))
		if err != nil {
			httpx.WriteJSON(w, http.StatusNotFound, "application/json", map[string]string{"error": "no such KYC session"})
			return
		}
		if strings.Contains(r.Header.Get("Accept"), "text/html") {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
			_ = devPage.Execute(w, map[string]any{"Session": sess, "Status": sess.EffectiveStatus(now()), "Token": token(sess.ID),
				"Redirect": r.URL.Query().Get("redirect_uri"), "Decisions": devDecisions, "Callback": r.URL.Query().Get("callback")})
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
			"formToken":   token(sess.ID),
		})
	})
	mux.HandleFunc(devDecisionPattern, func(w http.ResponseWriter, r *http.Request) {
		id, status := r.PathValue("sessionId"), r.FormValue("status")
		if _, err := s.GetKYCSession(r.Context(), id); err != nil {
			http.Error(w, "no such KYC session", http.StatusNotFound)
			return
		}
		if !slices.ContainsFunc(devDecisions, func(d devDecision) bool { return d.Status == status }) {
			http.Error(w, "status must be one of the page's", http.StatusBadRequest)
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.FormValue("token")), []byte(token(id))) != 1 {
			http.Error(w, "the form token is missing or not this session's page's", http.StatusForbidden)
			return
		}
		answer, err := postHostedCallback(r.Context(), providers, apiURL(), id, status, now())
		back := "/kyc/" + url.PathEscape(id) + "?" + url.Values{"callback": {answer}, "redirect_uri": {r.FormValue("redirect_uri")}}.Encode()
		if err != nil {
			back = "/kyc/" + url.PathEscape(id) + "?" + url.Values{"callback": {"failed: " + err.Error()}}.Encode()
		}
		http.Redirect(w, r, back, http.StatusSeeOther)
	})
	return mux
}

// postHostedCallback sends the hosted provider's callback for session id
// with status, signed, to the API at apiURL: the API's answer.
func postHostedCallback(ctx context.Context, providers func(context.Context) (*kycproviders.Config, error), apiURL, id, status string, at time.Time) (string, error) {
	cfg, err := providers(ctx)
	if err != nil {
		return "", err
	}
	if cfg.Hosted == nil {
		return "no hosted provider in the KYC providers secret", nil
	}
	body, _ := json.Marshal(map[string]string{"sessionId": id, "status": status, "occurredAt": wire.Time(at)})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, apiURL+"/kyc/providers/hosted/webhook", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	signature.SetHeaders(req.Header, []signature.Key{cfg.Hosted.Key}, callbackID(), body, at)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var answer bytes.Buffer
	_, _ = answer.ReadFrom(resp.Body)
	return resp.Status + " " + answer.String(), nil
}

var devPage = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>KYC provider (local stand-in)</title>
<style>body{font-family:sans-serif;max-width:40em;margin:2em auto}button{margin-right:.5em;padding:.5em 1em}
dt{font-weight:bold}#status{font-size:1.4em}</style></head>
<body>
<h1>Identity verification</h1>
<p>Local stand-in for the hosted KYC provider: decide the session as the provider would.</p>
<dl>
<dt>Session</dt><dd id="session">{{.Session.ID}}</dd>
<dt>Country</dt><dd>{{.Session.Country}}</dd>
<dt>Status</dt><dd id="status" data-status="{{.Status}}">{{.Status}}</dd>
</dl>
<form method="post" action="/kyc/{{.Session.ID}}/decision">
<input type="hidden" name="redirect_uri" value="{{.Redirect}}">
<input type="hidden" name="token" value="{{.Token}}">
{{range .Decisions}}<button id="{{.ID}}" name="status" value="{{.Status}}">{{.Label}}</button>{{end}}
</form>
{{if .Callback}}<p>Callback answered: <code id="callback">{{.Callback}}</code></p>{{end}}
</body></html>
`))

// callbackID is a new id for a hosted provider callback (its Webhook-Id).
func callbackID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "cb_" + hex.EncodeToString(b[:])
}
