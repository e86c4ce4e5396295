module github.com/partner-identity/api/client

// The lowest Go the client needs: oapi-codegen's runtime at the version
// the generated code calls (v1.3.1) asks for 1.24. The server's module
// (one folder up) is not in a partner's graph.
go 1.24

require (
	github.com/oapi-codegen/runtime v1.3.1
	github.com/standard-webhooks/standard-webhooks/libraries v0.0.1
)

require (
	github.com/apapsch/go-jsonmerge/v2 v2.0.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
)
