//go:build ignore

// Verify a webhook delivery in Go, with the standard library only.
//
//	WEBHOOK_SECRET=... go run verify.go "$WEBHOOK_TIMESTAMP" "$WEBHOOK_SIGNATURE" < body.json
//
// In your server, call verify with the request's headers and raw body
// before parsing it.
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// verify reports whether body, sent at timestamp (the Webhook-Timestamp
// header) with signature (the Webhook-Signature header), is signed with
// secret and recent: five minutes either way, against replays.
func verify(secret, timestamp, signature string, body []byte) bool {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp + "."))
	m.Write(body)
	want := "v1=" + hex.EncodeToString(m.Sum(nil))
	for _, got := range strings.Split(signature, " ") { // several during a secret rotation
		if hmac.Equal([]byte(got), []byte(want)) {
			return true
		}
	}
	return false
}

func main() {
	body, _ := io.ReadAll(os.Stdin)
	if len(os.Args) != 3 || !verify(os.Getenv("WEBHOOK_SECRET"), os.Args[1], os.Args[2], body) {
		fmt.Println("invalid")
		os.Exit(1)
	}
	fmt.Println("valid")
}
