package clue

import (
	"fmt"
	"strconv"
	"strings"
)

// Regimes a Selection can name.
const (
	RegimeFull  = "full"  // official train/dev/test
	RegimeFew   = "few"   // a FewCLUE fold
	RegimeKShot = "kshot" // K per class sampled from the full train set
)

// FoldAll is Selection.Fold for FewCLUE's union files (train_few_all.json / dev_few_all.json).
const FoldAll = -1

// Selection picks a training regime:
//
//	"full"            official train/dev/test
//	"few:0".."few:4"  FewCLUE train_k.json / dev_k.json, test_public.json as labelled test
//	"few:all"         train_few_all.json / dev_few_all.json
//	"kshot:K:SEED"    K examples per class sampled (stratified, deterministic for a seed) from the full train; dev/test = official
type Selection struct {
	Regime string // RegimeFull, RegimeFew or RegimeKShot
	Fold   int    // few: 0..4 or FoldAll
	K      int    // kshot: examples per class
	Seed   int64  // kshot: sampling seed
}

// Full is the official-splits selection.
var Full = Selection{Regime: RegimeFull}

// ParseSelection parses the forms listed on Selection.
func ParseSelection(s string) (Selection, error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	bad := func(why string) (Selection, error) {
		return Selection{}, fmt.Errorf("clue: selection %q: %s (want full, few:0..few:4, few:all or kshot:K:SEED)", s, why)
	}
	switch parts[0] {
	case RegimeFull:
		if len(parts) != 1 {
			return bad("full takes no arguments")
		}
		return Full, nil
	case RegimeFew:
		if len(parts) != 2 {
			return bad("few needs a fold")
		}
		if parts[1] == "all" {
			return Selection{Regime: RegimeFew, Fold: FoldAll}, nil
		}
		n, err := strconv.Atoi(parts[1])
		if err != nil || n < 0 || n > 4 || parts[1] != strconv.Itoa(n) {
			return bad("FewCLUE folds are 0..4 or all")
		}
		return Selection{Regime: RegimeFew, Fold: n}, nil
	case RegimeKShot:
		if len(parts) != 3 {
			return bad("kshot needs K and SEED")
		}
		k, err := strconv.Atoi(parts[1])
		if err != nil || k < 1 {
			return bad("K must be a positive integer")
		}
		seed, err := strconv.ParseInt(parts[2], 10, 64)
		if err != nil {
			return bad("SEED must be an integer")
		}
		return Selection{Regime: RegimeKShot, K: k, Seed: seed}, nil
	}
	return bad("unknown regime")
}

// String is the canonical form ParseSelection accepts.
func (s Selection) String() string {
	switch s.Regime {
	case RegimeFew:
		if s.Fold == FoldAll {
			return "few:all"
		}
		return fmt.Sprintf("few:%d", s.Fold)
	case RegimeKShot:
		return fmt.Sprintf("kshot:%d:%d", s.K, s.Seed)
	}
	return RegimeFull
}

// fewFiles are the FewCLUE file names for a fold.
func (s Selection) fewFiles() (train, dev string) {
	if s.Fold == FoldAll {
		return "train_few_all.json", "dev_few_all.json"
	}
	return fmt.Sprintf("train_%d.json", s.Fold), fmt.Sprintf("dev_%d.json", s.Fold)
}
