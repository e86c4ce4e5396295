// Package app builds a function's dependencies once per container from its
// environment: the store, the partner registry behind its cache, the logger.
// Build calls nothing over the network; Deps.Prefetch starts, during the
// container's initialisation, what its first request will need.
package app

import (
	"context"
	"errors"
	"github.com/partner-identity/api/shared/webhooks/signature"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/partner-identity/api/shared/adapters/awsconfig"
	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/adapters/kmsseal"
	"github.com/partner-identity/api/shared/adapters/kycproviders"
	"github.com/partner-identity/api/shared/adapters/secrets"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/kyc"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/domain/ratelimit"
	"github.com/partner-identity/api/shared/domain/servicekeys"
	"github.com/partner-identity/api/shared/kit/logsafe"
	"github.com/partner-identity/api/shared/kit/tracing"
	"github.com/partner-identity/api/shared/webhooks/queue"
)

// Config is read from the environment (FromEnv), or made by a local
// runner (package devdata, which sets Local and Defaults).
type Config struct {
	// TableName is the DynamoDB table (required, unless Defaults give a
	// store).
	TableName string
	// The partners are in the table (partners.Directory reads them; an
	// operator manages them with cmd/partnerctl), their webhook signing
	// secrets too, each sealed under the KMS key WebhookKeyID (an id, ARN
	// or alias), which only the webhook functions may decrypt with. Each
	// secret comes from Secrets Manager (an id) or a file in the same
	// shape: the service keys (token verification keys, identifier
	// pepper); the token signing keys, which only create-user-token reads;
	// the KYC providers' credentials, which only the verification link and
	// the providers' callbacks read. A secret a function needs and is not
	// given fails where it is used, saying which (Unset); Defaults fill
	// them for a local runner.
	WebhookKeyID         string
	ServiceKeysSecretID  string
	ServiceKeysFile      string
	TokenSigningSecretID string
	TokenSigningFile     string
	KYCProvidersSecretID string
	KYCProvidersFile     string
	// UserTokenTTL is a user token's lifetime (1h).
	UserTokenTTL time.Duration
	// WebhookDLQURL is the SQS dead-letter queue of undeliverable webhooks
	// (without one they are only logged); WebhookRetryQueueURL the queue
	// of webhook retries and redeliveries; WebhookSlowQueueURL the slow
	// lane's, where the attempts at endpoints that answer slowly wait.
	WebhookDLQURL        string
	WebhookRetryQueueURL string
	WebhookSlowQueueURL  string
	// KYCSessionTTL is how long a KYC link is valid (24h); KYCRetention how
	// long an expired session is kept before DynamoDB TTL may delete it (30 days).
	KYCSessionTTL time.Duration
	KYCRetention  time.Duration
	// Sandbox turns test mode on (the template's Sandbox parameter:
	// SANDBOX=enabled); off, test keys are refused. SandboxURL is where the
	// sandbox's page is served (test-mode KYC links are
	// SandboxURL/sandbox/kyc/{sessionId}); "" for the API's own address,
	// as the request that opens the session names it. A SandboxURL turns
	// test mode on too (a local runner's).
	Sandbox    bool
	SandboxURL string
	// Now is the clock of the handlers and secret caches (time.Now).
	Now func() time.Time
	// AWS is the SDK configuration; when nil and needed, it is read from the
	// environment by package awsconfig (AWS_ENDPOINT_URL points it at an
	// emulator).
	AWS *aws.Config

	// Local is a local runner's configuration (make run, make invoke,
	// tests whose partners' endpoints are on loopback): webhook URLs may be
	// http to a loopback host, and deliveries may use http
	// (WebhookAllowHTTP). FromEnv never sets it, and no function binary
	// links devdata, which does: a function is always configured as in
	// Lambda.
	Local            bool
	WebhookAllowHTTP bool
	// Defaults fill what the configuration names no source for (a local
	// runner's development data); nil in a function.
	Defaults *Defaults
}

