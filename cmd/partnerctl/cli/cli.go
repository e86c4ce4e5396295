// Package cli is partnerctl's commands over a partners.Admin: the same
// code whether the store is a deployed stack's table (cmd/partnerctl) or
// make run's (cmd/local-api runs it in its own process for partnerctl
// -local).
package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/domain/ratelimit"
)

// Request is what partnerctl -local sends make run (POST LocalPath): the
// command, who, and the files the command reads (import's document).
type Request struct {
	Args  []string          `json:"args"`
	Actor string            `json:"actor"`
	Files map[string][]byte `json:"files,omitempty"`
}

// LocalPath is where make run takes partnerctl's commands.
const LocalPath = "/dev/partnerctl"

// Usage is the commands' summary.
const Usage = `commands:
  create -id ID -name NAME [-flow API|WIDGET] [-identity-provider SLUG] [-webhook-url URL]
                                  a new partner; prints its first API key and webhook secret (shown once)
  list [-after ID] [-limit N]     partners by id
  limits                          the sum of every partner's rate limits, by budget: what the HTTP API's
                                  route throttle (ThrottlingRateLimit, ThrottlingBurstLimit) must stay above
  show ID                         a partner, its KYC templates, keys (ids, dates, last use), webhook secrets (ids, dates),
                                  and the webhook endpoints it added itself (ids, URLs, events)
  audit ID                        who changed what, oldest first
  set-template ID COUNTRY -template-id T [-provider sumsub|hosted] [-link-url URL]
  remove-template ID COUNTRY
  set-webhook ID URL              its first webhook endpoint, we_default ("" removes it; the endpoints the
                                  partner added itself stay)
  set-flow ID API|WIDGET
  set-limit ID BUDGET -rate R -burst B | set-limit ID BUDGET -default
                                  the partner's own rate limit of BUDGET (default, kyc-links, webhook-tests,
                                  tokens): R requests a second, bursts of B; -default: back to the deployment's
  suspend ID | reinstate ID
  issue-key ID [-expires WHEN] [-test]
                                  a new key (shown once); WHEN: RFC 3339 or a duration (720h); -test: a test
                                  key (pk_test_), its test side's (ID.test, made when missing). Every command
                                  takes a test side's id (ID.test) too: its keys, endpoints, limits
  expire-key ID KEY_ID -at WHEN   the old key of a rotation ends at WHEN
  revoke-key ID KEY_ID            at once
  rotate-webhook-secret ID [-overlap D]
                                  a new webhook signing secret (shown once); the old one signs beside it
                                  for D (default 24h, at most 168h; 0: it stops now)
  remove ID                       the partner, its keys and webhook secrets, and its test side's (its users and
                                  audit stay)
  import FILE                     a registry document ({"partners":[...]}): created or updated, idempotent
  import-webhook-secrets FILE     a webhook secrets document ({"webhookSecrets":{...}}), sealed: idempotent`

