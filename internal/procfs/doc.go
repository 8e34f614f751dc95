// Package procfs reads memory figures of a process from Linux's /proc file system, in pure Go:
// the runner records each cell's peak resident set, `bench perf` its own and a child's.
package procfs
