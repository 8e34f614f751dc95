package builtin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/clue-bench/clue-bench/internal/flock"
	"github.com/clue-bench/clue-bench/miniclue"
	"github.com/clue-bench/clue-bench/model"
)

// Spec determines the built-in backbone. Changing any field changes the cache key.
type Spec struct {
	Layers       int64   `json:"layers"`
	Hidden       int64   `json:"hidden"`
	Heads        int64   `json:"heads"`
	Intermediate int64   `json:"intermediate"`
	MaxPositions int64   `json:"max_positions"`
	SeqLen       int     `json:"seq_len"` // pre-training sequence length
	Batch        int     `json:"batch"`
	Steps        int     `json:"steps"`
	LR           float64 `json:"lr"`
	Seed         int64   `json:"seed"`
	DataSeed     int64   `json:"data_seed"`
	Device       string  `json:"-"`
	Threads      int     `json:"-"`
}

// PretrainProcedure versions the pre-training code in the cache key. Bump it whenever a change
// alters the weights pre-training produces for a spec (masking, optimiser arithmetic, dropout,
// initialisation): an old cache entry would otherwise be reused, and the suite's numbers would
// then depend on when the cache was filled, not on the code.
const PretrainProcedure = 3

// DefaultSpec is small enough to pre-train in a few minutes on two CPU cores, and large
// enough that the three tuning methods separate on the mini-CLUE tasks.
func DefaultSpec() Spec {
	return Spec{Layers: 3, Hidden: 128, Heads: 4, Intermediate: 512, MaxPositions: 256, SeqLen: 64,
		Batch: 32, Steps: 2500, LR: 1e-3, Seed: 1, DataSeed: 1, Device: "auto"}
}

// Config is the model config of the spec for a vocabulary of n tokens.
func (s Spec) Config(n int64) model.Config {
	return model.Config{HiddenSize: s.Hidden, NumHiddenLayers: s.Layers, NumAttentionHeads: s.Heads,
		IntermediateSize: s.Intermediate, MaxPositionEmbeddings: s.MaxPositions, TypeVocabSize: 2, VocabSize: n,
		LayerNormEps: 1e-12, HiddenDropoutProb: 0.1, AttentionProbsDropoutProb: 0.1, HiddenAct: "gelu",
		InitializerRange: 0.02}
}

func hashOf(v any) string {
	b, _ := json.Marshal(v)
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])[:10]
}

// CacheDir is where built-in data and backbones live: $CLUE_BENCH_CACHE, else the user cache.
func CacheDir() string {
	if d := os.Getenv("CLUE_BENCH_CACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "clue-bench")
	}
	return filepath.Join(os.TempDir(), "clue-bench")
}

// DataPath is where DataDir puts the mini-CLUE data of a seed (which may not exist yet).
func DataPath(cache string, seed int64) string {
	return filepath.Join(cache, fmt.Sprintf("data-s%d", seed))
}

// DataID names the built-in data a seed gives with this code, without generating it.
func DataID(seed int64) string {
	return fmt.Sprintf("mini-CLUE v%d, seed %d", miniclue.GeneratorVersion, seed)
}

// ID names the backbone the spec gives with this code, without pre-training it: the spec,
// the pre-training procedure and the data it learns from. (The cache key also hashes the
// corpus and vocabulary, which are functions of the same generator version and seed.)
func (s Spec) ID() string {
	b, _ := json.Marshal(s) // a struct of numbers and strings: cannot fail
	sum := sha256.Sum256(b)
	return fmt.Sprintf("BERT %d×%d, %d masked-LM steps, spec %s, procedure %d, %s",
		s.Layers, s.Hidden, s.Steps, hex.EncodeToString(sum[:4]), PretrainProcedure, DataID(s.DataSeed))
}

// DataDir returns the mini-CLUE directory for a seed, generating it if needed.
func DataDir(cache string, seed int64) (string, error) {
	dir := DataPath(cache, seed)
	unlock, err := lockCache(context.Background(), dir)
	if err != nil {
		return "", fmt.Errorf("built-in data: %w", err)
	}
	defer unlock()
	if _, err := miniclue.Generate(dir, miniclue.Options{Seed: seed, Scale: 1}); err != nil {
		return "", fmt.Errorf("built-in data: %w", err)
	}
	return dir, nil
}

// backboneDir is where the backbone of spec pre-trained on the corpus in dataDir is cached,
// and the vocabulary it uses. The corpus checksum is in the key, not just the vocabulary: a
// generator change that rewrites sentences over the same characters must not reuse a
// backbone pre-trained on the old ones.
func backboneDir(cache string, spec Spec, dataDir string) (string, []string, error) {
	vocab, err := miniclue.Vocab(dataDir)
	if err != nil {
		return "", nil, fmt.Errorf("built-in vocabulary: %w", err)
	}
	m, err := miniclue.ReadManifest(dataDir)
	if err != nil {
		return "", nil, fmt.Errorf("built-in corpus: %w", err)
	}
	f := m.File("corpus.txt")
	if f == nil || f.SHA256 == "" {
		return "", nil, fmt.Errorf("built-in corpus: %s: manifest lists no corpus.txt checksum", dataDir)
	}
	return filepath.Join(cache, "bert-"+hashOf(struct {
		Procedure int
		Spec      Spec
		Vocab     []string
		Corpus    string
	}{PretrainProcedure, spec, vocab, f.SHA256})), vocab, nil
}

// ModelConfig is the built-in backbone's config without pre-training it (the vocabulary size
// comes from the generated data).
func ModelConfig(cache string, spec Spec) (model.Config, error) {
	dataDir, err := DataDir(cache, spec.DataSeed)
	if err != nil {
		return model.Config{}, err
	}
	vocab, err := miniclue.Vocab(dataDir)
	if err != nil {
		return model.Config{}, fmt.Errorf("built-in vocabulary: %w", err)
	}
	return spec.Config(int64(len(vocab))), nil
}

// lockCache takes an exclusive lock on dir+".lock" for building dir, waiting for another
// holder until ctx ends. Many workers (array tasks, pods, per-device processes) resolve the
// built-in inputs at once; without it they would all pre-train the same backbone, and their
// writers, atomic for readers, would trip over each other (pre-training saves through one
// fixed temporary directory; miniclue moves a task directory aside to replace it).
func lockCache(ctx context.Context, dir string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, err
	}
	return flock.Lock(ctx, dir+".lock")
}
