//go:build !noprefetch

package app

// prefetchEnabled: Prefetch starts what it is asked (noprefetch builds,
// for the bench's comparison, start nothing).
const prefetchEnabled = true
