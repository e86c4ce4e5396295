// Verifies a token this API minted, offline, from its published JWK Set
// (GET /.well-known/jwks.json) alone, with jose (npm i jose).
//
//   node verify.mjs jwks.json <token> user      # a user token
//   node verify.mjs jwks.json <token> partner   # a partner access token
//
// Prints the verified claims as JSON, or "invalid: <reason>" and exits 1.
// In a service, fetch the set with createRemoteJWKSet(new
// URL("https://<api>/.well-known/jwks.json")) instead: it caches the set
// and fetches it again when a token names a kid it does not know.
import { readFileSync } from "node:fs";
import { createLocalJWKSet, jwtVerify } from "jose";

const audiences = { user: "partner-identity-user", partner: "partner-identity-partner" };
const [file, token, kind] = process.argv.slice(2);
if (!file || !token || !audiences[kind]) {
  console.error("usage: node verify.mjs jwks.json <token> user|partner");
  process.exit(2);
}
const keys = createLocalJWKSet(JSON.parse(readFileSync(file, "utf8")));
try {
  const { payload } = await jwtVerify(token, keys, {
    issuer: "partner-identity-api",
    audience: audiences[kind],
    algorithms: ["EdDSA"],
    requiredClaims: ["exp", "iat", "sub"],
  });
  console.log(JSON.stringify(payload));
} catch (err) {
  console.log("invalid: " + (err.code || err.name));
  process.exit(1);
}
