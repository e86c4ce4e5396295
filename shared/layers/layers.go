// Package layers holds the import rule of the tree (docs/ARCHITECTURE.md
// explains why); its test checks every package against it. It has no code
// of its own.
//
// A package's layer is its folder, innermost first; each imports only the
// layers before it and its own:
//
//   - shared/kit: small helpers with no knowledge of the product (log-safe
//     errors, metrics, deadlines, the wire's time format).
//   - shared/domain: the records, the store interfaces and the one error
//     type with kinds (package domain), and the services beneath it
//     (users, kyc, identifiers, federation, partners, tokens...). No
//     net/http, no Lambda type, no AWS SDK, not even indirectly.
//   - shared/webhooks: delivery of the outbox's events (queue, signature,
//     the partner's event list, the dispatcher; the dispatcher alone may
//     use net/http, to send).
//   - shared/adapters: what implements the domain's interfaces against the
//     world (DynamoDB, memory, SQS, Sumsub, Secrets Manager, AWS config).
//   - shared/http: the HTTP side: the router and dialects (httpx), the
//     catalog of wire errors (apierr), one package per surface, none
//     importing another. No Lambda type.
//   - shared/lambda: entry points (HTTP, stream, queue, schedule) and the
//     composition of a container's dependencies (app).
//   - functions/<name>: wiring only: one call into shared/lambda.
//
// Outside the rule: development and test tooling (shared/devdata,
// shared/testkit, shared/systemtest, cmd/, bench/), which no function
// links, and client/, a module of its own.
package layers
