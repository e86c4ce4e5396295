package partners

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/jsonmember"
	"github.com/partner-identity/api/shared/domain/outbox"
)

// A partner's webhook endpoints: its first is the operator's webhook URL
// (Webhook, id DefaultEndpointID), the others the partner adds itself
// (Partner v2's /webhooks/endpoints). Every event goes to each enabled
// endpoint subscribed to its type, signed with that endpoint's own
// secrets (SealedSecrets: the first's in Secrets, the others' in
// Endpoints by id), with its own delivery state.
const (
	// MaxEndpoints is how many endpoints a partner may hold, the first
	// included.
	MaxEndpoints = 10
	// DefaultEndpointID is the id of the first endpoint, the operator's.
	DefaultEndpointID = domain.DefaultEndpointID
	// AllEvents, as an endpoint's only enabled event, subscribes it to
	// every type, those documented later too.
	AllEvents = "*"
	// MaxDescription bounds an endpoint's description, in characters.
	MaxDescription = 200
)

// Endpoint is one of a partner's webhook endpoints.
type Endpoint struct {
	ID  string `json:"id"`
	URL string `json:"url"`
	// EnabledEvents are the types it receives: event types, or AllEvents
	// alone (none: AllEvents).
	EnabledEvents []string  `json:"enabledEvents,omitempty"`
	Description   string    `json:"description,omitempty"`
	Disabled      bool      `json:"disabled,omitempty"`
	CreatedAt     time.Time `json:"createdAt,omitzero"`
}

// Events are the types e receives: its enabled events, or AllEvents.
func (e Endpoint) Events() []string {
	if len(e.EnabledEvents) == 0 {
		return []string{AllEvents}
	}
	return e.EnabledEvents
}

// Receives tells whether e takes events of type typ now: it is enabled,
// and subscribed to typ (a test event goes to every enabled endpoint,
// which is how an endpoint is checked).
func (e Endpoint) Receives(typ string) bool {
	if e.Disabled || e.URL == "" {
		return false
	}
	ev := e.Events()
	return typ == outbox.WebhookTest || slices.Contains(ev, AllEvents) || slices.Contains(ev, typ)
}

// Endpoints are the partner's endpoints, the first (the operator's
// Webhook, when it has a URL) first.
func (p *Partner) Endpoints() []Endpoint {
	out := make([]Endpoint, 0, len(p.WebhookEndpoints)+1)
	if p.Webhook.URL != "" {
		w := p.Webhook
		out = append(out, Endpoint{ID: DefaultEndpointID, URL: w.URL, EnabledEvents: w.EnabledEvents, Description: w.Description,
			Disabled: w.Disabled, CreatedAt: w.CreatedAt})
	}
	return append(out, p.WebhookEndpoints...)
}

// Endpoint is the partner's endpoint id.
func (p *Partner) Endpoint(id string) (Endpoint, bool) {
	for _, e := range p.Endpoints() {
		if e.ID == id {
			return e, true
		}
	}
	return Endpoint{}, false
}

// Receivers are the partner's endpoints that take an event of type typ.
func (p *Partner) Receivers(typ string) []Endpoint {
	var out []Endpoint
	for _, e := range p.Endpoints() {
		if e.Receives(typ) {
			out = append(out, e)
		}
	}
	return out
}

// Hooked tells whether the partner has an enabled endpoint.
func (p *Partner) Hooked() bool {
	for _, e := range p.Endpoints() {
		if !e.Disabled {
			return true
		}
	}
	return false
}

// setEndpoint writes e in place of the partner's endpoint of its id (the
// first is its Webhook), or adds it.
func (p *Partner) setEndpoint(e Endpoint) {
	if e.ID == DefaultEndpointID {
		p.Webhook = Webhook{URL: e.URL, EnabledEvents: e.EnabledEvents, Description: e.Description, Disabled: e.Disabled, CreatedAt: e.CreatedAt}
		return
	}
	if i := slices.IndexFunc(p.WebhookEndpoints, func(x Endpoint) bool { return x.ID == e.ID }); i >= 0 {
		p.WebhookEndpoints[i] = e
		return
	}
	p.WebhookEndpoints = append(p.WebhookEndpoints, e)
}

