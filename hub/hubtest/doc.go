// Package hubtest is a stand-in for the Hugging Face hub on a loopback port, answering the
// requests package hub makes the way the hub does: resolve URLs with X-Repo-Commit and ETag
// headers, LFS files as redirects carrying X-Linked-Etag and X-Linked-Size, byte ranges, and
// the hub's error codes (401 RepoNotFound, 404 EntryNotFound and RevisionNotFound).
package hubtest