// Defaults are a local runner's store and secrets where its configuration
// names none (package devdata's).
type Defaults struct {
	Store       domain.Store
	ServiceKeys func() (*servicekeys.Keys, error)
	// Sealer seals and opens the partners' webhook secrets in process
	// (for a configuration that names no KMS key).
	Sealer       domain.Sealer
	KYCProviders func() (*kycproviders.Config, error)
	// TokenMaxLifetime is the longest lifetime a token verified with the
	// default service keys may have.
	TokenMaxLifetime time.Duration
	// Queues are in-process webhook queues, for the queues the
	// configuration names no URL of.
	Queues *Queues
}

// Environment variables read by FromEnv.
const (
	envTableName        = "TABLE_NAME"
	envLogLevel         = "LOG_LEVEL"
	envKYCSessionTTL    = "KYC_SESSION_TTL"
	envServiceKeysID    = "SERVICE_KEYS_SECRET_ID"
	envServiceKeysFile  = "SERVICE_KEYS_FILE"
	envSigningID        = "TOKEN_SIGNING_SECRET_ID"
	envSigningFile      = "TOKEN_SIGNING_FILE"
	envWebhookKey       = "WEBHOOK_KEY_ID"
	envUserTokenTTL     = "USER_TOKEN_TTL"
	envWebhookDLQ       = "WEBHOOK_DLQ_URL"
	envWebhookRetries   = "WEBHOOK_RETRY_QUEUE_URL"
	envWebhookSlow      = "WEBHOOK_SLOW_QUEUE_URL"
	envKYCRetention     = "KYC_SESSION_RETENTION"
	envKYCProvidersID   = "KYC_PROVIDERS_SECRET_ID"
	envKYCProvidersFile = "KYC_PROVIDERS_FILE"
	envSandboxURL       = "SANDBOX_URL"
	envSandbox          = "SANDBOX"
)

// FromEnv reads the configuration of a function.
func FromEnv() Config {
	return Config{
		TableName:            os.Getenv(envTableName),
		KYCSessionTTL:        envDuration(envKYCSessionTTL),
		KYCRetention:         envDuration(envKYCRetention),
		ServiceKeysSecretID:  os.Getenv(envServiceKeysID),
		ServiceKeysFile:      os.Getenv(envServiceKeysFile),
		TokenSigningSecretID: os.Getenv(envSigningID),
		TokenSigningFile:     os.Getenv(envSigningFile),
		WebhookKeyID:         os.Getenv(envWebhookKey),
		KYCProvidersSecretID: os.Getenv(envKYCProvidersID),
		KYCProvidersFile:     os.Getenv(envKYCProvidersFile),
		UserTokenTTL:         envDuration(envUserTokenTTL),
		WebhookDLQURL:        os.Getenv(envWebhookDLQ),
		WebhookRetryQueueURL: os.Getenv(envWebhookRetries),
		WebhookSlowQueueURL:  os.Getenv(envWebhookSlow),
		SandboxURL:           os.Getenv(envSandboxURL),
		Sandbox:              os.Getenv(envSandbox) == "enabled",
	}
}

// envDuration reads a Go duration ("24h"); unset or invalid is 0, the default.
func envDuration(name string) time.Duration {
	d, _ := time.ParseDuration(os.Getenv(name))
	return d
}

// Settings are a container's settings: durations and addresses, read once.
type Settings struct {
	// KYCSessionTTL is how long a KYC link is valid; KYCRetention how long
	// an expired session is kept (the services' defaults when 0).
	KYCSessionTTL time.Duration
	KYCRetention  time.Duration
	// UserTokenTTL is a user token's lifetime; TokenMaxLifetime the longest
	// lifetime (exp - iat) a verified user token may have: UserTokenTTL (an
	// hour when 0); with a local runner's default keys, its Defaults'.
	UserTokenTTL     time.Duration
	TokenMaxLifetime time.Duration
	// WebhookAllowHTTP: deliveries may use http (a local runner's only).
	WebhookAllowHTTP bool
	// The webhook queues' URLs ("" for none).
	WebhookDLQURL        string
	WebhookRetryQueueURL string
	WebhookSlowQueueURL  string
	// Sandbox: test mode is on; SandboxURL is the sandbox page's base
	// URL ("": the API's own, as the request names it).
	Sandbox    bool
	SandboxURL string
}

