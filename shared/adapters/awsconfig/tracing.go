package awsconfig

import (
	"context"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/partner-identity/api/shared/kit/tracing"
)

// Traced adds to an SDK client's stack what records each of its calls as
// an X-Ray subsegment (the service, the operation, the region, AWS's
// request id, the retries, the status; tracing.Start) and hands the
// subsegment on as the call's X-Amzn-Trace-Id header (so a message sent to
// SQS carries it to the function that takes it). An untraced call goes
// through untouched.
func Traced(stack *middleware.Stack) error {
	if err := stack.Initialize.Add(traceCall{}, middleware.After); err != nil {
		return err
	}
	return stack.Build.Add(traceHeader{}, middleware.Before)
}

type subsegmentKey struct{}

// traceCall wraps the whole call, its retries included (they are in the
// Finalize step beneath it); after the service's metadata is registered.
type traceCall struct{}

func (traceCall) ID() string { return "PartnerIdentityTraceCall" }

func (traceCall) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
	middleware.InitializeOutput, middleware.Metadata, error) {
	s := tracing.Start(ctx, awsmiddleware.GetServiceID(ctx), "aws")
	if s == nil {
		return next.HandleInitialize(ctx, in)
	}
	out, md, err := next.HandleInitialize(context.WithValue(ctx, subsegmentKey{}, s), in)
	a := tracing.AWS{Operation: awsmiddleware.GetOperationName(ctx), Region: awsmiddleware.GetRegion(ctx)}
	a.RequestID, _ = awsmiddleware.GetRequestIDMetadata(md)
	if r, ok := retry.GetAttemptResults(md); ok && len(r.Results) > 1 {
		a.Retries = len(r.Results) - 1
	}
	s.SetAWS(a)
	status := 0
	if resp, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok && resp != nil {
		status = resp.StatusCode
	}
	s.End(status, err)
	return out, md, err
}

// traceHeader names the call's subsegment as the parent of what the
// service records; before the SDK's own recursion detection, which would
// name the function's segment.
type traceHeader struct{}

func (traceHeader) ID() string { return "PartnerIdentityTraceHeader" }

func (traceHeader) HandleBuild(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (
	middleware.BuildOutput, middleware.Metadata, error) {
	if s, ok := ctx.Value(subsegmentKey{}).(*tracing.Subsegment); ok {
		if req, ok := in.Request.(*smithyhttp.Request); ok {
			req.Header.Set(tracing.HeaderName, s.Header())
		}
	}
	return next.HandleBuild(ctx, in)
}
