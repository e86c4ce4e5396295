package sandboxpage

import (
	"crypto/subtle"
	"errors"
	"html/template"
	"net/http"
	"net/url"

	"github.com/partner-identity/api/shared/adapters/kycproviders"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/kyc"
	"github.com/partner-identity/api/shared/webhooks/events"
)

// Page is GET /sandbox/kyc/{sessionId}: the session as of now, with a
// button per outcome and per simulation, each posting to Decide with the
// page's form token. 404 for no session, 403 for a live one.
func (a *API) Page(w http.ResponseWriter, r *http.Request) error {
	sess, refused, err := a.session(w, r)
	if refused || err != nil {
		return err
	}
	cfg, err := a.d.Providers(r.Context())
	if err != nil {
		return err
	}
	now := a.d.Now()
	status := sess.EffectiveStatus(now)
	headers(w)
	w.WriteHeader(http.StatusOK)
	return page.Execute(w, map[string]any{
		"Session": sess, "Status": status, "Token": kycproviders.FormToken(cfg, sess.ID),
		"Outcomes": kyc.SandboxOutcomes, "Pending": status == domain.KYCPending, "Approved": status == domain.KYCApproved,
		"Done": r.URL.Query().Get("done"),
		// Checked when the session was opened (https, or an app's own scheme).
		"Redirect": template.URL(sess.RedirectURI),
	})
}

// Decide is POST /sandbox/kyc/{sessionId}: the page's form (outcome or
// scenario, and its token), then back to the page (303) with what was
// done. A form without the page's token is refused (403): another site's
// page cannot decide a session.
func (a *API) Decide(w http.ResponseWriter, r *http.Request) error {
	sess, refused, err := a.session(w, r)
	if refused || err != nil {
		return err
	}
	cfg, err := a.d.Providers(r.Context())
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if r.ParseForm() != nil || subtle.ConstantTimeCompare([]byte(r.PostForm.Get("token")), []byte(kycproviders.FormToken(cfg, sess.ID))) != 1 {
		message(w, http.StatusForbidden, "The form is not this session's page's: open the page again.")
		return nil
	}
	ctx := r.Context()
	var done string
	switch outcome, scenario := r.PostForm.Get("outcome"), r.PostForm.Get("scenario"); {
	case outcome != "":
		o, err := kyc.ParseSandboxOutcome("outcome", outcome)
		if err != nil {
			message(w, http.StatusBadRequest, "Unknown outcome.")
			return nil
		}
		res, err := a.d.KYC.Decide(ctx, sess.PartnerID, sess.ID, o)
		if done, err = described(err, o.Label()+": "+string(res)); err != nil {
			return err
		}
	case scenario == events.ScenarioDuplicate:
		p, err := a.d.Partners.Partner(ctx, sess.PartnerID)
		if err != nil {
			return err
		}
		id, err := a.d.Events.DuplicateLatest(ctx, a.d.KYC, p, sess.ID)
		if errors.Is(err, domain.ErrNotFound) {
			done, err = "refused: no event of this user to deliver again", nil
		} else if done, err = described(err, scenario+": "+id); err != nil {
			return err
		}
	case scenario == events.ScenarioOutOfOrder || scenario == events.ScenarioLateRejection:
		p, err := a.d.Partners.Partner(ctx, sess.PartnerID)
		if err != nil {
			return err
		}
		ids, err := a.d.Events.Simulate(ctx, a.d.KYC, p, scenario, sess.ID)
		if done, err = described(err, scenario+": "+describeIDs(ids)); err != nil {
			return err
		}
	default:
		message(w, http.StatusBadRequest, "Pick an outcome or a scenario.")
		return nil
	}
	http.Redirect(w, r, "/sandbox/kyc/"+url.PathEscape(sess.ID)+"?"+url.Values{"done": {done}}.Encode(), http.StatusSeeOther)
	return nil
}

// session is the page's session, or refused (answered: 404, 403 for a
// live one, 404 for everything with test mode off), or a fault (the
// route's 500, made by httpx.Wrap).
func (a *API) session(w http.ResponseWriter, r *http.Request) (domain.KYCSession, bool, error) {
	if !a.d.Enabled {
		message(w, http.StatusNotFound, "The sandbox is off in this deployment.")
		return domain.KYCSession{}, true, nil
	}
	sess, err := a.d.KYC.SandboxSession(r.Context(), "", r.PathValue("sessionId"))
	switch {
	case domain.ReasonOf(err) == domain.ReasonTestModeOnly:
		message(w, http.StatusForbidden, "This is a live session: the sandbox never decides one.")
		return domain.KYCSession{}, true, nil
	case errors.Is(err, domain.ErrNotFound):
		message(w, http.StatusNotFound, "No such test-mode session.")
		return domain.KYCSession{}, true, nil
	}
	return sess, false, err
}

// described is what the page says was done: ok, or why the session's
// state refused it; a fault is returned.
func described(err error, ok string) (string, error) {
	switch domain.ReasonOf(err) {
	case "":
		if err != nil {
			return "", err
		}
		return ok, nil
	case kyc.ReasonNotPending:
		return "refused: the session is no longer pending", nil
	case kyc.ReasonNotApproved:
		return "refused: the session is not approved", nil
	case domain.ReasonNoWebhook:
		return "refused: no test webhook endpoint to deliver to", nil
	}
	if _, ok := domain.As(err); ok {
		return "refused", nil
	}
	return "", err
}

func describeIDs(ids []string) string {
	out := ""
	for i, id := range ids {
		if i > 0 {
			out += ", "
		}
		out += id
	}
	return out
}

func headers(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Robots-Tag", "noindex")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
}

func message(w http.ResponseWriter, status int, msg string) {
	headers(w)
	w.WriteHeader(status)
	_ = messagePage.Execute(w, msg)
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sandbox: identity verification</title>
<style>body{font-family:sans-serif;max-width:42em;margin:2em auto}button{margin:.2em .4em .2em 0;padding:.5em 1em}
dt{font-weight:bold}#status{font-size:1.4em}.note{color:#555}</style></head>
<body>
<h1>Identity verification (sandbox)</h1>
<p class="note">Test mode: nothing here is a real verification. Decide the session as its provider would; each choice travels the real path to the partner's test webhook endpoint.</p>
<dl>
<dt>Session</dt><dd id="session">{{.Session.ID}}</dd>
<dt>Country</dt><dd>{{.Session.Country}}</dd>
<dt>Status</dt><dd id="status" data-status="{{.Status}}">{{.Status}}</dd>
</dl>
<form method="post" action="/sandbox/kyc/{{.Session.ID}}">
<input type="hidden" name="token" value="{{.Token}}">
<h2>Outcome</h2>
{{range .Outcomes}}<button id="{{.}}" name="outcome" value="{{.}}">{{.Label}}</button>{{end}}
<h2>Cases to test</h2>
<button id="out_of_order" name="scenario" value="out_of_order"{{if not .Pending}} disabled{{end}}>Out-of-order webhooks (in review, approved, the older again)</button>
<button id="late_rejection" name="scenario" value="late_rejection"{{if not .Approved}} disabled{{end}}>Late rejection of the approval</button>
<button id="duplicate_delivery" name="scenario" value="duplicate_delivery">Deliver the latest webhook again (a duplicate)</button>
</form>
{{if .Done}}<p>Done: <code id="done">{{.Done}}</code></p>{{end}}
{{if .Redirect}}<p><a id="back" href="{{.Redirect}}">Back to the app</a></p>{{end}}
</body></html>
`))

var messagePage = template.Must(template.New("message").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sandbox</title></head>
<body><p id="message">{{.}}</p></body></html>
`))
