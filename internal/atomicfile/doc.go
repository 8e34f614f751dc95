// Package atomicfile writes files so that a reader sees the old content or the new, never a
// mix: results, frozen plans and reports are read by other processes while they are written.
package atomicfile