// Run runs the command of args with admin, actor its audit's who, its
// output to out. An error's text is for the operator (it holds no key).
func Run(ctx context.Context, args []string, admin *partners.Admin, actor string, readFile func(string) ([]byte, error), out io.Writer) error {
	if len(args) == 0 {
		return errors.New("no command\n" + Usage)
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	now := time.Now()
	switch cmd {
	case "create":
		id := fs.String("id", "", "partner id")
		name := fs.String("name", "", "name")
		flow := fs.String("flow", partners.FlowAPI, "API or WIDGET")
		idp := fs.String("identity-provider", "", "identity provider slug")
		hook := fs.String("webhook-url", "", "webhook URL")
		if err := parse(fs, args, 0); err != nil {
			return err
		}
		d, key, err := admin.Create(ctx, actor, partners.NewPartner{ID: *id, Name: *name, Flow: *flow, IdentityProvider: *idp, WebhookURL: *hook})
		if err != nil {
			return explain(err)
		}
		fmt.Fprintf(out, "created partner %s (%s)\nAPI key %s: %s\n", d.Partner.ID, d.Partner.Flow, d.Keys[0].ID, key)
		fmt.Fprintf(out, "test key %s (its test side %s): %s\n", d.TestKeyInfo.ID, domain.TestPartnerOf(d.Partner.ID), d.TestKey)
		secret, err := admin.RotateWebhookSecret(ctx, actor, d.Partner.ID, 0)
		switch {
		case errors.Is(err, partners.ErrNoSealer):
			fmt.Fprintln(out, "no webhook secret yet (no -kms-key): rotate-webhook-secret "+d.Partner.ID+" makes one")
		case err != nil:
			fmt.Fprintf(out, "no webhook secret yet (%v): rotate-webhook-secret %s makes one\n", explain(err), d.Partner.ID)
		default:
			fmt.Fprintf(out, "webhook secret: %s\n", secret)
		}
		fmt.Fprintln(out, "shown this once: give them to the partner now")
		return nil
	case "limits":
		if err := parse(fs, args, 0); err != nil {
			return err
		}
		rates, bursts, n := map[string]float64{}, map[string]int{}, 0
		for after := ""; ; {
			ps, next, err := admin.List(ctx, after, 100)
			if err != nil {
				return explain(err)
			}
			for _, d := range ps {
				if d.Partner.Suspended() {
					continue
				}
				n++
				for _, b := range ratelimit.Budgets {
					pol := d.Partner.Limits.For(b)
					rates[b] += pol.Rate
					bursts[b] += pol.Burst
				}
			}
			if after = next; next == "" {
				break
			}
		}
		fmt.Fprintf(out, "%d partners that may call, each mode on its own budgets (suspended ones left out)\n", n)
		for _, b := range ratelimit.Budgets {
			fmt.Fprintf(out, "  %-14s %g/s, bursts %d\n", b, rates[b], bursts[b])
		}
		fmt.Fprintf(out, "a route takes at most the default budget's: keep ThrottlingRateLimit above %g and ThrottlingBurstLimit above %d\n",
			rates[ratelimit.Default], bursts[ratelimit.Default])
		return nil
	case "list":
		after := fs.String("after", "", "list after this id")
		limit := fs.Int("limit", 100, "at most this many")
		if err := parse(fs, args, 0); err != nil {
			return err
		}
		ps, next, err := admin.List(ctx, *after, *limit)
		if err != nil {
			return explain(err)
		}
		w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tNAME\tFLOW\tSTANDING\tKEYS\tWEBHOOK")
		for _, d := range ps {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\n", d.Partner.ID, d.Partner.Name, d.Partner.Flow, standing(d.Partner), len(d.Keys), orNone(d.Partner.Webhook.URL))
		}
		_ = w.Flush()
		if next != "" {
			fmt.Fprintf(out, "more: list -after %s\n", next)
		}
		return nil
	case "show":
		if err := parse(fs, args, 1); err != nil {
			return err
		}
		d, err := admin.Show(ctx, fs.Arg(0))
		if err != nil {
			return explain(err)
		}
		show(out, d)
		return nil
	case "audit":
		if err := parse(fs, args, 1); err != nil {
			return err
		}
		entries, err := admin.Audit(ctx, fs.Arg(0))
		if err != nil {
			return explain(err)
		}
		w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "AT\tWHO\tWHAT\tDETAIL")
		for _, e := range entries {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", e.At.UTC().Format(time.RFC3339), e.Actor, e.Action, e.Detail)
		}
		return w.Flush()
	case "set-template":
		tid := fs.String("template-id", "", "template id (Sumsub's level name)")
		provider := fs.String("provider", "", "sumsub, or hosted (the default)")
		link := fs.String("link-url", "", "the hosted provider's link, with {sessionId}")
		if err := parse(fs, args, 2); err != nil {
			return err
		}
		return done(out)(admin.SetTemplate(ctx, actor, fs.Arg(0), fs.Arg(1), partners.KYCTemplate{Provider: *provider, TemplateID: *tid, LinkURL: *link}))
	case "remove-template":
		if err := parse(fs, args, 2); err != nil {
			return err
		}
		return done(out)(admin.RemoveTemplate(ctx, actor, fs.Arg(0), fs.Arg(1)))
	case "set-webhook":
		if err := parse(fs, args, 2); err != nil {
			return err
		}
		return done(out)(admin.SetWebhook(ctx, actor, fs.Arg(0), fs.Arg(1)))
	case "set-flow":
		if err := parse(fs, args, 2); err != nil {
			return err
		}
		return done(out)(admin.SetFlow(ctx, actor, fs.Arg(0), fs.Arg(1)))
	case "set-limit":
		rate := fs.Float64("rate", 0, "requests a second, sustained")
		burst := fs.Int("burst", 0, "the most requests at once")
		reset := fs.Bool("default", false, "remove the partner's own: the default applies")
		if err := parse(fs, args, 2); err != nil {
			return err
		}
		var p *ratelimit.Policy
		if !*reset {
			p = &ratelimit.Policy{Rate: *rate, Burst: *burst}
		}
		return done(out)(admin.SetLimit(ctx, actor, fs.Arg(0), fs.Arg(1), p))
	case "suspend", "reinstate":
		if err := parse(fs, args, 1); err != nil {
			return err
		}
		if cmd == "suspend" {
			return done(out)(admin.Suspend(ctx, actor, fs.Arg(0)))
		}
		return done(out)(admin.Reinstate(ctx, actor, fs.Arg(0)))
	case "issue-key":
		expires := fs.String("expires", "", "RFC 3339 time, or a duration from now")
		test := fs.Bool("test", false, "a test key (its test side's, made if it has none)")
		if err := parse(fs, args, 1); err != nil {
			return err
		}
		at, err := when(*expires, now)
		if err != nil {
			return err
		}
		id := fs.Arg(0)
		if *test {
			if err := admin.EnsureTestSide(ctx, actor, id); err != nil {
				return explain(err)
			}
			id = domain.TestPartnerOf(id)
		}
		d, key, err := admin.IssueKey(ctx, actor, id, at)
		if err != nil {
			return explain(err)
		}
		k := d.Keys[len(d.Keys)-1]
		fmt.Fprintf(out, "API key %s for %s: %s\nthe key is shown this once\n", k.ID, d.Partner.ID, key)
		return nil
	case "expire-key":
		at := fs.String("at", "", "RFC 3339 time, or a duration from now")
		if err := parse(fs, args, 2); err != nil {
			return err
		}
		t, err := when(*at, now)
		if err != nil || t.IsZero() {
			return errors.New("expire-key: -at is required (RFC 3339, or a duration from now)")
		}
		return done(out)(admin.ExpireKey(ctx, actor, fs.Arg(0), fs.Arg(1), t))
	case "revoke-key":
		if err := parse(fs, args, 2); err != nil {
			return err
		}
		return done(out)(admin.RevokeKey(ctx, actor, fs.Arg(0), fs.Arg(1)))
	case "rotate-webhook-secret":
		overlap := fs.Duration("overlap", partners.DefaultSecretOverlap, "how long the old secret keeps signing")
		if err := parse(fs, args, 1); err != nil {
			return err
		}
		secret, err := admin.RotateWebhookSecret(ctx, actor, fs.Arg(0), *overlap)
		if err != nil {
			return explain(err)
		}
		d, err := admin.Show(ctx, fs.Arg(0))
		if err != nil {
			return explain(err)
		}
		fmt.Fprintf(out, "webhook secret %s for %s: %s\nthe secret is shown this once\n", d.WebhookSecrets[0].ID, d.Partner.ID, secret)
		show(out, d)
		return nil
	case "import-webhook-secrets":
		if err := parse(fs, args, 1); err != nil {
			return err
		}
		doc, err := readFile(fs.Arg(0))
		if err != nil {
			return fmt.Errorf("import-webhook-secrets: %s cannot be read", fs.Arg(0))
		}
		n, err := admin.ImportWebhookSecrets(ctx, actor, doc)
		if err != nil {
			return explain(err)
		}
		fmt.Fprintf(out, "imported %s: %d partners' secrets written\n", fs.Arg(0), n)
		return nil
	case "remove":
		if err := parse(fs, args, 1); err != nil {
			return err
		}
		if err := admin.Remove(ctx, actor, fs.Arg(0)); err != nil {
			return explain(err)
		}
		fmt.Fprintf(out, "removed partner %s\n", fs.Arg(0))
		return nil
	case "import":
		if err := parse(fs, args, 1); err != nil {
			return err
		}
		doc, err := readFile(fs.Arg(0))
		if err != nil {
			return fmt.Errorf("import: %s cannot be read", fs.Arg(0))
		}
		created, changed, err := admin.Import(ctx, actor, doc)
		if err != nil {
			return explain(err)
		}
		fmt.Fprintf(out, "imported %s: %d created, %d changed\n", fs.Arg(0), created, changed)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, Usage)
}

