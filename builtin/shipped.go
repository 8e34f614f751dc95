package builtin

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// shipped holds pre-trained built-in backbones, one directory per cache key (the base name
// ModelDir would give the backbone, e.g. "bert-6ef25eda2d"), each with a SHA256SUMS file.
// Pre-training the default spec takes minutes on two CPU cores; installing the copy that was
// pre-trained once with this code takes milliseconds, and gives every machine the same
// weights whatever BLAS kernel it would have pre-trained with.
//
// To refresh it after a change to the spec, the pre-training code or the generated corpus
// (the key changes and TestShippedBackboneMatchesDefaultSpec fails): run `bench pretrain
// --rebuild`, copy the printed directory here under its base name, delete the old one and
// write SHA256SUMS with `sha256sum config.json model.safetensors pretraining.json vocab.txt`.
//
//go:embed shipped
var shipped embed.FS

// shippedFiles are the files a shipped backbone directory holds besides SHA256SUMS.
var shippedFiles = []string{"config.json", "model.safetensors", "pretraining.json", "vocab.txt"}

// ShippedKeys lists the cache keys of the backbones this binary carries.
func ShippedKeys() ([]string, error) {
	ents, err := fs.ReadDir(shipped, "shipped")
	if err != nil {
		return nil, fmt.Errorf("shipped backbones: %w", err)
	}
	var keys []string
	for _, e := range ents {
		if e.IsDir() {
			keys = append(keys, e.Name())
		}
	}
	return keys, nil
}

// readShipped returns the files of the shipped backbone with this key, each checked against
// SHA256SUMS, or ok=false when the binary carries no backbone under that key. A checksum
// mismatch (a checkout that rewrote the binary file, say) is an error, not a silent
// pre-training.
func readShipped(fsys fs.FS, key string) (files map[string][]byte, ok bool, err error) {
	dir := path.Join("shipped", key)
	sums, err := fs.ReadFile(fsys, path.Join(dir, "SHA256SUMS"))
	if err != nil {
		return nil, false, nil
	}
	want, err := parseSums(sums)
	if err != nil {
		return nil, false, fmt.Errorf("shipped backbone %s: SHA256SUMS: %w", key, err)
	}
	files = map[string][]byte{}
	for _, name := range shippedFiles {
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, false, fmt.Errorf("shipped backbone %s: %w", key, err)
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); got != want[name] {
			return nil, false, fmt.Errorf("shipped backbone %s: %s has SHA-256 %s, SHA256SUMS says %q", key, name, got, want[name])
		}
		files[name] = b
	}
	return files, true, nil
}

// parseSums reads sha256sum's output: "HEX  NAME" per line.
func parseSums(b []byte) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		sum, name, ok := strings.Cut(line, "  ")
		if !ok || len(sum) != 64 {
			return nil, fmt.Errorf("line %d: want \"SHA256  NAME\", got %q", n, line)
		}
		out[strings.TrimPrefix(name, "*")] = sum
	}
	return out, sc.Err()
}

// installShipped writes the shipped backbone whose key is dir's base name into dir, through
// a temporary directory renamed into place, and reports whether the binary carries one.
// The caller holds dir's cache lock.
func installShipped(dir string) (bool, error) {
	files, ok, err := readShipped(shipped, filepath.Base(dir))
	if err != nil || !ok {
		return false, err
	}
	tmp := fmt.Sprintf("%s.install-%d", dir, os.Getpid())
	if err := os.RemoveAll(tmp); err != nil {
		return false, err
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return false, err
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			os.RemoveAll(tmp)
			return false, fmt.Errorf("install shipped backbone: %w", err)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		os.RemoveAll(tmp)
		return false, fmt.Errorf("install shipped backbone: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		return false, fmt.Errorf("install shipped backbone: %w", err)
	}
	return true, nil
}
