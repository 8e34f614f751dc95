package bench

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/bench/results"
	"github.com/clue-bench/clue-bench/model"
	"github.com/clue-bench/clue-bench/trainer"
)

// A cell keeps its best-dev trained tensors in results/cells/KEY.safetensors, as PEFT keeps
// adapters: the method's variables and the head's, with what is needed to rebuild the model
// around them in the header's metadata (WeightsMeta). Fine-tuning trains the whole backbone;
// its copy is as large as the checkpoint, so it is kept only when asked (RunOptions.SaveBackbone)
// and otherwise the file holds the head alone and says so.

// Metadata keys of a weights file.
const (
	MetaSchema      = "clue_bench_weights" // version of this layout
	MetaCell        = "cell"               // the plan.Cell as JSON: task, method, options, hyper, seed
	MetaMethod      = "method"
	MetaOptions     = "method_options" // resolved, defaults filled in
	MetaTask        = "task"
	MetaHead        = "head"   // the head's kind
	MetaLabels      = "labels" // the task's labels as JSON, which size the head
	MetaBackbone    = "backbone"
	MetaFingerprint = "backbone_fingerprint"
	MetaContents    = "contents"
)

// weightsSchema is the value of MetaSchema written today.
const weightsSchema = "1"

// Contents values.
const (
	ContentsMethodHead   = "method+head"
	ContentsHeadOnly     = "head only: the tuned backbone was not saved (bench run --save-backbone keeps it)"
	ContentsBackboneHead = "backbone+head"
)

// BackboneFingerprint identifies a backbone's weights without reading them: a hash of its
// config.json and the size of its checkpoint file.
func BackboneFingerprint(dir *model.Dir) (string, error) {
	cfg, err := os.ReadFile(filepath.Join(dir.Path, "config.json"))
	if err != nil {
		return "", fmt.Errorf("backbone fingerprint: %w", err)
	}
	st, err := os.Stat(dir.WeightsFile)
	if err != nil {
		return "", fmt.Errorf("backbone fingerprint: %w", err)
	}
	sum := sha256.Sum256(cfg)
	return fmt.Sprintf("config.json sha256:%s, %s %d bytes", hex.EncodeToString(sum[:8]), filepath.Base(dir.WeightsFile), st.Size()), nil
}

// weightsMeta is the metadata written with a cell's weights.
func weightsMeta(cell plan.Cell, in *cellInputs, contents string) (map[string]string, error) {
	cj, err := json.Marshal(cell)
	if err != nil {
		return nil, err
	}
	labels, err := json.Marshal(in.task.Labels)
	if err != nil {
		return nil, err
	}
	fp, err := BackboneFingerprint(in.dir)
	if err != nil {
		return nil, err
	}
	// The resolved options (defaults filled in); the cell keeps them as the config wrote them.
	opts, err := json.Marshal(in.method.Options())
	if err != nil {
		return nil, err
	}
	return map[string]string{
		MetaSchema: weightsSchema, MetaCell: string(cj), MetaMethod: cell.Method, MetaOptions: string(opts),
		MetaTask: cell.Task, MetaHead: in.kind.Name(), MetaLabels: string(labels),
		MetaBackbone: in.dir.Path, MetaFingerprint: fp, MetaContents: contents,
	}, nil
}

// keepWeights writes the model's trained tensors (restored to the best evaluation) with their
// metadata and records the file in res. A failure is logged and leaves res without weights:
// the cell's result is worth more than its copy of the tensors.
func keepWeights(env cellEnv, cell plan.Cell, in *cellInputs, m *trainer.Model, res *results.Result) {
	path := env.store.WeightsPath(cell.Key())
	n, err := saveWeights(path, cell, in, m, env.saveBackbone)
	if err != nil {
		env.logf("warning: trained weights not kept: %v", err)
		return
	}
	res.Weights, res.WeightsBytes = relPath(env.store.Dir, path), n
}

// saveWeights writes m's trainable variables to path and returns the file's size. When the
// whole backbone trains and saveBackbone is off, the backbone's variables are left out.
func saveWeights(path string, cell plan.Cell, in *cellInputs, m *trainer.Model, saveBackbone bool) (int64, error) {
	vars := m.VS.Variables()
	fullBackbone := backboneTrains(m.Trainable) && !anyFrozenEncoderWeight(vars, m.Frozen)
	contents := ContentsMethodHead
	if fullBackbone {
		contents = ContentsBackboneHead
		if !saveBackbone {
			contents = ContentsHeadOnly
		}
	}
	keep := map[string]*ts.Tensor{}
	for _, name := range m.Trainable {
		if fullBackbone && !saveBackbone && model.IsEncoderVar(name) {
			continue
		}
		v := vars[name]
		keep[name] = &v
	}
	meta, err := weightsMeta(cell, in, contents)
	if err != nil {
		return 0, fmt.Errorf("weights %s: %w", path, err)
	}
	if err := model.WriteSafetensorsMeta(path, keep, meta); err != nil {
		return 0, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("weights: %w", err)
	}
	return st.Size(), nil
}

// anyFrozenEncoderWeight reports whether some floating-point encoder variable stays frozen, that
// is whether the method leaves (part of) the backbone as the checkpoint has it. Integer buffers
// (position ids) never train and do not count.
func anyFrozenEncoderWeight(vars map[string]ts.Tensor, frozen []string) bool {
	for _, name := range frozen {
		v := vars[name]
		if model.IsEncoderVar(name) && gotch.IsFloatDType(v.DType()) {
			return true
		}
	}
	return false
}
