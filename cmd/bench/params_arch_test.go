//go:build cgo

package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"

	"github.com/clue-bench/clue-bench/methods"
	"github.com/clue-bench/clue-bench/model"
)

// TestParamsArchitectures checks that `bench params` is exact on every backbone: for each
// fixture model (BERT, NEZHA, RoFormer with and without embeddings_project) and method, the
// encoder plus the method's variables hold total − head elements, and the variables the method
// trains hold trainable_backbone.
func TestParamsArchitectures(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	dirs := []string{
		filepath.Join(tinyModel, "bin"),
		filepath.Join(archModels, "nezha"),
		filepath.Join(archModels, "roformer"),
		filepath.Join(archModels, "roformer-project"),
	}
	sets := map[string][][]string{
		"fine-tuning": {nil},
		"fl-tuning":   {nil, {"units=8", "layers=[1]"}},
		"p-tuning-v2": {nil, {"prefix_len=4", "projection=true", "projection_hidden=8"}},
	}
	for _, dir := range dirs {
		cfg, err := model.ReadConfig(filepath.Join(dir, "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range methods.Names() {
			for _, set := range sets[name] {
				args := []string{"params", "--model", dir, "--method", name, "--labels", "3"}
				for _, s := range set {
					args = append(args, "--set", s)
				}
				var out, errb bytes.Buffer
				if code := run(args, &out, &errb); code != 0 {
					t.Fatalf("%v: exit %d: %s", args, code, errb.String())
				}
				var got paramsOutput
				if err := json.Unmarshal(out.Bytes(), &got); err != nil {
					t.Fatal(err)
				}
				all, trained := countVariables(t, cfg, name, set)
				if got.Total-got.Head != all || got.TrainableBackbone != trained || got.Head != 3*cfg.HiddenSize+3 {
					t.Errorf("%s %s %v: params say total %d − head %d, trainable backbone %d; the model has %d, trains %d",
						cfg.Arch(), name, set, got.Total, got.Head, got.TrainableBackbone, all, trained)
				}
			}
		}
	}
}

// countVariables builds cfg's encoder with the method attached and counts the elements of all
// variables and of those the method trains.
func countVariables(t *testing.T, cfg model.Config, name string, set []string) (all, trained int64) {
	t.Helper()
	m, err := methods.FromSettings(name, set)
	if err != nil {
		t.Fatal(err)
	}
	vs := nn.NewVarStore(gotch.CPU)
	defer vs.Destroy()
	enc, err := model.NewEncoder(vs.Root().Sub(cfg.Namespace()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Attach(vs.Root().Sub(m.Name()), enc); err != nil {
		t.Fatal(err)
	}
	for n, v := range vs.Variables() {
		k := v.Numel()
		all += int64(k)
		if m.Trains(n) {
			trained += int64(k)
		}
	}
	return all, trained
}
