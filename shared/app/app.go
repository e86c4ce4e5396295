// Package app builds a function's dependencies once per container from its
// environment: the store, the partner registry behind its cache, the logger.
// Build calls nothing over the network; Deps.Prefetch starts, during the
// container's initialisation, what its first request will need.
package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/partner-identity/api/shared/awsconfig"
	"github.com/partner-identity/api/shared/kycproviders"
	"github.com/partner-identity/api/shared/logsafe"
	"github.com/partner-identity/api/shared/partners"
	"github.com/partner-identity/api/shared/secrets"
	"github.com/partner-identity/api/shared/servicekeys"
	"github.com/partner-identity/api/shared/store"
	"github.com/partner-identity/api/shared/store/dynamostore"
	"github.com/partner-identity/api/shared/store/memstore"
	"github.com/partner-identity/api/shared/webhookqueue"
)

// Config is read from the environment (FromEnv) or flags (cmd/local-api).
type Config struct {
	// Store is "dynamodb" or "memory".
	Store     string
	TableName string
	// PartnersSecretID names the partner registry secret; PartnersFile a
	// local file in the same shape. With neither, outside Lambda only, the
	// development partner with DevAPIKey is used.
	PartnersSecretID string
	PartnersFile     string
	DevAPIKey        string
	// ServiceKeysSecretID names the service keys secret (token verification
	// keys, identifier pepper); ServiceKeysFile a local file in the same
	// shape. TokenSigningSecretID (or TokenSigningFile) names the token
	// signing secret, which only create-user-token reads;
	// WebhookSecretsSecretID (or WebhookSecretsFile) the webhook signing
	// secrets, which only the dispatcher reads. With none of a pair, outside
	// Lambda only, the development documents are used.
	// With neither, outside Lambda only, the fixed development keys are used.
	ServiceKeysSecretID    string
	ServiceKeysFile        string
	TokenSigningSecretID   string
	TokenSigningFile       string
	WebhookSecretsSecretID string
	WebhookSecretsFile     string
	// KYCProvidersSecretID (or KYCProvidersFile) names the KYC providers'
	// credentials (kycproviders), which only the verification link and the
	// providers' callbacks read; with neither, outside Lambda only, the
	// development document (the hosted provider's callback secret).
	KYCProvidersSecretID string
	KYCProvidersFile     string
	// UserTokenTTL is a user token's lifetime (1h).
	UserTokenTTL time.Duration
	// WebhookDLQURL is the SQS dead-letter queue of undeliverable webhooks
	// (without one, outside Lambda, they are only logged); WebhookAllowHTTP
	// permits http:// webhook URLs (local runs only).
	WebhookDLQURL    string
	WebhookAllowHTTP bool
	// WebhookRetryQueueURL is the SQS queue of webhook retries and
	// redeliveries (without one, outside Lambda, an in-process queue);
	// WebhookSlowQueueURL the slow lane's, where the attempts at endpoints
	// that answer slowly wait.
	WebhookRetryQueueURL string
	WebhookSlowQueueURL  string
	// DevWebhookURL is the development partner's webhook URL (make run);
	// DevProviderURL where its KYC links go (the local runner's address;
	// partners.DevProviderURL when empty).
	DevWebhookURL  string
	DevProviderURL string
	// KYCSessionTTL is how long a KYC link is valid (24h); KYCRetention how
	// long an expired session is kept before DynamoDB TTL may delete it (30 days).
	KYCSessionTTL time.Duration
	KYCRetention  time.Duration
	// InLambda forbids the development fallbacks.
	InLambda bool
	// Now is the clock of the handlers and secret caches (time.Now).
	Now func() time.Time
	// AWS is the SDK configuration; when nil and needed, it is read from the
	// environment by package awsconfig (AWS_ENDPOINT_URL points it at an
	// emulator).
	AWS *aws.Config
}