// parse reads args into fs, flags first, and requires n arguments after
// them (flags may also follow the arguments).
func parse(fs *flag.FlagSet, args []string, n int) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return fmt.Errorf("%s: %v", fs.Name(), err)
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) != n {
		return fmt.Errorf("%s: %d arguments, want %d\n%s", fs.Name(), len(positional), n, Usage)
	}
	return fs.Parse(append(append([]string{}, "--"), positional...))
}

// when is an RFC 3339 time, a duration from now, or zero for "".
func when(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(d).UTC().Truncate(time.Second), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a duration", s)
	}
	return t.UTC(), nil
}

// done prints a change's result: done(out)(admin.Change(...)).
func done(out io.Writer) func(*partners.Details, error) error {
	return func(d *partners.Details, err error) error {
		if err != nil {
			return explain(err)
		}
		show(out, d)
		return nil
	}
}

// explain is err as an operator reads it.
func explain(err error) error {
	e, ok := domain.As(err)
	if !ok {
		return err
	}
	switch {
	case e.Kind == domain.NotFound:
		return errors.New("no such partner or key")
	case e.Kind == domain.Invalid && len(e.Problems) > 0:
		return fmt.Errorf("refused, nothing written: %s", e.Problems[0].Issue)
	case e.Reason == domain.ReasonPartnerExists:
		return errors.New("refused: a partner with this id exists")
	case e.Reason == domain.ReasonKeyTaken:
		return errors.New("refused: a key of this document belongs to another partner")
	case e.Reason == domain.ReasonProviderTaken:
		return errors.New("refused: another partner holds this identity provider")
	case e.Kind == domain.Stale:
		return errors.New("the partner kept changing while this ran: try again")
	}
	if errors.Is(err, partners.ErrNoSealer) {
		return errors.New("no key to seal webhook secrets with: -kms-key (the stack's WebhookSigningKeyArn output) or WEBHOOK_KEY_ID")
	}
	return err
}

