//go:build cgo

package model

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"
)

// Dir is a Hugging Face model directory.
type Dir struct {
	Path        string
	Config      Config
	WeightsFile string // path of model.safetensors or, failing that, pytorch_model.bin
	VocabFile   string // path of vocab.txt, or "" if the directory has none
}

// weightFiles lists the single-file checkpoints in the order transformers prefers them.
var weightFiles = []string{"model.safetensors", "pytorch_model.bin"}

// OpenDir reads path/config.json and locates the weights.
func OpenDir(path string) (*Dir, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open model dir: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("open model dir %s: not a directory", path)
	}
	cfg, err := ReadConfig(filepath.Join(path, "config.json"))
	if err != nil {
		return nil, fmt.Errorf("open model dir: %w", err)
	}
	d := &Dir{Path: path, Config: cfg}
	for _, name := range weightFiles {
		if p := filepath.Join(path, name); isFile(p) {
			d.WeightsFile = p
			break
		}
	}
	if d.WeightsFile == "" {
		for _, idx := range []string{"model.safetensors.index.json", "pytorch_model.bin.index.json"} {
			if isFile(filepath.Join(path, idx)) {
				return nil, fmt.Errorf("open model dir %s: sharded checkpoint (%s) is not supported", path, idx)
			}
		}
		return nil, fmt.Errorf("open model dir %s: no %s", path, strings.Join(weightFiles, " or "))
	}
	if p := filepath.Join(path, "vocab.txt"); isFile(p) {
		d.VocabFile = p
	}
	return d, nil
}

func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// ReadCheckpoint reads a .safetensors file or a torch.save state dict (any other name) onto the CPU.
func ReadCheckpoint(path string) (map[string]*ts.Tensor, error) {
	if strings.HasSuffix(path, ".safetensors") {
		return ReadSafetensors(path)
	}
	return ReadTorchStateDict(path)
}

// LoadReport says what LoadWeights did. Names are sorted.
type LoadReport struct {
	Loaded      []string // model variables filled from the checkpoint
	Unused      []string // checkpoint tensors no variable takes (e.g. cls.predictions.*): worth a warning
	Initialised []string // variables outside the encoder's namespace absent from the checkpoint, left as initialised
}

// LoadWeights copies d's checkpoint into vs's variables by transformers name. The encoder's
// variables lie in the namespace of d's architecture (d.Config.Namespace(): "bert.", "nezha.",
// "roformer."). A checkpoint name matches a variable as is or with the namespace put in front
// (base-model checkpoints have no prefix), after the legacy renames LayerNorm.gamma → weight and
// beta → bias; a NEZHA checkpoint may also use "bert." for its namespace, as checkpoints
// converted from the original NEZHA code do. Every encoder variable must be filled with a tensor
// of its shape; all violations are reported together in one error, and then nothing is copied.
// Variables outside the namespace (task heads, method parameters) are loaded when the checkpoint
// has them and otherwise listed in Initialised. dtypes are converted to the variable's. Buffers
// the encoder computes instead (BERT's position_ids, NEZHA's relative position table,
// RoFormer's embed_positions) are listed in Unused.
func LoadWeights(d *Dir, vs *nn.VarStore) (*LoadReport, error) {
	file, err := ReadCheckpoint(d.WeightsFile)
	if err != nil {
		return nil, fmt.Errorf("load weights: %w", err)
	}
	defer dropMap(file)
	rep, err := loadNamed(file, vs, d.Config)
	if err != nil {
		// The model's shapes come from config.json: a mismatch is between the two files.
		return nil, fmt.Errorf("load weights %s into the model %s describes: %w", d.WeightsFile, filepath.Join(d.Path, "config.json"), err)
	}
	return rep, nil
}

// legacyName applies transformers' renaming of TF-era LayerNorm parameter names.
func legacyName(name string) string {
	switch {
	case strings.HasSuffix(name, ".gamma"):
		return strings.TrimSuffix(name, ".gamma") + ".weight"
	case strings.HasSuffix(name, ".beta"):
		return strings.TrimSuffix(name, ".beta") + ".bias"
	}
	return name
}

// loadNamed matches checkpoint tensors to the variables of an encoder built from cfg (and of
// anything beside it), checks them all, then copies.
func loadNamed(file map[string]*ts.Tensor, vs *nn.VarStore, cfg Config) (*LoadReport, error) {
	vars := vs.Variables()
	rep := &LoadReport{}
	source := map[string]string{} // variable name → checkpoint name
	var problems []string
	ns := cfg.Namespace() + "."
	for _, fname := range sortedKeys(file) {
		key := legacyName(fname)
		if cfg.Arch() == ArchNEZHA && strings.HasPrefix(key, "bert.") {
			key = ns + strings.TrimPrefix(key, "bert.")
		}
		vname := ""
		if _, ok := vars[key]; ok {
			vname = key
		} else if _, ok := vars[ns+key]; ok {
			vname = ns + key
		}
		if vname == "" {
			rep.Unused = append(rep.Unused, fname)
			continue
		}
		if prev, dup := source[vname]; dup {
			problems = append(problems, fmt.Sprintf("duplicate %s: checkpoint has both %q and %q", vname, prev, fname))
			continue
		}
		source[vname] = fname
	}
	for _, vname := range sortedKeys(vars) {
		fname, ok := source[vname]
		if !ok {
			if strings.HasPrefix(vname, ns) {
				problems = append(problems, "missing "+vname)
			} else {
				rep.Initialised = append(rep.Initialised, vname)
			}
			continue
		}
		v := vars[vname]
		want, err := v.Size()
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", vname, torchErr(err))
		}
		got, err := file[fname].Size()
		if err != nil {
			return nil, fmt.Errorf("checkpoint tensor %s: %w", fname, torchErr(err))
		}
		if !sameShape(got, want) {
			problems = append(problems, fmt.Sprintf("wrong shape %s: checkpoint %v, model %v%s", vname, got, want, shapeFields(vname)))
			continue
		}
		rep.Loaded = append(rep.Loaded, vname)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("checkpoint does not fit the model (%d problems):\n  %s",
			len(problems), strings.Join(problems, "\n  "))
	}
	for _, vname := range rep.Loaded {
		v := vars[vname]
		if err := copyInto(&v, file[source[vname]]); err != nil {
			return nil, fmt.Errorf("copy %s: %w", vname, err)
		}
	}
	return rep, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
