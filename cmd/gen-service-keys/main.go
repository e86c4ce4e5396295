// Command gen-service-keys prints a new service keys secret document (one
// Ed25519 token signing key with the given kid, a fresh identifier pepper)
// for `aws secretsmanager create-secret --secret-string file://...`.
// To rotate the signing key, put the new key first in the existing
// document's tokenSigningKeys and keep the old one after it for an hour.
// Never change the pepper of a live environment: links are keyed by it.
package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/partner-identity/api/shared/servicekeys"
)

func main() {
	kid := flag.String("kid", time.Now().UTC().Format("2006-01"), "key id of the signing key")
	flag.Parse()
	fmt.Println(string(servicekeys.Generate(*kid)))
}
