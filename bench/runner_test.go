package bench

import (
	"context"
	"encoding/json"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/bench/results"
	"github.com/clue-bench/clue-bench/clue"
	"github.com/clue-bench/clue-bench/internal/tensortest"
	"github.com/clue-bench/clue-bench/methods"
	"github.com/clue-bench/clue-bench/model"
)

// tinyChars is the vocabulary of the synthetic task below.
var tinyChars = []rune("甲乙丙丁戊己庚辛壬癸好坏")

// writeTinyModel writes an HF-style model directory with random weights: a 2-layer, H=32 BERT.
func writeTinyModel(t *testing.T, dir string) {
	t.Helper()
	cfg := model.Config{HiddenSize: 32, NumHiddenLayers: 2, NumAttentionHeads: 4, IntermediateSize: 64,
		MaxPositionEmbeddings: 64, TypeVocabSize: 2, LayerNormEps: 1e-12, HiddenDropoutProb: 0.1,
		AttentionProbsDropoutProb: 0.1, HiddenAct: "gelu", InitializerRange: 0.02}
	vocab := []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}
	for _, r := range tinyChars {
		vocab = append(vocab, string(r))
	}
	cfg.VocabSize = int64(len(vocab))
	b, _ := json.Marshal(map[string]any{"hidden_size": cfg.HiddenSize, "num_hidden_layers": cfg.NumHiddenLayers,
		"num_attention_heads": cfg.NumAttentionHeads, "intermediate_size": cfg.IntermediateSize,
		"max_position_embeddings": cfg.MaxPositionEmbeddings, "type_vocab_size": cfg.TypeVocabSize,
		"vocab_size": cfg.VocabSize, "layer_norm_eps": cfg.LayerNormEps, "hidden_dropout_prob": cfg.HiddenDropoutProb,
		"attention_probs_dropout_prob": cfg.AttentionProbsDropoutProb, "hidden_act": cfg.HiddenAct, "model_type": "bert"})
	must(t, os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "vocab.txt"), []byte(strings.Join(vocab, "\n")+"\n"), 0o644))
	vs := nn.NewVarStore(gotch.CPU)
	defer vs.Destroy()
	if _, err := model.NewEncoder(vs.Root().Sub("bert"), cfg); err != nil {
		t.Fatal(err)
	}
	named := map[string]*ts.Tensor{}
	for name, v := range vs.Variables() {
		v := v
		named[name] = &v
	}
	must(t, model.WriteSafetensors(filepath.Join(dir, "model.safetensors"), named))
}

// tinyPair draws one sentence pair of the tiny pair tasks, labelled "1" when both sentences start
// with the same character: learnable, but not by a random model.
func tinyPair(r *rand.Rand) (s1, s2, label string) {
	sentence := func(first rune) string {
		s := []rune{first}
		for i := 0; i < 3+r.Intn(4); i++ {
			s = append(s, tinyChars[r.Intn(len(tinyChars))])
		}
		return string(s)
	}
	a := tinyChars[r.Intn(4)]
	b, label := a, "1"
	if r.Intn(2) == 0 {
		b, label = tinyChars[4+r.Intn(4)], "0"
	}
	return sentence(a), sentence(b), label
}

