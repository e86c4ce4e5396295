// Command local-api serves the whole API on one local port for development,
// with the in-memory store and a development partner by default.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/partner-identity/api/cmd/partnerctl/cli"
	"github.com/partner-identity/api/shared/devdata"

	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/http/surface"
	"github.com/partner-identity/api/shared/kit/logsafe"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/lambda/cleanup"
	"github.com/partner-identity/api/shared/lambda/dispatch"
	"github.com/partner-identity/api/shared/webhooks/delivery"
)

func main() {
	env := app.FromEnv()
	addr := flag.String("addr", "127.0.0.1:3000", "address to listen on")
	storeKind := flag.String("store", "memory", "memory, or dynamodb (AWS, or the endpoint in AWS_ENDPOINT_URL)")
	table := flag.String("table", env.TableName, "DynamoDB table with -store dynamodb (env TABLE_NAME)")
	partnersFile := flag.String("partners", os.Getenv("PARTNERS_FILE"), `partners file, {"partners":[...]} (the registry document): imported into the store at start and again when it changes (env PARTNERS_FILE; default: the development partner)`)
	devKey := flag.String("dev-key", os.Getenv("DEV_API_KEY"), "API key of the development partner (env DEV_API_KEY; default: a fixed development key)")
	serviceKeys := flag.String("service-keys", env.ServiceKeysFile, "service keys file (token signing keys, identifier pepper; env SERVICE_KEYS_FILE; default: fixed development keys)")
	tokenSigning := flag.String("token-signing", env.TokenSigningFile, "token signing keys file (env TOKEN_SIGNING_FILE; default: the development keys)")
	webhookSecrets := flag.String("webhook-secrets", os.Getenv("WEBHOOK_SECRETS_FILE"), `webhook secrets file, {"webhookSecrets":{"<partner id>":"<secret>"}}: imported (sealed) into the store after the partners file, again when it changes (env WEBHOOK_SECRETS_FILE; default: the development partner's)`)
	kycProviders := flag.String("kyc-providers", env.KYCProvidersFile, `KYC providers file, {"sumsub":{"baseUrl","appToken","secretKey","webhookSecret"},"hosted":{"webhookSecret"}} (env KYC_PROVIDERS_FILE; default: a hosted provider secret for the stand-in page)`)
	noSandbox := flag.Bool("no-sandbox", false, "turn test mode off, as the template's Sandbox=disabled: test keys are refused")
	webhookURL := flag.String("webhook-url", "", "where the development partner's webhooks go (http allowed locally), e.g. http://127.0.0.1:4000/hooks (default: the stand-in receiver, GET /dev/webhooks lists what it got)")
	cleanupEvery := flag.Duration("cleanup-every", time.Minute, "how often the expired KYC session cleanup runs (0: never)")
	kycTTL := flag.Duration("kyc-session-ttl", env.KYCSessionTTL, "how long a KYC link is valid (default 24h; env KYC_SESSION_TTL)")
	corsOrigins := flag.String("cors-origins", "*", "origins allowed to call the API from a browser, comma-separated (template.yaml's CorsAllowedOrigins)")
	flag.Parse()

	app.SetupLogging()
	cfg := app.Config{KYCSessionTTL: *kycTTL, KYCRetention: env.KYCRetention,
		ServiceKeysFile: *serviceKeys, ServiceKeysSecretID: env.ServiceKeysSecretID,
		TokenSigningFile: *tokenSigning, TokenSigningSecretID: env.TokenSigningSecretID,
		WebhookKeyID: env.WebhookKeyID, UserTokenTTL: env.UserTokenTTL,
		KYCProvidersFile: *kycProviders, KYCProvidersSecretID: env.KYCProvidersSecretID, WebhookAllowHTTP: true}
	switch *storeKind {
	case "memory":
	case "dynamodb":
		cfg.TableName = *table
		if cfg.TableName == "" {
			fail("-store dynamodb needs -table (or TABLE_NAME)")
		}
	default:
		fail("-store must be memory or dynamodb")
	}
	// Listen before printing anything, so that a busy port is the only
	// thing said, and so that the development partner's KYC links name the
	// address actually served.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "local-api: %v\n  is another `make run` serving it? Choose another address: make run ADDR=127.0.0.1:3001\n", err)
		os.Exit(1)
	}
	base := baseURL(ln.Addr())
	local := devdata.Local{Memory: *storeKind == "memory", APIKey: *devKey, WebhookURL: *webhookURL, ProviderURL: base, NoSandbox: *noSandbox,
		PartnersFile: *partnersFile, WebhookSecretsFile: *webhookSecrets}
	if local.WebhookURL == "" {
		local.WebhookURL = base + devHooksPath // the stand-in receiver
	}
	deps, err := devdata.Build(context.Background(), cfg, local)
	if err != nil {
		fail(err.Error())
	}
	// Every document given is checked before anything is served: a bad one
	// is named with its field, here, not at the first request.
	if err := deps.Validate(context.Background()); err != nil {
		fail(err.Error())
	}
	dispatcher := dispatch.New(deps)
	srv := &http.Server{
		Addr:              *addr,
		Handler:           handler(deps, strings.Split(*corsOrigins, ","), func() string { return base }),
		ReadHeaderTimeout: 5 * time.Second,
	}
	fmt.Printf("Partner Identity API on %s (store: %s)\n", base, *storeKind)
	if *partnersFile == "" {
		key := local.APIKey
		if key == "" {
			key = devdata.APIKey
		}
		fmt.Printf("development partner %s, API key: %s\n", devdata.PartnerID, key)
		fmt.Printf("  its test key (test mode, the sandbox): %s\n", devdata.TestAPIKey)
	}
	for _, rt := range surface.All() {
		fmt.Printf("  %-40s %s\n", rt.Pattern, rt.Name)
	}
	fmt.Printf("  %-40s %s\n", devProviderPattern, "(local stand-in for the KYC provider page)")
	fmt.Printf("  %-40s %s\n", devDecisionPattern, "(its buttons: a signed hosted callback to the API)")
	fmt.Printf("  %-40s %s\n", devHooksPattern, "(local stand-in for the partner's webhook endpoint, when no -webhook-url)")
	fmt.Printf("  %-40s %s\n", devHooksListPattern, "(the deliveries it received, newest first, signature verified or not)")
	fmt.Printf("  %-40s %s\n", devPartnerctlPattern, "(partnerctl -local "+base+": the partners' commands, from this machine)")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if mem, ok := deps.Store.(*memstore.Store); ok {
		fmt.Printf("  %-40s %s\n", "(outbox)", "webhook delivery every second, retries in process")
		go deliverOutbox(ctx, dispatcher, mem)
	}
	if *partnersFile != "" || *webhookSecrets != "" {
		fmt.Printf("  %-40s %s\n", "(partners)", "imported from "+strings.Trim(*partnersFile+" "+*webhookSecrets, " ")+", again when changed")
		go devdata.NewPartnersFile(deps, *partnersFile, *webhookSecrets).Watch(ctx, app.FileRefresh)
	}
	if *cleanupEvery > 0 {
		fmt.Printf("  %-40s %s every %s\n", "(scheduled)", "cleanup-kyc-sessions", *cleanupEvery)
		go runCleanup(ctx, deps, *cleanupEvery)
	}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		slog.Error("listen", "error", err.Error())
		os.Exit(1)
	}
}

