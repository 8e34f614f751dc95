package bench

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/clue"
)

// writeTinyC3 writes a C3-layout task over the tiny model's characters: the right choice is
// the one character that occurs in the context. Questions have 2 to 4 choices.
func writeTinyC3(t *testing.T, dir string, seed int64) {
	t.Helper()
	d := filepath.Join(dir, "c3_public")
	must(t, os.MkdirAll(d, 0o755))
	r := rand.New(rand.NewSource(seed))
	write := func(name string, docs int, labelled bool) {
		var all []any
		for i := 0; i < docs; i++ {
			perm := r.Perm(len(tinyChars))
			ctx := []rune{tinyChars[perm[0]]}
			var qs []any
			for q := 0; q < 2; q++ {
				n := 2 + r.Intn(3)
				choices := make([]string, n)
				for c := range choices {
					choices[c] = string(tinyChars[perm[1+q*4+c]])
				}
				a := r.Intn(n)
				ctx = append(ctx, []rune(choices[a])...)
				qa := map[string]any{"question": "好", "choice": choices}
				if labelled {
					qa["answer"] = choices[a]
				} else {
					qa["id"] = i*2 + q
				}
				qs = append(qs, qa)
			}
			all = append(all, []any{[]string{string(ctx)}, qs, name + "-" + string(rune('a'+i))})
		}
		b, _ := json.MarshalIndent(all, "", " ")
		must(t, os.WriteFile(filepath.Join(d, name), b, 0o644))
	}
	write("d-train.json", 8, true)
	write("m-train.json", 8, true)
	write("d-dev.json", 4, true)
	write("m-dev.json", 4, true)
	write("test1.1.json", 3, false)
}

func TestRunC3EndToEnd(t *testing.T) {
	cell := plan.Cell{Task: "c3", Method: "fl-tuning", Setting: "full", Seed: 5, Split: "full", MethodOptions: json.RawMessage(`{"units": 8}`),
		Hyper: plan.Hyper{MaxLen: 16, BatchSize: 8, EvalBatchSize: 8, Epochs: 2, LR: 3e-3, WeightDecay: 0.01, Accumulate: 2, HeadDropout: 0.1, Clip: 1}}
	res, out := runTinyCell(t, cell, func(dir string) { writeTinyC3(t, dir, 4) })
	if len(res.Metrics) != 1 || res.Metrics[0].Name != "accuracy" || res.Data.Train != 32 || res.Data.Test != 6 {
		t.Errorf("metrics %+v, data %+v", res.Metrics, res.Data)
	}
	if v, ok := res.Best["accuracy"]; !ok || v < 0 || v > 100 {
		t.Errorf("best dev accuracy %v (present %v)", v, ok)
	}
	// 32 questions, batches of 8, two per step: 2 steps per epoch.
	if res.Params.Head != 33 || res.Steps != 4 || len(res.Curve) != 2 {
		t.Errorf("head params %d, steps %d, curve %d; want 33, 4, 2", res.Params.Head, res.Steps, len(res.Curve))
	}
	if filepath.Base(res.Predictions) != "c311_predict.json" {
		t.Fatalf("predictions file %q", res.Predictions)
	}
	f, err := os.Open(filepath.Join(out, res.Predictions))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	task, _ := clue.Lookup("c3")
	ids, _, err := clue.ReadPredictions(f, res.Predictions, task)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids, ",") != "0,1,2,3,4,5" {
		t.Errorf("submission ids %v", ids)
	}
}

// writeTinyCHID writes a CHID-layout task: each record has two passages with one blank each,
// the candidates are two-character "idioms" of the tiny vocabulary, and the answer to a blank
// is the candidate whose first character starts its passage.
func writeTinyCHID(t *testing.T, dir string, seed int64) {
	t.Helper()
	d := filepath.Join(dir, "chid_public")
	must(t, os.MkdirAll(d, 0o755))
	r := rand.New(rand.NewSource(seed))
	tag := 0
	write := func(name string, n int, labelled bool) {
		var lines strings.Builder
		answers := map[string]int{}
		for i := 0; i < n; i++ {
			perm := r.Perm(8)
			cands := make([]string, 4)
			for c := range cands {
				cands[c] = string([]rune{tinyChars[perm[c]], tinyChars[8+c%4]})
			}
			var content []string
			for p := 0; p < 2; p++ {
				tag++
				a := r.Intn(4)
				key := fmt.Sprintf("#idiom%06d#", tag)
				content = append(content, string([]rune(cands[a])[:1])+"好"+key+"坏")
				answers[key] = a
			}
			line, _ := json.Marshal(map[string]any{"candidates": cands, "content": content})
			lines.Write(line)
			lines.WriteByte('\n')
		}
		must(t, os.WriteFile(filepath.Join(d, name+".json"), []byte(lines.String()), 0o644))
		if labelled {
			b, _ := json.Marshal(answers)
			must(t, os.WriteFile(filepath.Join(d, name+"_answer.json"), b, 0o644))
		}
	}
	write("train", 12, true)
	write("dev", 4, true)
	write("test1.1", 2, false)
}

func TestRunCHIDEndToEnd(t *testing.T) {
	cell := plan.Cell{Task: "chid", Method: "fine-tuning", Setting: "full", Seed: 5, Split: "full", MethodOptions: json.RawMessage(`{}`),
		Hyper: plan.Hyper{MaxLen: 12, BatchSize: 8, EvalBatchSize: 8, Epochs: 1, LR: 3e-3, WeightDecay: 0.01, Accumulate: 1, HeadDropout: 0.1, Clip: 1}}
	res, out := runTinyCell(t, cell, func(dir string) { writeTinyCHID(t, dir, 8) })
	if _, ok := res.Best["assignment_accuracy"]; !ok || res.Data.Train != 24 {
		t.Errorf("best %v, data %+v", res.Best, res.Data)
	}
	b, err := os.ReadFile(filepath.Join(out, res.Predictions))
	if err != nil {
		t.Fatal(err)
	}
	var sub map[string]int
	if err := json.Unmarshal(b, &sub); err != nil || len(sub) != 4 || filepath.Base(res.Predictions) != "chid11_predict.json" {
		t.Fatalf("submission %s: %v %v", res.Predictions, sub, err)
	}
	// The two blanks of a record share its candidates: the submitted assignment never gives
	// both the same one.
	if sub["#idiom000033#"] == sub["#idiom000034#"] || sub["#idiom000035#"] == sub["#idiom000036#"] {
		t.Errorf("one candidate assigned to two blanks of a record: %v", sub)
	}
}
