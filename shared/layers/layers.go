// Package layers states which package may import which (docs/ARCHITECTURE.md
// explains why); its test holds the tree to it. It has no code of its own.
//
// The layers, innermost first:
//
//   - foundation: the error model, records and interfaces, keys and
//     tokens, secrets, logging, clocks and deadlines. Imports only
//     foundation.
//   - domain: the rules and services (users, kyc, identifiers, federation,
//     tokenauth, outbox, webhooks). Imports foundation and domain; never
//     HTTP (net/http directly, the webhook sender excepted), never the
//     transport, the composition root or a surface, not even through
//     another package.
//   - adapter: the store implementations. Imports foundation.
//   - composition: package app, which builds a container's dependencies
//     from its environment. Imports foundation and adapters.
//   - transport: request machinery, wire dialects, the router, the Lambda
//     adapter. Imports foundation, composition and transport; no domain, no
//     surface.
//   - surface: one package per API surface, its handlers and its
//     authentication, assembled from app.Deps. Imports anything above but
//     another surface.
//   - job: the scheduled and stream functions' assembly from app.Deps
//     (shared/jobs/...), as a surface's routes.go is for an HTTP function.
//     Imports foundation, domain and composition.
//   - functions/<name>: wiring only: app, lambdarun, router, and its one
//     surface or job.
package layers