// SandboxLinkURL is the link template of test-mode KYC sessions ("" when
// test mode is off or the page is at the API's own address).
func (s Settings) SandboxLinkURL() string {
	if s.SandboxURL == "" {
		return ""
	}
	return strings.TrimRight(s.SandboxURL, "/") + kyc.SandboxPagePath
}

// Deps is a container's settings and the services built from them, once
// per container; nothing in it changes after Build.
type Deps struct {
	Settings
	Store domain.Store
	// Partners are the partners, read from the store and cached a minute
	// (partners.Directory).
	Partners partners.Lookup
	// Sealer seals and opens the partners' webhook signing secrets (KMS);
	// WebhookKeys are those secrets, read from the store and opened once
	// per container.
	Sealer      domain.Sealer
	WebhookKeys signature.Keyring
	// The secrets, each behind its cache: the service keys (token
	// verification, identifier pepper), the token signing keys, the KYC
	// providers' credentials.
	Keys         func(context.Context) (*servicekeys.Keys, error)
	SigningKeys  func(context.Context) (*servicekeys.Keys, error)
	KYCProviders func(context.Context) (*kycproviders.Config, error)
	// HTTPClient calls the KYC providers.
	HTTPClient *http.Client
	Now        func() time.Time
	// Queues are a local runner's in-process webhook queues (nil in a
	// function: the SQS queues of the Settings' URLs).
	Queues *Queues
	// AWS is the SDK configuration, nil unless a client needed it.
	AWS *aws.Config
	// Limiter admits the partners' requests against their rate budgets
	// in the store (every container of every function draws on the same).
	Limiter *ratelimit.Limiter

	// prefetch starts each need that can be fetched ahead (Prefetch).
	prefetch map[Needs]func()
}

// Queues are webhook queues in process.
type Queues struct {
	Retries, SlowLane queue.Queue
}

