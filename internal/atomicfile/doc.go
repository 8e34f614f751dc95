// Package atomicfile writes files so that a reader sees the old content or the new, never a
// mix: results, frozen plans and reports are read by other processes while they are written.
//
// The content goes to a temporary file beside the target first. Its name says who writes it
// (".NAME.tmp-HOST-PID-RANDOM"), so that a temporary file left by a killed writer can be told
// from one a live writer still owns (CleanTemps).
package atomicfile
