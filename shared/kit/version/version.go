// Package version is the build a binary is: the commit it was built from,
// set by the Makefile's build (-ldflags -X); "dev" for a build without it
// (go run, go test).
package version

// Commit is the build's commit (12 hex digits), or "dev".
var Commit = "dev"
