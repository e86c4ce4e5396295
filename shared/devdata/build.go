package devdata

import (
	"bytes"
	"context"
	"net/http"
	"os"

	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/http/federatedids"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/http/kyccallbacks"
	"github.com/partner-identity/api/shared/http/oauth"
	"github.com/partner-identity/api/shared/http/partnerv2"
	"github.com/partner-identity/api/shared/http/sandboxpage"
	"github.com/partner-identity/api/shared/http/userv2"
	"github.com/partner-identity/api/shared/http/wellknown"
	"github.com/partner-identity/api/shared/webhooks/queue"

	"github.com/partner-identity/api/shared/adapters/kycproviders"
	"github.com/partner-identity/api/shared/adapters/localseal"
	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/domain/servicekeys"
	"github.com/partner-identity/api/shared/kit/logsafe"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/lambda/callbackapi"
	"github.com/partner-identity/api/shared/lambda/federatedapi"
	"github.com/partner-identity/api/shared/lambda/oauthapi"
	"github.com/partner-identity/api/shared/lambda/partnerapi"
	"github.com/partner-identity/api/shared/lambda/sandboxapi"
	"github.com/partner-identity/api/shared/lambda/userapi"
	"github.com/partner-identity/api/shared/lambda/wellknownapi"
)

// Local is what a local runner adds to app.Config.
type Local struct {
	// Memory: the in-memory store (unless cfg names a table).
	Memory bool
	// APIKey is the development partner's key (APIKey when "");
	// WebhookURL where its webhooks go ("" for none); ProviderURL where
	// its KYC links go (ProviderURL when "").
	APIKey      string
	WebhookURL  string
	ProviderURL string
	// PartnersFile is a registry document whose partners are imported
	// into the store instead of the development partner;
	// WebhookSecretsFile a webhook secrets document imported after it
	// (the development partner's secret when neither is given).
	// PartnersFile.Watch imports them again when they change.
	PartnersFile       string
	WebhookSecretsFile string
	// NoSandbox turns test mode off (as the template's Sandbox=disabled):
	// test keys are refused, the sandbox's page shows nothing.
	NoSandbox bool
}

// Build is app.Build for a local runner: cfg as a local configuration
// (webhook URLs may be http to loopback, deliveries http where cfg allows
// it), with the development partner, keys, webhook secret and KYC
// providers where cfg names no source, the memory store with l.Memory,
// and the webhook retry queue and slow lane in process where cfg names
// no SQS queue.
func Build(ctx context.Context, cfg app.Config, l Local) (*app.Deps, error) {
	if l.APIKey == "" {
		l.APIKey = APIKey
	}
	if !partners.ValidKeyFormat(l.APIKey) {
		return nil, logsafe.Config("the development API key", errKeyFormat)
	}
	// The development partner unless a partners file is given, and its
	// webhook secret unless a webhook secrets file is.
	var docs []document
	if l.PartnersFile == "" {
		docs = append(docs, document{"the development partner", []byte(RegistryJSON(l.APIKey, l.WebhookURL, l.ProviderURL)), importRegistry})
		if l.WebhookSecretsFile == "" {
			docs = append(docs, document{"the development partner's webhook secret", []byte(WebhookSecretsJSON), importSecrets})
		}
	}
	for _, f := range []struct {
		path string
		imp  importer
	}{{l.PartnersFile, importRegistry}, {l.WebhookSecretsFile, importSecrets}} {
		if f.path == "" {
			continue
		}
		b, err := os.ReadFile(f.path)
		if err != nil {
			return nil, logsafe.Config("file "+f.path, errors.New("cannot be read"))
		}
		docs = append(docs, document{"file " + f.path, b, f.imp})
	}
	cfg.Local = true
	if cfg.SandboxURL == "" && !l.NoSandbox {
		// The sandbox's page is served by the local runner too.
		cfg.SandboxURL = l.ProviderURL
		if cfg.SandboxURL == "" {
			cfg.SandboxURL = ProviderURL
		}
	}
	cfg.Defaults = &app.Defaults{
		// Parsed on first use, as a secret would be fetched: deriving a
		// key computes the Ed25519 base point tables (about 1.4 ms).
		ServiceKeys: sync.OnceValues(func() (*servicekeys.Keys, error) { return servicekeys.Parse([]byte(ServiceKeysJSON)) }),
		// The webhook secrets are sealed in process, under a key derived
		// from the development keys (so that a table outlives a restart).
		Sealer:           localseal.New([]byte(ServiceKeysJSON)),
		KYCProviders:     sync.OnceValues(func() (*kycproviders.Config, error) { return kycproviders.Parse([]byte(KYCProvidersJSON)) }),
		TokenMaxLifetime: TokenLifetime,
	}
	if l.Memory && cfg.TableName == "" {
		cfg.Defaults.Store = memstore.New()
	}
	q := &app.Queues{}
	if cfg.WebhookRetryQueueURL == "" {
		q.Retries = &Queue{RetryAfter: 5 * time.Second}
	}
	if cfg.WebhookSlowQueueURL == "" {
		q.SlowLane = &Queue{RetryAfter: 5 * time.Second}
	}
	cfg.Defaults.Queues = q
	d, err := app.Build(ctx, cfg)
	if err != nil {
		return nil, err
	}
	for _, doc := range docs {
		if err := doc.imp(ctx, d, doc.body, doc.what); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// document is a document a local runner imports into its store.
type document struct {
	what string
	body []byte
	imp  importer
}

type importer func(ctx context.Context, d *app.Deps, doc []byte, what string) error

// importRegistry imports the partners of a registry document into d's
// store (partners.Admin.Import: what is there already is not written again).
func importRegistry(ctx context.Context, d *app.Deps, doc []byte, what string) error {
	_, _, err := admin(d).Import(ctx, importActor, doc)
	return refused(err, what)
}

// importSecrets imports a webhook secrets document (sealed with d's
// sealer) into d's store: its partners must be there.
func importSecrets(ctx context.Context, d *app.Deps, doc []byte, what string) error {
	_, err := admin(d).ImportWebhookSecrets(ctx, importActor, doc)
	if errors.Is(err, domain.ErrNotFound) {
		return logsafe.Config(what, errors.New("names a partner that does not exist"))
	}
	return refused(err, what)
}

func admin(d *app.Deps) *partners.Admin {
	return partners.NewAdmin(d.Store, d.Now, false).WithSealer(d.Sealer)
}

// refused is err, an invalid document's as a configuration error of what.
func refused(err error, what string) error {
	if err != nil {
		var e *domain.Error
		if errors.As(err, &e) && e.Kind == domain.Invalid && len(e.Problems) > 0 {
			return logsafe.Config(what, errors.New(e.Problems[0].Issue))
		}
		return err
	}
	return nil
}

// importActor is who the audit says imported a local runner's partners.
const importActor = "local runner"

// PartnersFile is make run's partners file and webhook secrets file
// (either may be ""): each imported again, each time its content changes,
// by Check.
type PartnersFile struct {
	d     *app.Deps
	files []watched
}

type watched struct {
	path string
	imp  importer
	last []byte
}

// NewPartnersFile watches path and secretsPath, whose contents Build
// imported into d.
func NewPartnersFile(d *app.Deps, path, secretsPath string) *PartnersFile {
	f := &PartnersFile{d: d}
	for _, w := range []watched{{path: path, imp: importRegistry}, {path: secretsPath, imp: importSecrets}} {
		if w.path != "" {
			w.last, _ = os.ReadFile(w.path)
			f.files = append(f.files, w)
		}
	}
	return f
}

// Check imports each file whose content changed since it was last
// imported, the partners first; a document that does not validate is not
// imported (the error says why) and what it holds stays as it was. A
// request meets the change within partners.CacheTTL.
func (f *PartnersFile) Check(ctx context.Context) (imported bool, err error) {
	for i := range f.files {
		w := &f.files[i]
		b, err := os.ReadFile(w.path)
		if err != nil || bytes.Equal(b, w.last) {
			continue // being replaced, or unchanged
		}
		if err := w.imp(ctx, f.d, b, "file "+w.path); err != nil {
			return imported, err
		}
		w.last, imported = b, true
	}
	return imported, nil
}

// Watch checks the file every interval until ctx ends, logging what it
// imports or refuses.
func (f *PartnersFile) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		switch imported, err := f.Check(ctx); {
		case err != nil:
			slog.Error("partners file not imported", "error", err.Error())
		case imported:
			slog.Info("partners file imported")
		}
	}
}

