// Package testkit holds helpers for tests only: the module root, moto_server
// (package moto), the OpenAPI exchange checker (openapitest) and the HTTP
// test client (apitest).
package testkit

import (
	"os"
	"path/filepath"
)

// Root is the module root (the folder holding go.mod), found from the
// working directory of the test.
func Root() string {
	dir, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			panic("testkit: go.mod not found above the working directory")
		}
		dir = parent
	}
}