// Environment variables read by FromEnv.
const (
	envStore            = "STORE"
	envTableName        = "TABLE_NAME"
	envPartnersID       = "PARTNERS_SECRET_ID"
	envPartnersFile     = "PARTNERS_FILE"
	envDevAPIKey        = "DEV_API_KEY"
	envLogLevel         = "LOG_LEVEL"
	envKYCSessionTTL    = "KYC_SESSION_TTL"
	envServiceKeysID    = "SERVICE_KEYS_SECRET_ID"
	envServiceKeysFile  = "SERVICE_KEYS_FILE"
	envSigningID        = "TOKEN_SIGNING_SECRET_ID"
	envSigningFile      = "TOKEN_SIGNING_FILE"
	envWebhookSecrets   = "WEBHOOK_SECRETS_SECRET_ID"
	envWebhookFile      = "WEBHOOK_SECRETS_FILE"
	envUserTokenTTL     = "USER_TOKEN_TTL"
	envWebhookDLQ       = "WEBHOOK_DLQ_URL"
	envWebhookHTTP      = "WEBHOOK_ALLOW_HTTP"
	envWebhookRetries   = "WEBHOOK_RETRY_QUEUE_URL"
	envWebhookSlow      = "WEBHOOK_SLOW_QUEUE_URL"
	envKYCRetention     = "KYC_SESSION_RETENTION"
	envKYCProvidersID   = "KYC_PROVIDERS_SECRET_ID"
	envKYCProvidersFile = "KYC_PROVIDERS_FILE"
	// EnvLocalEmulation ("true") says that the Runtime API is a local
	// emulation (the bench's, or an emulator's), not Lambda: the development
	// fallbacks and the memory store are allowed as outside Lambda.
	// template.yaml never sets it.
	EnvLocalEmulation = "LAMBDA_LOCAL_EMULATION"
	// EnvSAMLocal ("true") is what `sam local invoke` and `sam local
	// start-api` set in the function's container: the same as
	// EnvLocalEmulation. Lambda never sets it.
	EnvSAMLocal      = "AWS_SAM_LOCAL"
	envLambdaRuntime = "AWS_LAMBDA_RUNTIME_API"
)

// FromEnv reads the configuration of a function.
func FromEnv() Config {
	c := Config{
		Store:                  os.Getenv(envStore),
		TableName:              os.Getenv(envTableName),
		PartnersSecretID:       os.Getenv(envPartnersID),
		PartnersFile:           os.Getenv(envPartnersFile),
		DevAPIKey:              os.Getenv(envDevAPIKey),
		InLambda:               os.Getenv(envLambdaRuntime) != "" && os.Getenv(EnvLocalEmulation) != "true" && os.Getenv(EnvSAMLocal) != "true",
		KYCSessionTTL:          envDuration(envKYCSessionTTL),
		KYCRetention:           envDuration(envKYCRetention),
		ServiceKeysSecretID:    os.Getenv(envServiceKeysID),
		ServiceKeysFile:        os.Getenv(envServiceKeysFile),
		TokenSigningSecretID:   os.Getenv(envSigningID),
		TokenSigningFile:       os.Getenv(envSigningFile),
		WebhookSecretsSecretID: os.Getenv(envWebhookSecrets),
		WebhookSecretsFile:     os.Getenv(envWebhookFile),
		KYCProvidersSecretID:   os.Getenv(envKYCProvidersID),
		KYCProvidersFile:       os.Getenv(envKYCProvidersFile),
		UserTokenTTL:           envDuration(envUserTokenTTL),
		WebhookDLQURL:          os.Getenv(envWebhookDLQ),
		WebhookAllowHTTP:       os.Getenv(envWebhookHTTP) == "true",
		WebhookRetryQueueURL:   os.Getenv(envWebhookRetries),
		WebhookSlowQueueURL:    os.Getenv(envWebhookSlow),
	}
	if c.Store == "" {
		c.Store = "memory"
		if c.TableName != "" {
			c.Store = "dynamodb"
		}
	}
	return c
}

// envDuration reads a Go duration ("24h"); unset or invalid is 0, the default.
func envDuration(name string) time.Duration {
	d, _ := time.ParseDuration(os.Getenv(name))
	return d
}

