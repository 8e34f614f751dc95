//go:build cgo

package builtin

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/clue-bench/clue-bench/model"
)

// ModelDir returns the built-in backbone directory for spec, pre-training it if needed.
func ModelDir(ctx context.Context, cache string, spec Spec, progress Progress) (string, error) {
	dataDir, err := DataDir(cache, spec.DataSeed)
	if err != nil {
		return "", err
	}
	dir, vocab, err := backboneDir(cache, spec, dataDir)
	if err != nil {
		return "", err
	}
	if _, err := model.OpenDir(dir); err == nil {
		return dir, nil
	}
	unlock, err := lockCache(ctx, dir)
	if err != nil {
		return "", fmt.Errorf("built-in backbone: %w", err)
	}
	defer unlock()
	if _, err := model.OpenDir(dir); err == nil {
		return dir, nil // another process built it while we waited for the lock
	}
	corpus, err := readLines(filepath.Join(dataDir, "corpus.txt"))
	if err != nil {
		return "", fmt.Errorf("built-in corpus: %w", err)
	}
	if err := Pretrain(ctx, spec, vocab, corpus, dir, progress); err != nil {
		return "", fmt.Errorf("pre-train built-in backbone: %w", err)
	}
	return dir, nil
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if t := sc.Text(); t != "" {
			out = append(out, t)
		}
	}
	return out, sc.Err()
}
