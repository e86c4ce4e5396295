//go:build ignore

// Verify a webhook delivery in Go with the official Standard Webhooks
// library (go get github.com/standard-webhooks/standard-webhooks/libraries).
//
//	WEBHOOK_SECRET=whsec_... go run verify.go "$WEBHOOK_ID" "$WEBHOOK_TIMESTAMP" "$WEBHOOK_SIGNATURE" < body.json
//
// In your server, call wh.Verify with the request's raw body and headers
// before parsing it, then deduplicate on Webhook-Id (it is signed).
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

func main() {
	body, _ := io.ReadAll(os.Stdin)
	wh, err := standardwebhooks.NewWebhook(os.Getenv("WEBHOOK_SECRET"))
	if err != nil || len(os.Args) != 4 {
		fmt.Println("invalid")
		os.Exit(1)
	}
	h := http.Header{}
	h.Set("Webhook-Id", os.Args[1])
	h.Set("Webhook-Timestamp", os.Args[2])
	h.Set("Webhook-Signature", os.Args[3])
	// Verify checks the signature and that the timestamp is within five minutes.
	if err := wh.Verify(body, h); err != nil {
		fmt.Println("invalid")
		os.Exit(1)
	}
	fmt.Println("valid")
}