// Build makes the dependencies of cfg.
func Build(ctx context.Context, cfg Config) (*Deps, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	def := cfg.Defaults
	if def == nil {
		def = &Defaults{}
	}
	d := &Deps{HTTPClient: tracing.Client(&http.Client{Timeout: 10 * time.Second}), Now: cfg.Now, Queues: def.Queues, Settings: Settings{
		KYCSessionTTL: cfg.KYCSessionTTL, KYCRetention: cfg.KYCRetention, UserTokenTTL: cfg.UserTokenTTL,
		WebhookAllowHTTP: cfg.WebhookAllowHTTP && cfg.Local, WebhookDLQURL: cfg.WebhookDLQURL,
		WebhookRetryQueueURL: cfg.WebhookRetryQueueURL, WebhookSlowQueueURL: cfg.WebhookSlowQueueURL, SandboxURL: cfg.SandboxURL,
		Sandbox: cfg.Sandbox || cfg.SandboxURL != ""}}
	var conns *awsconfig.Conns // the configuration's own dialer, when it made it
	loadAWS := func() (*aws.Config, error) {
		if d.AWS != nil {
			return d.AWS, nil
		}
		if cfg.AWS != nil {
			d.AWS = cfg.AWS
			return d.AWS, nil
		}
		c, c2, err := awsconfig.FromEnv()
		if err != nil {
			return nil, err
		}
		d.AWS, conns = &c, c2
		return d.AWS, nil
	}
	if cfg.WebhookDLQURL != "" || cfg.WebhookRetryQueueURL != "" || cfg.WebhookSlowQueueURL != "" {
		c, err := loadAWS()
		if err != nil {
			return nil, err
		}
		if conns != nil {
			endpoint := awsconfig.Endpoint(*c, "SQS", "sqs")
			d.prefetchable(NeedQueue, func() { conns.Preconnect(endpoint) })
		}
	}

	switch {
	case cfg.TableName != "":
		c, err := loadAWS()
		if err != nil {
			return nil, err
		}
		d.Store = dynamostore.New(dynamodb.NewFromConfig(*c), cfg.TableName)
		if conns != nil {
			endpoint := awsconfig.Endpoint(*c, "DynamoDB", "dynamodb")
			d.prefetchable(NeedTable, func() { conns.Preconnect(endpoint) })
			d.prefetchable(NeedSecondTableConn, func() { conns.PreconnectN(endpoint, 2) })
			d.prefetchable(NeedThirdTableConn, func() { conns.PreconnectN(endpoint, 3) })
		}
	case def.Store != nil:
		d.Store = def.Store
	default:
		return nil, Unset(envTableName)
	}

	var sm *secretsmanager.Client
	secretsClient := func() (*secretsmanager.Client, error) {
		if sm == nil {
			c, err := loadAWS()
			if err != nil {
				return nil, err
			}
			sm = secretsmanager.NewFromConfig(*c)
		}
		return sm, nil
	}

	dir := partners.NewDirectory(d.Store, cfg.Now)
	if !d.Sandbox {
		dir.LiveOnly()
	}
	d.Partners = dir
	d.Limiter = ratelimit.New(d.Store, cfg.Now)
	switch {
	case cfg.WebhookKeyID != "":
		c, err := loadAWS()
		if err != nil {
			return nil, err
		}
		d.Sealer = kmsseal.New(kms.NewFromConfig(*c), cfg.WebhookKeyID)
		if conns != nil {
			endpoint := awsconfig.Endpoint(*c, "KMS", "kms")
			d.prefetchable(NeedWebhookKey, func() { conns.Preconnect(endpoint) })
		}
	case def.Sealer != nil:
		d.Sealer = def.Sealer
	default:
		d.Sealer = unsetSealer{}
	}
	d.WebhookKeys = signature.NewStored(d.Store, d.Sealer, cfg.Now)

	var err error
	// Functions that do not use a secret never read it; one that is not
	// configured fails only where it is used, saying so (Unset).
	if d.Keys, err = secretOr(cfg, cfg.ServiceKeysSecretID, cfg.ServiceKeysFile, secretsClient, servicekeys.Parse,
		def.ServiceKeys, d.prefetcher(NeedServiceKeys), envServiceKeysID); err != nil {
		return nil, err
	}
	d.TokenMaxLifetime = cfg.UserTokenTTL
	if cfg.ServiceKeysSecretID == "" && cfg.ServiceKeysFile == "" && def.ServiceKeys != nil {
		d.TokenMaxLifetime = def.TokenMaxLifetime
	}
	if d.SigningKeys, err = secretOr(cfg, cfg.TokenSigningSecretID, cfg.TokenSigningFile, secretsClient, servicekeys.Parse,
		def.ServiceKeys, d.prefetcher(NeedSigningKeys), envSigningID); err != nil {
		return nil, err
	}
	if d.KYCProviders, err = secretOr(cfg, cfg.KYCProvidersSecretID, cfg.KYCProvidersFile, secretsClient, kycproviders.Parse,
		def.KYCProviders, d.prefetcher(NeedKYCProviders), envKYCProvidersID); err != nil {
		return nil, err
	}
	return d, nil
}

// secret is the cache of the secret in Secrets Manager under id, or else in
// file, parsed by parse: nil when neither is set. The cache of a secret in
// Secrets Manager is given to prefetchable, to fetch it ahead (Prefetch).
func secret[T any](cfg Config, id, file string, client func() (*secretsmanager.Client, error), parse func([]byte) (T, error),
	prefetchable func(start func())) (func(context.Context) (T, error), error) {
	parse = documented(id, file, parse)
	switch {
	case id != "":
		c, err := client()
		if err != nil {
			return nil, err
		}
		cache := newCache(cfg, secrets.Parsed(secrets.FromSecretsManager(c, id), parse))
		prefetchable(cache.Prefetch)
		return cache.Get, nil
	case file != "":
		// A file is re-read at most once a second, so that an operator's
		// edit takes effect locally within a second, as it would in AWS
		// after the cache period; while the file does not parse (an edit
		// half saved), the last good value is served.
		c := newCache(cfg, secrets.Parsed(secrets.FromFile(file), parse))
		c.TTL, c.RetryAfter = FileRefresh, FileRefresh
		return c.Get, nil
	}
	return nil, nil
}

