# SAM builds each function with `make build-<LogicalId>` (BuildMethod: makefile)
# and collects $(ARTIFACTS_DIR)/bootstrap. The other targets are for developers.
GO          ?= go
ARTIFACTS_DIR ?= $(CURDIR)/bin
# COMMIT is the build's commit, which every log line of a function carries
# (shared/kit/version); "unknown" outside a git checkout.
COMMIT      ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
LAMBDA_FLAGS = -tags lambda.norpc -trimpath -ldflags "-s -w -X github.com/partner-identity/api/shared/kit/version.Commit=$(COMMIT)"
ARCH        ?= arm64
LAMBDA_ENV   = GOOS=linux GOARCH=$(ARCH) CGO_ENABLED=0
FUNCTIONS    := create-user get-user find-user delete-user create-verification-link get-user-kyc cleanup-kyc-sessions \
                list-webhook-events redeliver-webhook-event send-test-webhook \
                kyc-sumsub-webhook kyc-hosted-webhook \
                create-user-token link-identifier user-info \
                set-federated-identity delete-federated-identity list-federated-identities \
                webhook-dispatcher webhook-retry unmatched-route \
                list-api-keys create-api-key roll-api-key revoke-api-key jwks oauth2-token \
                list-webhook-endpoints create-webhook-endpoint get-webhook-endpoint \
                update-webhook-endpoint delete-webhook-endpoint rotate-webhook-endpoint-secret get-limits \
                sandbox-wipe-data \
                sandbox-kyc-decision \
                sandbox-kyc-page \
                sandbox-simulation \
                sandbox-kyc-outcome
FN    ?= create-user
EVENT ?= events/$(FN).json
ADDR  ?= 127.0.0.1:3000