// writeTinyAFQMC writes an AFQMC-layout task of tinyPair's pairs.
func writeTinyAFQMC(t *testing.T, dir string, seed int64) {
	t.Helper()
	d := filepath.Join(dir, "afqmc_public")
	must(t, os.MkdirAll(d, 0o755))
	r := rand.New(rand.NewSource(seed))
	write := func(name string, n int, labelled bool) {
		var sb strings.Builder
		for i := 0; i < n; i++ {
			s1, s2, label := tinyPair(r)
			rec := map[string]any{"sentence1": s1, "sentence2": s2}
			if labelled {
				rec["label"] = label
			} else {
				rec["id"] = i
			}
			line, _ := json.Marshal(rec)
			sb.Write(line)
			sb.WriteByte('\n')
		}
		must(t, os.WriteFile(filepath.Join(d, name), []byte(sb.String()), 0o644))
	}
	write("train.json", 96, true)
	write("dev.json", 32, true)
	write("test.json", 8, false)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// tinyOptions keep the methods' additions in proportion to the tiny model; a method not
// listed runs with its defaults.
var tinyOptions = map[string]string{"p-tuning-v2": `{"prefix_len": 4}`, "fl-tuning": `{"units": 8}`}

// tinyCells are AFQMC cells of the named methods for the tiny model.
func tinyCells(t *testing.T, methodsList ...string) []plan.Cell {
	t.Helper()
	var cells []plan.Cell
	for _, m := range methodsList {
		opts, ok := tinyOptions[m]
		if !ok {
			opts = `{}`
		}
		c := plan.Cell{Task: "afqmc", Method: m, Setting: "full", Seed: 7, Split: "full", MethodOptions: json.RawMessage(opts),
			Hyper: plan.Hyper{MaxLen: 24, BatchSize: 16, EvalBatchSize: 32, Epochs: 3, LR: 3e-3, WeightDecay: 0.01, Accumulate: 1, HeadDropout: 0.1, Clip: 1}}
		c.ID = c.ContentID()
		cells = append(cells, c)
	}
	return cells
}

func TestRunEndToEndDeterministicAndResumable(t *testing.T) {
	if testing.Short() {
		t.Skip("trains tiny models")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	modelDir, dataDir := t.TempDir(), t.TempDir()
	writeTinyModel(t, modelDir)
	writeTinyAFQMC(t, dataDir, 1)
	cells := tinyCells(t, methods.Names()...)
	run := func(out string, cells []plan.Cell) (Summary, []*results.Result) {
		o := RunOptions{Cells: cells, Out: out, ModelDir: modelDir, DataDir: dataDir, Device: "cpu", Threads: 1, Stderr: io.Discard}
		sum, err := Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := (&results.Store{Dir: out}).All()
		if err != nil {
			t.Fatal(err)
		}
		return sum, rs
	}
	outA, outB := t.TempDir(), t.TempDir()
	sumA, resA := run(outA, cells)
	if sumA.Ran != len(cells) || sumA.Failed != 0 {
		for _, r := range resA {
			t.Logf("%s: %s %s", r.Cell.Name(), r.Status, r.Error)
		}
		t.Fatalf("summary %+v", sumA)
	}
	for _, r := range resA {
		acc := r.Best["accuracy"]
		if len(r.Curve) != 3 || r.Steps != 18 || r.Params.Trainable <= 0 || r.Predictions == "" {
			t.Errorf("%s: curve %d steps %d params %+v predictions %q", r.Cell.Name(), len(r.Curve), r.Steps, r.Params, r.Predictions)
		}
		if _, err := os.Stat(filepath.Join(outA, r.Predictions)); err != nil {
			t.Errorf("%s: predictions file: %v", r.Cell.Name(), err)
		}
		t.Logf("%s: dev accuracy %.1f, trainable %d (%.2f%%), %.1f ms/step", r.Cell.Name(), acc, r.Params.Trainable, 100*r.Params.Ratio, r.Time.MeanStepMS)
	}
	// Same seed, same device: identical metrics and curves.
	_, resB := run(outB, cells)
	for i := range resA {
		if !reflect.DeepEqual(resA[i].Curve, zeroElapsed(resB[i].Curve, resA[i].Curve)) || !reflect.DeepEqual(resA[i].Best, resB[i].Best) {
			t.Errorf("%s: run twice, different results:\n%+v\n%+v", resA[i].Cell.Name(), resA[i].Best, resB[i].Best)
		}
	}
	// Resume: a second run over the same results skips every done cell.
	if sum, _ := run(outA, cells); sum.Ran != 0 || sum.Skipped != len(cells) {
		t.Errorf("rerun over done cells: %+v", sum)
	}
	// A changed config makes the cell stale: it reruns.
	changed := tinyCells(t, "fl-tuning")
	changed[0].Hyper.LR = 1e-3
	changed[0].ID = changed[0].ContentID()
	if sum, _ := run(outA, changed); sum.Ran != 1 {
		t.Errorf("stale cell not rerun: %+v", sum)
	}
}

// zeroElapsed copies the timing fields of want into got so that curves compare on values.
func zeroElapsed(got, want []results.EvalPoint) []results.EvalPoint {
	out := make([]results.EvalPoint, len(got))
	for i := range got {
		out[i] = got[i]
		if i < len(want) {
			out[i].ElapsedS = want[i].ElapsedS
		}
	}
	return out
}

func TestRunRecordsFailureAndGoesOn(t *testing.T) {
	if testing.Short() {
		t.Skip("trains tiny models")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	modelDir, dataDir := t.TempDir(), t.TempDir()
	writeTinyModel(t, modelDir)
	writeTinyAFQMC(t, dataDir, 2)
	cells := tinyCells(t, "fl-tuning", "fine-tuning")
	cells[0].Hyper.MaxLen = 1000 // beyond the backbone's positions: fails at set-up
	cells[0].ID = cells[0].ContentID()
	cells[1].Hyper.Epochs = 1
	cells[1].ID = cells[1].ContentID()
	out := t.TempDir()
	sum, err := Run(context.Background(), RunOptions{Cells: cells, Out: out, ModelDir: modelDir, DataDir: dataDir, Device: "cpu", Threads: 1, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Ran != 2 || sum.Failed != 1 {
		t.Fatalf("summary %+v", sum)
	}
	st := &results.Store{Dir: out}
	if s, r := results.CellStatus(st, cells[0]); s != results.StatusFailed || !strings.Contains(r.Error, "max_len 1000") {
		t.Errorf("failed cell: %s %q", s, r.Error)
	}
	if s, _ := results.CellStatus(st, cells[1]); s != results.StatusDone {
		t.Errorf("cell after a failure: %s", s)
	}
	// Failed cells are skipped unless asked for.
	sum, _ = Run(context.Background(), RunOptions{Cells: cells[:1], Out: out, ModelDir: modelDir, DataDir: dataDir, Device: "cpu", Threads: 1, Stderr: io.Discard})
	if sum.Skipped != 1 {
		t.Errorf("failed cell not skipped: %+v", sum)
	}
	// Cancelling stops without recording the interrupted cell.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, RunOptions{Cells: tinyCells(t, "p-tuning-v2"), Out: out, ModelDir: modelDir, DataDir: dataDir, Device: "cpu", Threads: 1, Stderr: io.Discard}); err == nil {
		t.Error("cancelled run returned no error")
	}
	if r, _ := st.Read(tinyCells(t, "p-tuning-v2")[0].Key()); r != nil {
		t.Errorf("interrupted cell recorded: %+v", r.Status)
	}
}

// The submission must be the best evaluation's model, predicted the way dev was: with a test
// file holding the dev sentences, its labels must score exactly the recorded best dev accuracy.
func TestSubmissionComesFromTheBestModel(t *testing.T) {
	modelDir, dataDir, out := tinyAFQMCRun(t, 2)
	devPath := filepath.Join(dataDir, "afqmc_public", "dev.json")
	dev, err := os.ReadFile(devPath)
	must(t, err)
	var gold []string
	var test strings.Builder
	for i, line := range strings.Split(strings.TrimSpace(string(dev)), "\n") {
		var rec map[string]any
		must(t, json.Unmarshal([]byte(line), &rec))
		gold = append(gold, rec["label"].(string))
		delete(rec, "label")
		rec["id"] = i
		b, _ := json.Marshal(rec)
		test.Write(append(b, '\n'))
	}
	must(t, os.WriteFile(filepath.Join(dataDir, "afqmc_public", "test.json"), []byte(test.String()), 0o644))
	cells := tinyCells(t, methods.Names()...)
	for i := range cells {
		// Evaluate often at a high rate, so that the best evaluation is not the last one, and
		// in small batches of mixed lengths.
		cells[i].Hyper.Epochs, cells[i].Hyper.EvalEvery, cells[i].Hyper.LR, cells[i].Hyper.EvalBatchSize = 4, 2, 1e-2, 5
		cells[i].ID = cells[i].ContentID()
	}
	if _, err := Run(context.Background(), RunOptions{Cells: cells, Out: out, ModelDir: modelDir, DataDir: dataDir, Device: "cpu", Threads: 1, Stderr: io.Discard}); err != nil {
		t.Fatal(err)
	}
	rs, err := (&results.Store{Dir: out}).All()
	must(t, err)
	task, err := clue.Lookup("afqmc")
	must(t, err)
	ds, err := clue.Load(task, dataDir, clue.Full)
	must(t, err)
	restored := 0
	for _, r := range rs {
		if r.Convergence.BestStep < r.Steps {
			restored++
		}
		// The per-example statistics are the best evaluation's too; the test split is
		// unlabelled here, so no test metrics.
		checkDevStats(t, out, r, ds.Dev)
		if r.Test != nil {
			t.Errorf("%s: test metrics %v from an unlabelled test split", r.Cell.Name(), r.Test)
		}
		sub, err := os.ReadFile(filepath.Join(out, r.Predictions))
		must(t, err)
		right, n := 0, 0
		for _, line := range strings.Split(strings.TrimSpace(string(sub)), "\n") {
			var p struct {
				ID    int    `json:"id"`
				Label string `json:"label"`
			}
			must(t, json.Unmarshal([]byte(line), &p))
			if p.Label == gold[p.ID] {
				right++
			}
			n++
		}
		if n != len(gold) {
			t.Fatalf("%s: %d predictions for %d test rows", r.Cell.Name(), n, len(gold))
		}
		if acc := 100 * float64(right) / float64(n); acc != r.Best["accuracy"] {
			t.Errorf("%s: submission scores %.2f on the dev sentences, best dev accuracy recorded %.2f (curve %v)", r.Cell.Name(), acc, r.Best["accuracy"], r.Curve)
		}
	}
	if restored == 0 {
		t.Error("every cell's best evaluation was its last: the test did not exercise the restore")
	}
}

// frozen_bf16 lowers the frozen products of a method that leaves the encoder's own weights
// frozen (P-tuning v2, FL-tuning) and is refused (logged, not applied) for one that trains
// them (fine-tuning).
func TestFrozenBF16Cells(t *testing.T) {
	modelDir, dataDir, out := tinyAFQMCRun(t, 3)
	dir, err := model.OpenDir(modelDir)
	must(t, err)
	cells := tinyCells(t, methods.Names()...)
	for i := range cells {
		plain := cells[i].ID
		cells[i].Hyper.FrozenBF16 = true
		cells[i].ID = cells[i].ContentID()
		if cells[i].ID == plain {
			t.Fatalf("%s: frozen_bf16 does not change the cell id", cells[i].Name())
		}
	}
	sum, err := Run(context.Background(), RunOptions{Cells: cells, Out: out, ModelDir: modelDir, DataDir: dataDir, Device: "cpu", Threads: 1, Stderr: io.Discard})
	if err != nil || sum.Failed != 0 {
		t.Fatalf("run: %v %+v", err, sum)
	}
	store := &results.Store{Dir: out}
	for _, c := range cells {
		log, err := os.ReadFile(store.LogPath(c.Key()))
		must(t, err)
		m, err := methods.New(c.Method, nil)
		must(t, err)
		want := "frozen_bf16: the frozen backbone's matrix products run in bfloat16"
		// Count's trainable backbone includes the method's additions; more than those means
		// some of the encoder's own weights train.
		if added, backbone := m.Count(dir.Config); backbone > added {
			want = "frozen_bf16: not applied, " + c.Method + " trains the backbone"
		}
		if !strings.Contains(string(log), want) {
			t.Errorf("%s: log lacks %q", c.Name(), want)
		}
	}
}

// tinyRun prepares a tiny model, the data that write puts in a fresh directory and a results
// directory, and locks the test to its OS thread (libtorch's grad mode is per thread).
func tinyRun(t *testing.T, write func(dataDir string)) (modelDir, dataDir, out string) {
	t.Helper()
	if testing.Short() {
		t.Skip("trains tiny models")
	}
	tensortest.Lock(t)
	modelDir, dataDir, out = t.TempDir(), t.TempDir(), t.TempDir()
	writeTinyModel(t, modelDir)
	write(dataDir)
	return modelDir, dataDir, out
}

// tinyAFQMCRun is tinyRun with the tiny AFQMC data of seed.
func tinyAFQMCRun(t *testing.T, seed int64) (modelDir, dataDir, out string) {
	t.Helper()
	return tinyRun(t, func(dir string) { writeTinyAFQMC(t, dir, seed) })
}

// runTinyCell trains cell on a tiny random model and the data that write puts in a fresh
// directory, and returns the cell's result and results directory; the test fails unless the
// cell ran and succeeded.
func runTinyCell(t *testing.T, cell plan.Cell, write func(dataDir string)) (*results.Result, string) {
	t.Helper()
	modelDir, dataDir, out := tinyRun(t, write)
	cell.ID = cell.ContentID()
	sum, err := Run(context.Background(), RunOptions{Cells: []plan.Cell{cell}, Out: out, ModelDir: modelDir, DataDir: dataDir, Device: "cpu", Threads: 1, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	_, res := results.CellStatus(&results.Store{Dir: out}, cell)
	if sum.Ran != 1 || sum.Failed != 0 || res == nil {
		if res != nil {
			t.Logf("error: %s", res.Error)
		}
		t.Fatalf("summary %+v", sum)
	}
	return res, out
}
