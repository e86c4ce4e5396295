// Command gen-service-keys writes new service key secret documents: the
// token signing secret (one Ed25519 key with the given kid: the private
// seed, read by create-user-token only) and the service keys secret (its
// public key and a fresh identifier pepper, read by the functions that
// verify tokens or hash identifiers), for `aws secretsmanager create-secret
// --secret-string file://...`.
//
// To rotate the signing key: add its public key to the service keys
// document's tokenVerificationKeys and wait 10 minutes (functions keep the
// secret 5 minutes, clients /.well-known/jwks.json 5 more); then put the
// new key first in the signing document's tokenSigningKeys; remove the old
// one from both an hour later (a token's lifetime). Never change the
// pepper of a live environment: links are keyed by it. The files hold
// secrets: the repository's .gitignore keeps them out of git; delete them
// once the secrets are created.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/partner-identity/api/shared/domain/servicekeys"
)

func main() {
	kid := flag.String("kid", time.Now().UTC().Format("2006-01"), "key id of the signing key")
	signingFile := flag.String("signing", "token-signing.json", "where the token signing secret document goes")
	verificationFile := flag.String("verification", "service-keys.json", "where the service keys secret document goes")
	flag.Parse()
	signing, verification := servicekeys.Generate(*kid)
	for file, doc := range map[string][]byte{*signingFile: signing, *verificationFile: verification} {
		if err := os.WriteFile(file, append(doc, '\n'), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "gen-service-keys:", err)
			os.Exit(1)
		}
		fmt.Println("wrote", file)
	}
}
