//go:build noprefetch

package app

// prefetchEnabled is false in a build with the tag noprefetch: the bench
// builds each function so too, to measure what prefetching saves.
const prefetchEnabled = false
