// Package flock takes exclusive advisory file locks (flock(2)) and waits for them, so that
// workers sharing a cache (array tasks, pods, one process per GPU) build or download each
// entry once while the others wait for it.
package flock