// removeEndpoint removes the partner's endpoint id.
func (p *Partner) removeEndpoint(id string) {
	if id == DefaultEndpointID {
		p.Webhook = Webhook{}
		return
	}
	p.WebhookEndpoints = slices.DeleteFunc(p.WebhookEndpoints, func(x Endpoint) bool { return x.ID == id })
}

// ValidEndpointID: DefaultEndpointID, or "we_" and 16 lowercase hex digits.
func ValidEndpointID(id string) bool {
	if id == DefaultEndpointID {
		return true
	}
	rest, ok := strings.CutPrefix(id, "we_")
	if !ok || len(rest) != 16 {
		return false
	}
	_, err := hex.DecodeString(rest)
	return err == nil && strings.ToLower(rest) == rest
}

func newEndpointID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "we_" + hex.EncodeToString(b[:])
}

// checkEndpoints: at most MaxEndpoints, ids well formed and unique, each
// URL as checkWebhookURL says, each endpoint's events and description.
func checkEndpoints(p *Partner, inLambda bool) error {
	all := p.Endpoints()
	if len(all) > MaxEndpoints {
		return fmt.Errorf("webhookEndpoints: at most %d endpoints", MaxEndpoints)
	}
	seen := map[string]bool{}
	for _, e := range all {
		if !ValidEndpointID(e.ID) || seen[e.ID] || e.ID == DefaultEndpointID && len(seen) > 0 {
			return fmt.Errorf("webhookEndpoints: an endpoint id is malformed or listed twice")
		}
		seen[e.ID] = true
		if err := checkWebhookURL(e.URL, inLambda); err != nil || e.URL == "" {
			if err == nil {
				err = errors.New("is required")
			}
			return fmt.Errorf("webhook endpoint %s: url %w", e.ID, err)
		}
		if err := checkEvents(e.EnabledEvents); err != nil {
			return fmt.Errorf("webhook endpoint %s: enabledEvents %w", e.ID, err)
		}
		if utf8.RuneCountInString(e.Description) > MaxDescription {
			return fmt.Errorf("webhook endpoint %s: description is over %d characters", e.ID, MaxDescription)
		}
	}
	return checkEvents(p.Webhook.EnabledEvents)
}

// checkEvents: none, AllEvents alone, or documented types without repeats.
func checkEvents(list []string) error {
	seen := map[string]bool{}
	for _, t := range list {
		switch {
		case t == AllEvents && len(list) > 1:
			return fmt.Errorf(`must be ["%s"] alone or a list of event types`, AllEvents)
		case t != AllEvents && !slices.Contains(outbox.Types, t):
			return fmt.Errorf("names %q, which is not an event type (%s)", t, strings.Join(outbox.Types, ", "))
		case seen[t]:
			return fmt.Errorf("names %q twice", t)
		}
		seen[t] = true
	}
	return nil
}

// URLCheck checks a webhook URL a partner or an operator sets against the
// dialling policy of deliveries (where the host resolves), so that a URL
// no delivery may reach is refused when it is set, not only when dialled.
type URLCheck func(ctx context.Context, rawURL string) error

// WithURLCheck is a with check run on every URL it sets.
func (a *Admin) WithURLCheck(check URLCheck) *Admin {
	a.urlCheck = check
	return a
}

func (a *Admin) checkURL(ctx context.Context, raw string) error {
	if a.urlCheck == nil || raw == "" {
		return nil
	}
	if err := a.urlCheck(ctx, raw); err != nil {
		return domain.InvalidInput(domain.Problem{Field: "url", Issue: err.Error()})
	}
	return nil
}

// EndpointInput is what creating an endpoint takes, and (each field that
// is not nil) what changing one changes.
type EndpointInput struct {
	URL           *string
	EnabledEvents *[]string
	Description   *string
	Disabled      *bool
}

