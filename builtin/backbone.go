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

// Source says where a built-in backbone directory came from.
type Source int

const (
	Cached     Source = iota // already in the cache
	Shipped                  // installed from the copy this binary carries (shipped.go)
	Pretrained               // pre-trained just now
)

func (s Source) String() string {
	return [...]string{"cached", "shipped", "pre-trained"}[s]
}

// Options tune ModelDir.
type Options struct {
	Progress Progress // pre-training progress; may be nil
	// Pretrain pre-trains rather than installing the shipped copy when the cache has none.
	Pretrain bool
	// Rebuild pre-trains even when the cache already has the backbone, replacing it.
	Rebuild bool
}

// ModelDir returns the built-in backbone directory for spec: the cached one, else the
// shipped copy when this binary carries one for spec (see shipped.go), else one pre-trained
// now.
func ModelDir(ctx context.Context, cache string, spec Spec, progress Progress) (string, error) {
	dir, _, err := Backbone(ctx, cache, spec, Options{Progress: progress})
	return dir, err
}

// Backbone is ModelDir with options, and says where the directory came from.
func Backbone(ctx context.Context, cache string, spec Spec, o Options) (string, Source, error) {
	dataDir, err := DataDir(cache, spec.DataSeed)
	if err != nil {
		return "", 0, err
	}
	dir, vocab, err := backboneDir(cache, spec, dataDir)
	if err != nil {
		return "", 0, err
	}
	if _, err := model.OpenDir(dir); err == nil && !o.Rebuild {
		return dir, Cached, nil
	}
	unlock, err := lockCache(ctx, dir)
	if err != nil {
		return "", 0, fmt.Errorf("built-in backbone: %w", err)
	}
	defer unlock()
	if _, err := model.OpenDir(dir); err == nil && !o.Rebuild {
		return dir, Cached, nil // another process built it while we waited for the lock
	}
	if !o.Pretrain && !o.Rebuild {
		if ok, err := installShipped(dir); err != nil {
			return "", 0, fmt.Errorf("built-in backbone: %w", err)
		} else if ok {
			return dir, Shipped, nil
		}
	}
	corpus, err := readLines(filepath.Join(dataDir, "corpus.txt"))
	if err != nil {
		return "", 0, fmt.Errorf("built-in corpus: %w", err)
	}
	if err := Pretrain(ctx, spec, vocab, corpus, dir, o.Progress); err != nil {
		return "", 0, fmt.Errorf("pre-train built-in backbone: %w", err)
	}
	return dir, Pretrained, nil
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