// documented is parse whose errors name the document: the secret's id, or
// the file's path (logsafe.ConfigError, logged whole).
func documented[T any](id, file string, parse func([]byte) (T, error)) func([]byte) (T, error) {
	doc := "secret " + id
	if id == "" {
		doc = "file " + file
	}
	return func(b []byte) (T, error) {
		v, err := parse(b)
		if err != nil {
			return v, logsafe.Config(doc, err)
		}
		return v, nil
	}
}

// FileRefresh is how long a secret read from a file is kept before the
// file is read again.
const FileRefresh = time.Second

// secretOr is secret's cache, or else fallback (a local runner's
// default), or else a source that always fails with Unset{env}.
func secretOr[T any](cfg Config, id, file string, client func() (*secretsmanager.Client, error), parse func([]byte) (T, error),
	fallback func() (T, error), prefetchable func(start func()), env string) (func(context.Context) (T, error), error) {
	get, err := secret(cfg, id, file, client, parse, prefetchable)
	switch {
	case err != nil || get != nil:
		return get, err
	case fallback != nil:
		return func(context.Context) (T, error) { return fallback() }, nil
	}
	return func(context.Context) (T, error) { var zero T; return zero, Unset(env) }, nil
}

// unsetSealer is the sealer of a configuration that names no KMS key: it
// fails where it is used, saying so.
type unsetSealer struct{}

func (unsetSealer) Seal(context.Context, string, []byte) ([]byte, error) {
	return nil, Unset(envWebhookKey)
}
func (unsetSealer) Open(context.Context, string, []byte) ([]byte, error) {
	return nil, Unset(envWebhookKey)
}

// Unset is the configuration error of an environment variable that a
// function needs and is not set.
func Unset(env string) error { return logsafe.Config(env, errNotSet) }

var errNotSet = errors.New("is not set")

// Validate reads every secret d is configured with, once, and returns the
// first that cannot be used (a logsafe.ConfigError naming its document and
// field): a local runner checks its documents before it serves. A secret
// that is not configured is skipped.
func (d *Deps) Validate(ctx context.Context) error {
	check := func(err error) error {
		var unset *logsafe.ConfigError
		if errors.As(err, &unset) && errors.Is(err, errNotSet) {
			return nil
		}
		return err
	}
	for _, load := range []func() error{
		func() error { _, err := d.Keys(ctx); return err },
		func() error { _, err := d.SigningKeys(ctx); return err },
		func() error { _, err := d.KYCProviders(ctx); return err },
	} {
		if err := check(load()); err != nil {
			return err
		}
	}
	return nil
}

func newCache[T any](cfg Config, load func(context.Context) (T, error)) *secrets.Cache[T] {
	c := secrets.NewCache(load)
	c.Now = cfg.Now
	return c
}

// AccessTokens are the partners' access tokens over d: issued with its
// token signing keys (only the token function reads them), verified with
// its service keys.
func (d *Deps) AccessTokens() *partners.AccessTokens {
	return partners.NewAccessTokens(d.Partners, d.Keys, d.SigningKeys, d.Now)
}

// MustFromEnv sets up logging and builds the dependencies from the
// environment, exiting when the configuration is unusable (the log line
// says which variable and why: Build's errors never hold a secret value).
func MustFromEnv() *Deps {
	SetupLogging()
	tracing.Setup(os.Getenv)
	d, err := Build(context.Background(), FromEnv())
	if err != nil {
		slog.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	return d
}