var errKeyFormat = errors.New("must be 20-128 characters of A-Z a-z 0-9 _ -")

// Queue is the webhook retry queue (or slow lane) in process: each message
// is handed to the dispatcher after its delay, on a timer; a message it
// fails is handed again after RetryAfter (SQS's visibility timeout).
type Queue struct {
	handle     func(ctx context.Context, m queue.Retry) error
	RetryAfter time.Duration
}

var _ queue.InProcess = (*Queue)(nil)

// HandleWith makes h the queue's consumer (the dispatcher built over it).
func (q *Queue) HandleWith(h func(ctx context.Context, m queue.Retry) error) {
	if q.handle == nil {
		q.handle = h
	}
}

func (q *Queue) Enqueue(_ context.Context, m queue.Retry, delay time.Duration) error {
	time.AfterFunc(max(delay, 0), func() { q.run(m) })
	return nil
}

func (q *Queue) run(m queue.Retry) {
	if q.handle == nil {
		return
	}
	err := q.handle(context.Background(), m)
	if err == nil {
		return
	}
	slog.Error("webhook retry (local queue): handed again later", "eventId", m.EventID, "error", logsafe.Code(err))
	_ = q.Enqueue(context.Background(), m, max(q.RetryAfter, time.Second))
}

// Endpoints are every route bound to its surface, each built over d as its
// function builds it (retries takes the partners' redeliveries), for the
// local runners and the tests, which serve them all on one mux.
func Endpoints(d *app.Deps, retries queue.Queue) []httpx.Endpoint {
	var out []httpx.Endpoint
	out = bind(out, partnerv2.Routes, partnerapi.New(d, retries))
	out = bind(out, userv2.Routes, userapi.New(d))
	out = bind(out, federatedids.Routes, federatedapi.New(d))
	out = bind(out, wellknown.Routes, wellknownapi.New(d))
	out = bind(out, oauth.Routes, oauthapi.New(d))
	out = bind(out, sandboxpage.Routes, sandboxapi.New(d, retries))
	return bind(out, kyccallbacks.Routes, callbackapi.New(d))
}

func bind[API any](out []httpx.Endpoint, rs []httpx.Route[API], api API) []httpx.Endpoint {
	for _, rt := range rs {
		out = append(out, rt.On(api))
	}
	return out
}

// Mux serves every route of Endpoints.
func Mux(d *app.Deps, retries queue.Queue) http.Handler {
	return httpx.WithLimiter(httpx.Mux(Endpoints(d, retries)...), d.Limiter)
}
