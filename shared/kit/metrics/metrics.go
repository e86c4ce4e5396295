// Package metrics writes business metrics in CloudWatch's embedded metric
// format (EMF): one JSON log line per count, which CloudWatch Logs turns
// into a metric of namespace Namespace. They are written by the default
// slog logger (no agent, no API call, no dependency) at info level, with
// the invocation's ids when logged with its context, and carry no personal
// data: a name and a count.
package metrics

import (
	"context"
	"log/slog"
	"os"
	"time"
)

// Namespace of every metric, with the one dimension Service: the stack's
// name in Lambda (ServiceEnv, which the template sets), so that two stacks
// in one account never add up nor fire each other's alarms; DefaultService
// elsewhere (make run, tests).
const (
	Namespace      = "PartnerIdentity"
	DefaultService = "partner-identity-api"
	ServiceEnv     = "METRICS_SERVICE"
)

// Service is the Service dimension's value in this process.
var Service = serviceFrom(os.Getenv)

// serviceFrom is the Service dimension an environment gives.
func serviceFrom(getenv func(string) string) string {
	if s := getenv(ServiceEnv); s != "" {
		return s
	}
	return DefaultService
}

// The metrics.
const (
	UsersCreated         = "UsersCreated"
	UserReplays          = "UserReplays"
	UserConflicts        = "UserConflicts"
	UsersErased          = "UsersErased"
	KYCLinks             = "KYCLinks"
	IdentifiersLinked    = "IdentifiersLinked"
	IdentifierConflicts  = "IdentifierConflicts"
	WebhooksDelivered    = "WebhooksDelivered"
	WebhookFailures      = "WebhookFailures"
	WebhooksDeadLettered = "WebhooksDeadLettered"
	SessionsExpired      = "SessionsExpired"
	// KYCStatusChanges counts providers' results applied; KYCCallbacksIgnored
	// those accepted and ignored (unknown session or user, not newer than
	// the status, a type not mapped).
	KYCStatusChanges    = "KYCStatusChanges"
	KYCCallbacksIgnored = "KYCCallbacksIgnored"
	// CleanupBacklog is 1 when a cleanup run ended with sessions left.
	CleanupBacklog = "CleanupBacklog"
	// WebhooksHeld counts the events held while their partner is
	// suspended (each time one waits again); WebhooksSlow the attempts a
	// shared lane handed to the slow lane (an endpoint over the budget).
	WebhooksHeld = "WebhooksHeld"
	WebhooksSlow = "WebhooksSlow"
	// WebhooksParked counts the retry messages received before they were
	// due and kept hidden in their queue until they are.
	WebhooksParked = "WebhooksParked"
	// ColdStarts counts the containers' first requests, by route function.
	ColdStarts = "ColdStarts"
	// RateLimited counts requests refused past a partner's rate budget;
	// RateLimitUnchecked those admitted unchecked (the budgets' store
	// could not be reached: the limiter fails open).
	RateLimited        = "RateLimited"
	RateLimitUnchecked = "RateLimitUnchecked"
)

// All lists the metrics (the template's dashboard and alarms use them).
var All = []string{UsersCreated, UserReplays, UserConflicts, UsersErased, KYCLinks, IdentifiersLinked, IdentifierConflicts,
	WebhooksDelivered, WebhookFailures, WebhooksDeadLettered, SessionsExpired, CleanupBacklog, KYCStatusChanges, KYCCallbacksIgnored,
	WebhooksHeld, WebhooksSlow, WebhooksParked, ColdStarts, RateLimited, RateLimitUnchecked}

type directive struct {
	Namespace  string     `json:"Namespace"`
	Dimensions [][]string `json:"Dimensions"`
	Metrics    []metric   `json:"Metrics"`
}

type metric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type envelope struct {
	Timestamp         int64       `json:"Timestamp"`
	CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
}

// Count records n of the metric name.
func Count(ctx context.Context, name string, n int) {
	slog.LogAttrs(ctx, slog.LevelInfo, "metric",
		slog.Any("_aws", envelope{Timestamp: time.Now().UnixMilli(), CloudWatchMetrics: []directive{{
			Namespace: Namespace, Dimensions: [][]string{{"Service"}}, Metrics: []metric{{Name: name, Unit: "Count"}},
		}}}),
		slog.String("Service", Service),
		slog.Int(name, n))
}
