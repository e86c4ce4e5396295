package app

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// SetupLogging makes slog's default a JSON logger on stderr at LOG_LEVEL
// (info), whose every line logged with a Lambda invocation's context
// carries the invocation's request id and X-Ray trace id (InvocationIDs).
func SetupLogging() {
	level := slog.LevelInfo
	_ = level.UnmarshalText([]byte(os.Getenv(envLogLevel)))
	slog.SetDefault(slog.New(InvocationIDs(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))))
}

// InvocationIDs wraps h so that a record logged with a Lambda invocation's
// context gets awsRequestId (the id of its REPORT line) and traceId (its
// X-Ray trace header), to join an application line to Lambda's own lines
// and to its trace.
func InvocationIDs(h slog.Handler) slog.Handler { return invocationIDs{h} }

type invocationIDs struct{ slog.Handler }

func (h invocationIDs) Handle(ctx context.Context, r slog.Record) error {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		r.AddAttrs(slog.String("awsRequestId", lc.AwsRequestID))
	}
	if trace, ok := ctx.Value("x-amzn-trace-id").(string); ok && trace != "" {
		r.AddAttrs(slog.String("traceId", trace))
	}
	return h.Handler.Handle(ctx, r)
}

func (h invocationIDs) WithAttrs(attrs []slog.Attr) slog.Handler {
	return invocationIDs{h.Handler.WithAttrs(attrs)}
}

func (h invocationIDs) WithGroup(name string) slog.Handler {
	return invocationIDs{h.Handler.WithGroup(name)}
}