// fail says why the local API cannot start, and exits.
func fail(why string) {
	fmt.Fprintln(os.Stderr, "local-api:", why)
	os.Exit(1)
}

// handler is what the local API serves: every route, with CORS as API
// Gateway answers it for corsOrigins; the stand-in KYC provider page and
// its buttons (which post only to apiURL, the address make run serves),
// and the stand-in webhook receiver, without CORS (a page of another
// origin may not call them).
//
// The API gets every request but the stand-ins', as it is, so that a
// path with "//", "." or ".." gets the dialect's 404 as in AWS (an outer
// ServeMux would redirect it to its clean form first).
func handler(deps *app.Deps, corsOrigins []string, apiURL func() string) http.Handler {
	api := httpx.CORS(corsOrigins, devdata.Mux(deps, dispatch.RetryQueue(deps)))
	local := http.NewServeMux()
	stand := devProvider(deps.Store, deps.Now, deps.KYCProviders, apiURL)
	local.Handle(devProviderPattern, stand)
	local.Handle(devDecisionPattern, stand)
	hooks := devReceiver(deps.WebhookKeys, deps.Partners, deps.Now)
	local.Handle(devHooksPattern, hooks)
	local.Handle(devHooksListPattern, hooks)
	local.Handle(devPartnerctlPattern, devPartnerctl(deps))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if standIn(r.URL.Path) && path.Clean(r.URL.Path) == r.URL.Path {
			local.ServeHTTP(w, r) // any method: another is its 405, never a CORS answer
			return
		}
		api.ServeHTTP(w, r)
	})
	return http.TimeoutHandler(h, httpx.Timeout, "")
}

// standIn tells whether path is one of the stand-ins' (the provider page
// and its decisions, the webhook receiver) rather than the API's.
func standIn(path string) bool {
	return path == devHooksPath || path == cli.LocalPath || strings.HasPrefix(path, "/kyc/") && !strings.HasPrefix(path, "/kyc/providers/")
}

// baseURL is the URL of the server listening at addr; an unspecified host
// (":3000", "0.0.0.0", "::") is reached at 127.0.0.1.
func baseURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return devdata.ProviderURL
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// deliverOutbox plays the table's stream for the in-memory store: every
// second the new outbox events get their first attempt, as the stream
// dispatcher makes it in AWS (an event the store failed to record is tried
// again on the next tick); the retries follow through the in-process queue.
func deliverOutbox(ctx context.Context, d *delivery.Dispatcher, mem *memstore.Store) {
	seen := 0
	var pending []domain.OutboxEvent
	every(ctx, time.Second, func() {
		fresh := mem.OutboxSince(seen)
		seen += len(fresh)
		var again []domain.OutboxEvent
		for _, ev := range append(pending, fresh...) {
			if err := d.Deliver(ctx, ev.Key()); err != nil {
				slog.Error("webhook dispatch (local stream): tried again in a second", "eventId", ev.ID, "error", logsafe.Code(err))
				again = append(again, ev)
			}
		}
		pending = again
	})
}

// runCleanup runs the scheduled cleanup on a timer, as EventBridge Scheduler
// does in AWS, each run with the deployed function's timeout.
func runCleanup(ctx context.Context, deps *app.Deps, period time.Duration) {
	cleaner := cleanup.New(deps)
	cleaner.Quiet = true // an idle make run writes nothing
	every(ctx, period, func() {
		runCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		_, _ = cleaner.Run(runCtx)
	})
}

// every calls run every period until ctx ends.
func every(ctx context.Context, period time.Duration, run func()) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			run()
		}
	}
}