func standing(p *partners.Partner) string {
	if p.Suspended() {
		return "suspended"
	}
	return "active"
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func show(out io.Writer, d *partners.Details) {
	p := d.Partner
	fmt.Fprintf(out, "partner %s (%s)\n  flow %s, %s, revision %d, updated %s\n  webhook %s\n  identity provider %s\n",
		p.ID, p.Name, p.Flow, standing(p), d.Rev, d.UpdatedAt.UTC().Format(time.RFC3339), orNone(p.Webhook.URL), orNone(p.IdentityProvider))
	countries := make([]string, 0, len(p.KYCTemplates))
	for c := range p.KYCTemplates {
		countries = append(countries, c)
	}
	sort.Strings(countries)
	for _, c := range countries {
		t := p.KYCTemplates[c]
		fmt.Fprintf(out, "  KYC %s: %s %s %s\n", c, t.ProviderName(), t.TemplateID, t.LinkURL)
	}
	for _, b := range ratelimit.Budgets {
		pol, note := p.Limits.For(b), "default"
		if _, own := p.Limits[b]; own {
			note = "its own"
		}
		fmt.Fprintf(out, "  limit %s: %g/s, burst %d (%s)\n", b, pol.Rate, pol.Burst, note)
	}
	for _, k := range d.Keys {
		var notes []string
		if k.Hint != "" {
			notes = append(notes, "ending "+k.Hint)
		}
		if !k.ExpiresAt.IsZero() {
			notes = append(notes, "expires "+k.ExpiresAt.UTC().Format(time.RFC3339))
		}
		if !k.LastUsed.IsZero() {
			notes = append(notes, "last used "+k.LastUsed.UTC().Format(time.DateOnly))
		}
		fmt.Fprintf(out, "  key %s created %s %s\n", k.ID, k.CreatedAt.UTC().Format(time.RFC3339), strings.Join(notes, ", "))
	}
	for _, e := range p.WebhookEndpoints {
		note := ""
		if e.Disabled {
			note = " (disabled)"
		}
		fmt.Fprintf(out, "  webhook endpoint %s %s %s%s\n", e.ID, e.URL, strings.Join(e.Events(), ","), note)
	}
	for _, s := range d.WebhookSecrets {
		note := ""
		if !s.ExpiresAt.IsZero() {
			note = "signs until " + s.ExpiresAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(out, "  webhook secret %s created %s %s\n", s.ID, s.CreatedAt.UTC().Format(time.RFC3339), note)
	}
}

// Remote sends the command to make run at base (partnerctl -local), with
// the files it names (read with readFile), and writes its output to out.
func Remote(ctx context.Context, base string, args []string, actor string, readFile func(string) ([]byte, error), out io.Writer) error {
	req := Request{Args: args, Actor: actor, Files: map[string][]byte{}}
	if len(args) == 2 && (args[0] == "import" || args[0] == "import-webhook-secrets") {
		b, err := readFile(args[1])
		if err != nil {
			return fmt.Errorf("import: %s cannot be read", args[1])
		}
		req.Files[args[1]] = b
	}
	body, _ := json.Marshal(req)
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, base+LocalPath, bytes.NewReader(body))
	if err != nil {
		return err
	}
	r.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		return fmt.Errorf("make run at %s: %w", base, err)
	}
	defer res.Body.Close()
	text, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s", bytes.TrimSpace(text))
	}
	_, err = out.Write(text)
	return err
}
