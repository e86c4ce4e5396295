// Command invoke is `make invoke`: it invokes one function with one event
// file, as the function's own binary does outside Lambda (go run
// ./functions/NAME EVENT), over an in-memory store that already holds the
// development user the files in events/ name, so that every event gets its
// success (-empty: a fresh, empty store, as the binary has).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/partner-identity/api/shared/devdata"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/http/surface"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/lambda/cleanup"
	"github.com/partner-identity/api/shared/lambda/dispatch"
	"github.com/partner-identity/api/shared/lambda/lambdarun"
)

func main() {
	fn := flag.String("fn", "create-user", "the function (functions/NAME)")
	event := flag.String("event", "", "the event file (default events/NAME.json; - reads standard input)")
	empty := flag.Bool("empty", false, "start from an empty store")
	flag.Parse()
	if *event == "" {
		*event = "events/" + *fn + ".json"
	}
	app.SetupLogging()
	ctx := context.Background()
	cfg := app.FromEnv()
	if *event != "-" {
		cfg.Now = clockFor(*fn, *event)
	}
	d, err := devdata.Build(ctx, cfg, devdata.Local{Memory: cfg.TableName == "", WebhookURL: devWebhookURL})
	if err == nil && !*empty && *fn != "create-user" { // create-user's event registers that user itself
		err = devdata.SeedUser(ctx, d)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "invoke:", err)
		os.Exit(1)
	}
	h, ok := handler(d, *fn)
	if !ok {
		fmt.Fprintf(os.Stderr, "invoke: no function %q\n", *fn)
		os.Exit(2)
	}
	out, err := lambdarun.InvokeFile(ctx, func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
		return h.Invoke(ctx, in)
	}, *event)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(append(out, '\n'))
}

// devWebhookURL is the development partner's webhook URL in invokes, so
// that a test event and a redelivery are accepted: a test event is only
// written, a redelivery only queued (in process, until the invoke ends).
const devWebhookURL = "https://hooks.example.com/identity"

// signedAtEventTime are the functions whose event files carry a time the
// function holds to its clock (the hosted callback's signature timestamp,
// within 5 minutes; a provider's result time, never in the future and
// newer than its session): they run with the clock at the event's
// requestContext.timeEpoch (the time it was signed for).
var signedAtEventTime = map[string]bool{"kyc-hosted-webhook": true, "kyc-sumsub-webhook": true}

// clockFor is the clock function fn runs with for the event file: the
// event's time for signedAtEventTime, else nil (the real clock).
func clockFor(fn, file string) func() time.Time {
	if !signedAtEventTime[fn] {
		return nil
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	var ev struct {
		RequestContext struct {
			TimeEpoch int64 `json:"timeEpoch"`
		} `json:"requestContext"`
	}
	if json.Unmarshal(raw, &ev) != nil || ev.RequestContext.TimeEpoch == 0 {
		return nil
	}
	at := time.UnixMilli(ev.RequestContext.TimeEpoch)
	return func() time.Time { return at }
}

// handler is the Lambda handler of function name, built as its main builds it.
func handler(d *app.Deps, name string) (lambda.Handler, bool) {
	switch name {
	case "cleanup-kyc-sessions":
		return lambda.NewHandler(cleanup.Handler(cleanup.New(d))), true
	case "webhook-dispatcher":
		return lambda.NewHandler(dispatch.Stream(dispatch.New(d))), true
	case "webhook-retry":
		return lambda.NewHandler(dispatch.Retries(dispatch.New(d))), true
	case "unmatched-route":
		return lambda.NewHandler(lambdarun.HTTP(httpx.Unmatched(surface.All()...))), true
	}
	// Its own route, built as its function builds it (the redelivery's
	// with the retry queue, in process here).
	for _, e := range devdata.Endpoints(d, dispatch.RetryQueue(d)) {
		if e.Name == name {
			return lambda.NewHandler(lambdarun.HTTP(httpx.Mux(e))), true
		}
	}
	return nil, false
}
