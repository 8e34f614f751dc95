// Package download fetches one file over HTTP into place: resumed with a Range request after
// an interruption, written under a temporary name and renamed only once it has the expected
// size and checksum, retried with back-off on transient errors, and coordinated between
// processes by a file lock so that workers asking for the same file fetch it once.
package download
