package app

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/partner-identity/api/shared/kit/metrics"
	"github.com/partner-identity/api/shared/kit/version"
)

// SetupLogging makes slog's default a JSON logger on stderr at LOG_LEVEL
// (info), whose every line carries the build (Identified) and, logged
// with a Lambda invocation's context, the invocation's request id and
// X-Ray trace id (InvocationIDs).
func SetupLogging() {
	slog.SetDefault(slog.New(Identified(InvocationIDs(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: LogLevel(os.Getenv)})), os.Getenv)))
}

// LogLevel is the application's log level: Lambda's AWS_LAMBDA_LOG_LEVEL
// (its ApplicationLogLevel, which Lambda filters by anyway: lines below it
// are not worth writing), else LOG_LEVEL, else info. Lambda's TRACE is
// slog's debug, FATAL its error.
func LogLevel(getenv func(string) string) slog.Level {
	for _, name := range []string{"AWS_LAMBDA_LOG_LEVEL", envLogLevel} {
		v := getenv(name)
		switch v {
		case "":
			continue
		case "TRACE":
			return slog.LevelDebug
		case "FATAL":
			return slog.LevelError
		}
		var level slog.Level
		if level.UnmarshalText([]byte(v)) == nil {
			return level
		}
	}
	return slog.LevelInfo
}

// Identified is h with what tells one deployment's lines from another's
// on every line: service (the stack, as the metrics' dimension), function
// (Lambda's function name, when in Lambda) and version (the build's
// commit).
func Identified(h slog.Handler, getenv func(string) string) slog.Handler {
	attrs := []slog.Attr{slog.String("service", metrics.Service), slog.String("version", version.Commit)}
	if fn := getenv("AWS_LAMBDA_FUNCTION_NAME"); fn != "" {
		attrs = append(attrs, slog.String("function", fn))
	}
	return h.WithAttrs(attrs)
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