// checkInput checks in's fields in the dialect of a partner's request:
// each problem names its field.
func (a *Admin) checkInput(ctx context.Context, in EndpointInput) error {
	var problems []domain.Problem
	if in.URL != nil {
		if err := checkWebhookURL(*in.URL, a.inLambda); err != nil || *in.URL == "" {
			issue := "is required"
			if err != nil {
				issue = err.Error()
			}
			problems = append(problems, domain.Problem{Field: "url", Issue: issue})
		}
	}
	if in.EnabledEvents != nil {
		if err := checkEvents(*in.EnabledEvents); err != nil || len(*in.EnabledEvents) == 0 {
			issue := `must not be empty (["*"] for every type)`
			if err != nil {
				issue = err.Error()
			}
			problems = append(problems, domain.Problem{Field: "enabledEvents", Issue: issue})
		}
	}
	if in.Description != nil && utf8.RuneCountInString(*in.Description) > MaxDescription {
		problems = append(problems, domain.Problem{Field: "description", Issue: fmt.Sprintf("must be at most %d characters", MaxDescription)})
	}
	if len(problems) > 0 {
		return domain.InvalidInput(problems...)
	}
	if in.URL != nil {
		return a.checkURL(ctx, *in.URL)
	}
	return nil
}

func (in EndpointInput) apply(e *Endpoint) {
	if in.URL != nil {
		e.URL = *in.URL
	}
	if in.EnabledEvents != nil {
		e.EnabledEvents = slices.Clone(*in.EnabledEvents)
		if len(e.EnabledEvents) == 1 && e.EnabledEvents[0] == AllEvents {
			e.EnabledEvents = nil
		}
	}
	if in.Description != nil {
		e.Description = *in.Description
	}
	if in.Disabled != nil {
		e.Disabled = *in.Disabled
	}
}

// ListEndpoints are partnerID's endpoints, the first first.
func (a *Admin) ListEndpoints(ctx context.Context, partnerID string) ([]Endpoint, error) {
	rec, err := a.store.GetPartner(ctx, partnerID)
	if err != nil {
		return nil, err
	}
	p, err := FromRecord(rec)
	if err != nil {
		return nil, err
	}
	return p.Endpoints(), nil
}

// GetEndpoint is partnerID's endpoint id (ErrNotFound).
func (a *Admin) GetEndpoint(ctx context.Context, partnerID, id string) (Endpoint, error) {
	list, err := a.ListEndpoints(ctx, partnerID)
	if err != nil {
		return Endpoint{}, err
	}
	for _, e := range list {
		if e.ID == id {
			return e, nil
		}
	}
	return Endpoint{}, domain.ErrNotFound
}

// CreateEndpoint adds an endpoint to partnerID with a new signing secret,
// returned (the only time it is shown): E(Conflict, ReasonEndpointLimit)
// when it holds MaxEndpoints. The secret is written first, under the new
// endpoint's id, then the endpoint: a failure between leaves a secret no
// endpoint uses, which the next change of the partner's secrets drops.
func (a *Admin) CreateEndpoint(ctx context.Context, caller, partnerID string, in EndpointInput) (Endpoint, string, error) {
	if in.URL == nil {
		return Endpoint{}, "", domain.InvalidInput(domain.Problem{Field: "url", Issue: "is required"})
	}
	if err := a.checkInput(ctx, in); err != nil {
		return Endpoint{}, "", err
	}
	rec, err := a.store.GetPartner(ctx, partnerID)
	if err != nil {
		return Endpoint{}, "", err
	}
	if p, err := FromRecord(rec); err != nil {
		return Endpoint{}, "", err
	} else if len(p.Endpoints()) >= MaxEndpoints {
		return Endpoint{}, "", domain.E(domain.Conflict, domain.ReasonEndpointLimit)
	}
	e := Endpoint{ID: newEndpointID(), CreatedAt: a.now().UTC()}
	in.apply(&e)
	who := byKey(caller)(rec)
	secret := NewWebhookSecret()
	err = a.setSecrets(ctx, who, partnerID, e.ID, "create webhook endpoint secret", func(time.Time, []domain.SealedSecret) ([]string, []domain.SealedSecret, string) {
		return []string{secret}, nil, "endpoint " + e.ID
	})
	if err != nil {
		return Endpoint{}, "", err
	}
	_, err = a.changeAs(ctx, byKey(caller), partnerID, "create webhook endpoint", e.ID, func(p *Partner, _ *[]domain.APIKey) error {
		if len(p.Endpoints()) >= MaxEndpoints {
			return domain.E(domain.Conflict, domain.ReasonEndpointLimit)
		}
		p.setEndpoint(e)
		return nil
	})
	if err != nil {
		return Endpoint{}, "", err
	}
	return e, secret, nil
}