// Deps is what handlers need, built once per container.
type Deps struct {
	Store         store.Store
	Registry      func(context.Context) (*partners.Registry, error)
	Now           func() time.Time
	KYCSessionTTL time.Duration
	KYCRetention  time.Duration
	// Keys verify tokens and hold the identifier pepper; SigningKeys sign
	// tokens; WebhookSecrets sign webhooks. Each is its own secret.
	Keys           func(context.Context) (*servicekeys.Keys, error)
	SigningKeys    func(context.Context) (*servicekeys.Keys, error)
	WebhookSecrets func(context.Context) (partners.WebhookSecrets, error)
	// KYCProviders are the KYC providers' credentials; HTTPClient calls
	// the providers.
	KYCProviders func(context.Context) (*kycproviders.Config, error)
	HTTPClient   *http.Client
	UserTokenTTL time.Duration
	// TokenMaxLifetime is the longest lifetime (exp - iat) a verified user
	// token may have: UserTokenTTL (an hour when 0); with the development
	// keys, which are public and never used in Lambda, that of the
	// development tokens in events/ (servicekeys.DevTokenLifetime).
	TokenMaxLifetime time.Duration
	// WebhookDLQURL is the dispatcher's dead-letter queue ("" logs dead
	// letters); WebhookAllowHTTP its URL policy.
	WebhookDLQURL    string
	WebhookAllowHTTP bool
	// WebhookRetryQueueURL is the retry queue ("" outside AWS); WebhookRetries,
	// when set, is the queue to use instead (make run's in-process one).
	// WebhookSlowQueueURL and WebhookSlowLane are the slow lane's.
	WebhookRetryQueueURL string
	WebhookRetries       webhookqueue.Queue
	WebhookSlowQueueURL  string
	WebhookSlowLane      webhookqueue.Queue
	// InLambda: the function runs in Lambda.
	InLambda bool
	// AWS is the SDK configuration, nil unless a client needed it.
	AWS *aws.Config

	// prefetch starts each need that can be fetched ahead (Prefetch).
	prefetch map[Needs]func()
}