# build_fn writes the static linux/$(ARCH) bootstrap of functions/$(1).
build_fn = $(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/$(1)

.PHONY: build-CreateUserFunction build-GetUserFunction build-FindUserFunction build-DeleteUserFunction \
        build-CreateVerificationLinkFunction build-GetUserKycFunction build-CleanupKycSessionsFunction \
        build-ListWebhookEventsFunction build-RedeliverWebhookEventFunction build-SendTestWebhookFunction \
        build-KycSumsubWebhookFunction build-KycHostedWebhookFunction \
        build-CreateUserTokenFunction build-LinkIdentifierFunction build-UserInfoFunction \
        build-SetFederatedIdentityFunction build-DeleteFederatedIdentityFunction build-ListFederatedIdentitiesFunction \
        build-WebhookDispatcherFunction build-WebhookRetryFunction build-UnmatchedRouteFunction \
        build-ListApiKeysFunction build-CreateApiKeyFunction build-RollApiKeyFunction build-RevokeApiKeyFunction \
        build-JwksFunction build-Oauth2TokenFunction \
        build-ListWebhookEndpointsFunction build-CreateWebhookEndpointFunction build-GetWebhookEndpointFunction \
        build-UpdateWebhookEndpointFunction build-DeleteWebhookEndpointFunction build-RotateWebhookEndpointSecretFunction \
        build-GetLimitsFunction build-SandboxWipeDataFunction build-SandboxKycDecisionFunction build-SandboxKycPageFunction build-SandboxSimulationFunction build-SandboxKycOutcomeFunction
build-CreateUserFunction:             ; $(call build_fn,create-user)
build-GetUserFunction:                ; $(call build_fn,get-user)
build-FindUserFunction:               ; $(call build_fn,find-user)
build-DeleteUserFunction:             ; $(call build_fn,delete-user)
build-CreateVerificationLinkFunction: ; $(call build_fn,create-verification-link)
build-GetUserKycFunction:             ; $(call build_fn,get-user-kyc)
build-CleanupKycSessionsFunction:     ; $(call build_fn,cleanup-kyc-sessions)
build-ListWebhookEventsFunction:      ; $(call build_fn,list-webhook-events)
build-RedeliverWebhookEventFunction:  ; $(call build_fn,redeliver-webhook-event)
build-SendTestWebhookFunction:        ; $(call build_fn,send-test-webhook)
build-SandboxWipeDataFunction: ; $(call build_fn,sandbox-wipe-data)
build-SandboxKycDecisionFunction: ; $(call build_fn,sandbox-kyc-decision)
build-SandboxKycPageFunction: ; $(call build_fn,sandbox-kyc-page)
build-SandboxSimulationFunction: ; $(call build_fn,sandbox-simulation)
build-SandboxKycOutcomeFunction: ; $(call build_fn,sandbox-kyc-outcome)
build-KycSumsubWebhookFunction:       ; $(call build_fn,kyc-sumsub-webhook)
build-KycHostedWebhookFunction:       ; $(call build_fn,kyc-hosted-webhook)
build-CreateUserTokenFunction:        ; $(call build_fn,create-user-token)
build-LinkIdentifierFunction:         ; $(call build_fn,link-identifier)
build-UserInfoFunction:               ; $(call build_fn,user-info)
build-SetFederatedIdentityFunction:   ; $(call build_fn,set-federated-identity)
build-DeleteFederatedIdentityFunction: ; $(call build_fn,delete-federated-identity)
build-ListFederatedIdentitiesFunction: ; $(call build_fn,list-federated-identities)
build-WebhookDispatcherFunction:      ; $(call build_fn,webhook-dispatcher)
build-WebhookRetryFunction:           ; $(call build_fn,webhook-retry)
build-UnmatchedRouteFunction:         ; $(call build_fn,unmatched-route)
build-ListApiKeysFunction:            ; $(call build_fn,list-api-keys)
build-CreateApiKeyFunction:           ; $(call build_fn,create-api-key)
build-RollApiKeyFunction:             ; $(call build_fn,roll-api-key)
build-RevokeApiKeyFunction:           ; $(call build_fn,revoke-api-key)
build-JwksFunction:                   ; $(call build_fn,jwks)
build-Oauth2TokenFunction:            ; $(call build_fn,oauth2-token)
build-ListWebhookEndpointsFunction:   ; $(call build_fn,list-webhook-endpoints)
build-CreateWebhookEndpointFunction:  ; $(call build_fn,create-webhook-endpoint)
build-GetWebhookEndpointFunction:     ; $(call build_fn,get-webhook-endpoint)
build-UpdateWebhookEndpointFunction:  ; $(call build_fn,update-webhook-endpoint)
build-DeleteWebhookEndpointFunction:  ; $(call build_fn,delete-webhook-endpoint)
build-RotateWebhookEndpointSecretFunction:; $(call build_fn,rotate-webhook-endpoint-secret)
build-GetLimitsFunction:              ; $(call build_fn,get-limits)

.DEFAULT_GOAL := help
.PHONY: help build build-one bench client walk run invoke test unit lint lint-openapi fmt clean fuzz fuzz-corpus
## help: this list (make with no target)
help:
	@echo "make TARGET   (SAM builds each function with make build-<LogicalId>)"
	@sed -n 's/^## \([a-z-]*\): /\1\t/p' $(MAKEFILE_LIST) | awk -F '\t' '{printf "  %-13s %s\n", $$1, $$2}'
## build: every function's bootstrap into bin/<function>/bootstrap
build:
	@for f in $(FUNCTIONS); do $(MAKE) --no-print-directory build-one F=$$f || exit 1; done
# build-one: one bootstrap as it ships (F=name, PKG=./functions/name, OUT=bin, ARCH=arm64)
OUT ?= bin
build-one:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(OUT)/$(F)/bootstrap $(or $(PKG),./functions/$(F))
	@ls -l $(OUT)/$(F)/bootstrap | awk '{printf "%s: %d bytes\n", $$9, $$5}'

## bench: build every function and the baselines; print size, cold start, warm latency and allocations; the first response over a network (RTT 10 ms), memory and CPU; the cost of a million calls of each route; webhook delivery rate with a slow partner; the rate limits' fairness and cost; the capacity figures (writes per partition key, the cleanup, a user's history, an erasure of 10,000 sessions, a failing event's retries)
bench:
	$(GO) test ./bench -run 'TestPerformanceTable|TestNetworkTable|TestCostTable|TestFairnessTable|TestLimiterCost|TestNoPartitionTakesMoreThanItsShare' -count=1 -timeout 30m -v -args -table $(BENCH_ARGS)
	$(GO) test ./shared/webhooks/delivery -run 'TestDeliveryRateWithASlowPartner' -count=1 -v -args -rates
	$(GO) test ./shared/adapters/dynamostore -run 'TestCleanupOnMoto2000Sessions|TestUserKYCReadsOnlyItsPage|TestAnErasureOfAnyHistoryFinishes' -count=1 -v -timeout 30m -args -erase-sessions 10000
	$(GO) test ./shared/lambda/dispatch -run 'TestARetryScheduleCostsOneMessageAnAttempt' -count=1 -v
	$(GO) test ./shared/domain/kyc -run '^$$' -bench 'Cleanup' -benchtime 3x

## walk: the packages one warm POST /api/partner/v2/users runs (counted with coverage counters)
walk:
	$(GO) build -cover -covermode=atomic -coverpkg=./shared/...,./bench/walk -o bin/walk ./bench/walk
	@GOCOVERDIR=$$(mktemp -d) bin/walk 2>/dev/null

## run: the whole API on ADDR (127.0.0.1:3000; make run ADDR=127.0.0.1:3001 for another), in-memory store, development partner key printed
run:
	$(GO) run ./cmd/local-api -addr $(ADDR) $(ARGS)

## invoke: one function with one event file, without Docker, over a store holding the events' development user (FN=get-user EVENT=events/get-user.json)
invoke:
	@$(GO) run ./cmd/invoke -fn $(FN) -event $(EVENT)

# The Node.js examples' libraries (the webhook example's standardwebhooks,
# the token example's jose, each pinned in its package-lock.json), for the
# tests that run the examples.
WEBHOOK_EXAMPLES := docs/examples/webhooks/node_modules/.package-lock.json
TOKEN_EXAMPLES := docs/examples/tokens/node_modules/.package-lock.json

## test: go.mod tidy, vet, all unit tests, the moto_server integration tests, the client module's tests, cfn-lint, the OpenAPI lint
# vet with -race type-checks against the same compiled dependencies the
# race-enabled tests use, so a clean build cache compiles them once, not twice.
test: $(WEBHOOK_EXAMPLES) $(TOKEN_EXAMPLES)
	$(GO) mod tidy -diff
	cd client && $(GO) mod tidy -diff
	$(GO) vet -race ./...
	$(GO) test -race -count=1 -timeout 25m ./...
	cd client && $(GO) vet ./... && $(GO) test -race -count=1 ./...
	cfn-lint template.yaml
	@$(MAKE) --no-print-directory lint-openapi

## unit: the quick loop: the domain, HTTP, webhook and kit packages and the commands, without -race (make test runs everything)
unit: $(WEBHOOK_EXAMPLES) $(TOKEN_EXAMPLES)
	$(GO) test -count=1 ./shared/domain/... ./shared/http/... ./shared/kit/... ./shared/webhooks/... ./cmd/...

$(WEBHOOK_EXAMPLES): docs/examples/webhooks/package.json docs/examples/webhooks/package-lock.json
	npm ci --prefix docs/examples/webhooks --no-audit --no-fund
	@touch $@

$(TOKEN_EXAMPLES): docs/examples/tokens/package.json docs/examples/tokens/package-lock.json
	npm ci --prefix docs/examples/tokens --no-audit --no-fund
	@touch $@

## client: regenerate client/client.gen.go (the client module's) from docs/openapi.yaml with the pinned oapi-codegen
client:
	$(GO) tool oapi-codegen -config client/oapi-codegen.yaml docs/openapi.yaml

## lint-openapi: docs/openapi.yaml against redocly's recommended rules, warnings as errors (redocly from npm, pinned in tools/redocly)
REDOCLY := tools/redocly/node_modules/.bin/redocly
lint-openapi: $(REDOCLY)
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true $(REDOCLY) lint --config tools/redocly/redocly.yaml docs/openapi.yaml
$(REDOCLY): tools/redocly/package.json tools/redocly/package-lock.json
	npm ci --prefix tools/redocly --no-audit --no-fund
	@touch $@

## fuzz: each fuzz target for FUZZTIME (30s), then its corpus into testdata/fuzz (make test runs it)
FUZZTIME ?= 30s
FUZZ_TARGETS := shared/http/httpx:FuzzCheckStructure shared/http/httpx:FuzzReadObject shared/domain/phone:FuzzE164 \
                shared/domain/tokens:FuzzVerify shared/http/partnerv2:FuzzCreateUserBody shared/http/partnerv2:FuzzVerificationLinkBody \
                shared/http/partnerv2:FuzzAPIKey shared/http/partnerv2:FuzzUserLookups shared/http/userv2:FuzzLinkIdentifierBody \
                shared/http/userv2:FuzzUserCredentials shared/http/federatedids:FuzzFederatedIdentities
fuzz:
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; echo "== $$pkg $$fn ($(FUZZTIME))"; \
	  $(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) ./$$pkg || exit 1; \
	  $(MAKE) --no-print-directory fuzz-corpus PKG=$$pkg FN=$$fn; done
# fuzz-corpus: keep up to 50 of the fuzzer's inputs of PKG's FN in PKG/testdata/fuzz/FN
fuzz-corpus:
	@src="$$($(GO) env GOCACHE)/fuzz/github.com/partner-identity/api/$(PKG)/$(FN)"; dst="$(PKG)/testdata/fuzz/$(FN)"; \
	  mkdir -p "$$dst"; [ -d "$$src" ] && ls "$$src" | head -50 | while read f; do cp -n "$$src/$$f" "$$dst/"; done; \
	  echo "$$dst: $$(ls "$$dst" | wc -l) inputs"

## lint: gofmt, vet, cfn-lint
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	cd client && $(GO) vet ./...
	cfn-lint template.yaml

## fmt: gofmt every Go file git tracks
fmt:
	gofmt -w $$(git ls-files '*.go')

## clean: remove what builds leave (bin, .aws-sam)
clean:
	rm -rf bin .aws-sam