// UpdateEndpoint changes partnerID's endpoint id as in says (ErrNotFound).
func (a *Admin) UpdateEndpoint(ctx context.Context, caller, partnerID, id string, in EndpointInput) (Endpoint, error) {
	if err := a.checkInput(ctx, in); err != nil {
		return Endpoint{}, err
	}
	var out Endpoint
	_, err := a.changeAs(ctx, byKey(caller), partnerID, "update webhook endpoint", id, func(p *Partner, _ *[]domain.APIKey) error {
		e, ok := p.Endpoint(id)
		if !ok {
			return domain.ErrNotFound
		}
		in.apply(&e)
		p.setEndpoint(e)
		out = e
		return nil
	})
	return out, err
}

// DeleteEndpoint removes partnerID's endpoint id (ErrNotFound), then its
// secrets: it receives nothing from then on (attempts already queued for
// it end unsent).
func (a *Admin) DeleteEndpoint(ctx context.Context, caller, partnerID, id string) error {
	var who string
	actor := func(rec domain.PartnerRecord) string {
		who = byKey(caller)(rec)
		return who
	}
	_, err := a.changeAs(ctx, actor, partnerID, "delete webhook endpoint", id, func(p *Partner, _ *[]domain.APIKey) error {
		if _, ok := p.Endpoint(id); !ok {
			return domain.ErrNotFound
		}
		p.removeEndpoint(id)
		return nil
	})
	if err != nil {
		return err
	}
	// Its secrets go with it (a failure here leaves them unused: the
	// partner's next change of secrets drops them).
	_ = a.setSecrets(ctx, who, partnerID, id, "delete webhook endpoint secrets",
		func(time.Time, []domain.SealedSecret) ([]string, []domain.SealedSecret, string) {
			return nil, nil, "endpoint " + id
		})
	return nil
}

// RotateEndpointSecret gives partnerID's endpoint id a new signing secret,
// returned (the only time it is shown); the one it replaces keeps signing
// beside it for DefaultSecretOverlap (24 hours), as the multi-signature
// header allows; an older one still signing stops now.
func (a *Admin) RotateEndpointSecret(ctx context.Context, caller, partnerID, id string) (string, SecretInfo, error) {
	rec, err := a.store.GetPartner(ctx, partnerID)
	if err != nil {
		return "", SecretInfo{}, err
	}
	p, err := FromRecord(rec)
	if err != nil {
		return "", SecretInfo{}, err
	}
	if _, ok := p.Endpoint(id); !ok {
		return "", SecretInfo{}, domain.ErrNotFound
	}
	return a.rotate(ctx, byKey(caller)(rec), partnerID, id, DefaultSecretOverlap)
}

// ParseEndpoint reads a request's endpoint (a JSON object's members):
// url (required when creating), enabledEvents (a non-empty list of event
// types, or ["*"]), description, disabled; any other member is refused.
// Each problem names its member.
func ParseEndpoint(obj map[string]json.RawMessage, creating bool) (EndpointInput, []domain.Problem) {
	c := jsonmember.Check(obj)
	var in EndpointInput
	if creating {
		if v, ok := c.Required("url"); ok {
			in.URL = &v
		}
	} else if v, present, ok := c.Optional("url"); ok && present {
		in.URL = &v
	} else if raw, there := obj["url"]; there && ok && string(raw) == "null" {
		c.Fail("url", "must be a URL (delete the endpoint to remove it)")
	}
	if v, present, ok := c.Optional("description"); ok && present {
		in.Description = &v
	} else if raw, there := obj["description"]; there && ok && string(raw) == "null" {
		empty := ""
		in.Description = &empty
	}
	if raw, there := obj["enabledEvents"]; there {
		var list []string
		if err := json.Unmarshal(raw, &list); err != nil || list == nil {
			c.Fail("enabledEvents", `must be a list of event types, or ["*"]`)
		} else {
			in.EnabledEvents = &list
		}
	}
	if raw, there := obj["disabled"]; there {
		var b *bool
		if err := json.Unmarshal(raw, &b); err != nil || b == nil {
			c.Fail("disabled", "must be true or false")
		} else {
			in.Disabled = b
		}
	}
	c.RejectUnknown("url", "enabledEvents", "description", "disabled")
	return in, c.Details
}