// Build makes the dependencies of cfg.
func Build(ctx context.Context, cfg Config) (*Deps, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	d := &Deps{HTTPClient: &http.Client{Timeout: 10 * time.Second}, Now: cfg.Now, KYCSessionTTL: cfg.KYCSessionTTL, KYCRetention: cfg.KYCRetention, UserTokenTTL: cfg.UserTokenTTL,
		WebhookAllowHTTP: cfg.WebhookAllowHTTP && !cfg.InLambda, WebhookDLQURL: cfg.WebhookDLQURL,
		WebhookRetryQueueURL: cfg.WebhookRetryQueueURL, WebhookSlowQueueURL: cfg.WebhookSlowQueueURL, InLambda: cfg.InLambda}
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

	switch cfg.Store {
	case "memory":
		if cfg.InLambda {
			return nil, errors.New("app: the memory store is for local use only")
		}
		d.Store = memstore.New()
	case "dynamodb":
		if cfg.TableName == "" {
			return nil, errors.New("app: TABLE_NAME is required with the dynamodb store")
		}
		c, err := loadAWS()
		if err != nil {
			return nil, err
		}
		d.Store = dynamostore.New(dynamodb.NewFromConfig(*c), cfg.TableName)
		if conns != nil {
			endpoint := awsconfig.Endpoint(*c, "DynamoDB", "dynamodb")
			d.prefetchable(NeedTable, func() { conns.Preconnect(endpoint) })
		}
	default:
		return nil, errors.New("app: STORE must be dynamodb or memory")
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

	parseRegistry := partners.Parse
	if cfg.InLambda {
		parseRegistry = partners.ParseForLambda
	}
	reg, err := secret(cfg, cfg.PartnersSecretID, cfg.PartnersFile, secretsClient, parseRegistry, d.prefetcher(NeedRegistry))
	switch {
	case err != nil:
		return nil, err
	case reg != nil:
		d.Registry = reg
	case cfg.InLambda:
		return nil, errors.New("app: PARTNERS_SECRET_ID is required in Lambda")
	default:
		key := cfg.DevAPIKey
		if key == "" {
			key = partners.DevAPIKey
		}
		if !partners.ValidKeyFormat(key) {
			return nil, errors.New("app: the development API key must be 20-128 characters of A-Z a-z 0-9 _ -")
		}
		reg := partners.DevRegistry(key, cfg.DevWebhookURL, cfg.DevProviderURL)
		d.Registry = func(context.Context) (*partners.Registry, error) { return reg, nil }
	}

	// Functions that do not use a secret never read it; in Lambda one that
	// is not configured fails only where it is used.
	missing := func(name string) error { return errors.New("app: " + name + " is not set") }
	devKeys := sync.OnceValues(func() (*servicekeys.Keys, error) {
		// Parsed on first use, as a secret would be fetched: deriving a key
		// computes the Ed25519 base point tables (about 1.4 ms), which
		// functions that handle no token never need.
		return servicekeys.Parse([]byte(servicekeys.DevDocument))
	})
	if d.Keys, err = secretOr(cfg, cfg.ServiceKeysSecretID, cfg.ServiceKeysFile, secretsClient, servicekeys.Parse,
		devKeys, d.prefetcher(NeedServiceKeys), missing(envServiceKeysID)); err != nil {
		return nil, err
	}
	d.TokenMaxLifetime = cfg.UserTokenTTL
	if cfg.ServiceKeysSecretID == "" && cfg.ServiceKeysFile == "" && !cfg.InLambda {
		d.TokenMaxLifetime = servicekeys.DevTokenLifetime
	}
	if d.SigningKeys, err = secretOr(cfg, cfg.TokenSigningSecretID, cfg.TokenSigningFile, secretsClient, servicekeys.Parse,
		devKeys, d.prefetcher(NeedSigningKeys), missing(envSigningID)); err != nil {
		return nil, err
	}
	devHooks := sync.OnceValues(func() (partners.WebhookSecrets, error) {
		return partners.ParseWebhookSecrets([]byte(partners.DevWebhookSecrets))
	})
	if d.WebhookSecrets, err = secretOr(cfg, cfg.WebhookSecretsSecretID, cfg.WebhookSecretsFile, secretsClient, partners.ParseWebhookSecrets,
		devHooks, d.prefetcher(NeedWebhookSecrets), missing(envWebhookSecrets)); err != nil {
		return nil, err
	}
	devProviders := sync.OnceValues(func() (*kycproviders.Config, error) {
		return kycproviders.Parse([]byte(kycproviders.DevDocument))
	})
	if d.KYCProviders, err = secretOr(cfg, cfg.KYCProvidersSecretID, cfg.KYCProvidersFile, secretsClient, kycproviders.Parse,
		devProviders, d.prefetcher(NeedKYCProviders), missing(envKYCProvidersID)); err != nil {
		return nil, err
	}
	return d, nil
}

// secret is the cache of the secret in Secrets Manager under id, or else in
// file, parsed by parse: nil when neither is set. The cache of a secret in
// Secrets Manager is given to prefetchable, to fetch it ahead (Prefetch).
func secret[T any](cfg Config, id, file string, client func() (*secretsmanager.Client, error), parse func([]byte) (T, error),
	prefetchable func(start func())) (func(context.Context) (T, error), error) {
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

// FileRefresh is how long a secret read from a file is kept before the
// file is read again.
const FileRefresh = time.Second

// secretOr is secret's cache, or else dev outside Lambda, or else in
// Lambda a source that always fails with unset.
func secretOr[T any](cfg Config, id, file string, client func() (*secretsmanager.Client, error), parse func([]byte) (T, error),
	dev func() (T, error), prefetchable func(start func()), unset error) (func(context.Context) (T, error), error) {
	get, err := secret(cfg, id, file, client, parse, prefetchable)
	switch {
	case err != nil || get != nil:
		return get, err
	case cfg.InLambda:
		return func(context.Context) (T, error) { var zero T; return zero, unset }, nil
	}
	return func(context.Context) (T, error) { return dev() }, nil
}

func newCache[T any](cfg Config, load func(context.Context) (T, error)) *secrets.Cache[T] {
	c := secrets.NewCache(load)
	c.Now = cfg.Now
	return c
}

// SetupLogging makes the default logger JSON on stderr, at LOG_LEVEL (info).
func SetupLogging() {
	level := slog.LevelInfo
	_ = level.UnmarshalText([]byte(os.Getenv(envLogLevel)))
	logsafe.Setup(level)
}

// MustFromEnv sets up logging and builds the dependencies from the
// environment, exiting when the configuration is unusable.
func MustFromEnv() *Deps {
	SetupLogging()
	d, err := Build(context.Background(), FromEnv())
	if err != nil {
		slog.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	return d
}
