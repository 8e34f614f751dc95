package bench

import (
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/clue"
	"github.com/clue-bench/clue-bench/heads"
)

// writeTinyCLUENER writes a CLUENER-layout task over the tiny model's characters: "好" then
// 甲 or 乙 is a name, "坏" then 丙 or 丁 a company, among filler characters 戊…癸.
func writeTinyCLUENER(t *testing.T, dir string, seed int64) {
	t.Helper()
	d := filepath.Join(dir, "cluener_public")
	must(t, os.MkdirAll(d, 0o755))
	r := rand.New(rand.NewSource(seed))
	filler := func(sb *[]rune, n int) {
		for i := 0; i < n; i++ {
			*sb = append(*sb, tinyChars[4+r.Intn(6)])
		}
	}
	write := func(name string, n int, labelled bool) {
		var out strings.Builder
		for i := 0; i < n; i++ {
			var text []rune
			label := map[string]map[string][][2]int{}
			filler(&text, 1+r.Intn(3))
			for k := 0; k < 1+r.Intn(2); k++ {
				typ, ent := "name", []rune{'好', tinyChars[r.Intn(2)]}
				if r.Intn(2) == 0 {
					typ, ent = "company", []rune{'坏', tinyChars[2+r.Intn(2)]}
				}
				start := len(text)
				text = append(text, ent...)
				if label[typ] == nil {
					label[typ] = map[string][][2]int{}
				}
				label[typ][string(ent)] = append(label[typ][string(ent)], [2]int{start, start + len(ent) - 1})
				filler(&text, 1+r.Intn(3))
			}
			rec := map[string]any{"text": string(text)}
			if labelled {
				rec["label"] = label
			} else {
				rec["id"] = i
			}
			line, _ := json.Marshal(rec)
			out.Write(line)
			out.WriteByte('\n')
		}
		must(t, os.WriteFile(filepath.Join(d, name), []byte(out.String()), 0o644))
	}
	write("train.json", 64, true)
	write("dev.json", 16, true)
	write("test.json", 6, false)
}

func TestRunCLUENEREndToEnd(t *testing.T) {
	cell := plan.Cell{Task: "cluener", Method: "fine-tuning", Setting: "full", Seed: 5, Split: "full", MethodOptions: json.RawMessage(`{}`),
		Hyper: plan.Hyper{MaxLen: 24, BatchSize: 16, EvalBatchSize: 8, Epochs: 12, LR: 5e-3, WeightDecay: 0.01, Accumulate: 1, HeadDropout: 0.1, Clip: 1}}
	res, out := runTinyCell(t, cell, func(dir string) { writeTinyCLUENER(t, dir, 3) })
	var names []string
	for _, m := range res.Metrics {
		names = append(names, m.Name)
	}
	if strings.Join(names, ",") != "f1,precision,recall,official_f1" {
		t.Errorf("metrics %v, want f1 (headline), precision, recall, official_f1", names)
	}
	for _, m := range []string{"f1", "official_f1"} {
		if v, ok := res.Best[m]; !ok || v < 0 || v > 100 {
			t.Errorf("best dev %s = %v (present %v)", m, v, ok)
		}
	}
	if want := heads.GlobalPointerParams(32, 10); res.Params.Head != want || res.Params.Trainable <= want {
		t.Errorf("params %+v, want a head of %d", res.Params, want)
	}
	if len(res.Curve) != 12 || res.Steps != 48 {
		t.Errorf("curve %d points, %d steps; want 12 and 48", len(res.Curve), res.Steps)
	}
	// The rule is a two-character pattern that fine-tuning finds in about 30 steps.
	if res.Best["f1"] < 50 {
		t.Errorf("best dev f1 %.1f: the head learnt nothing", res.Best["f1"])
	}
	t.Logf("dev f1 %.1f, official %.1f, %.1f ms/step", res.Best["f1"], res.Best["official_f1"], res.Time.MeanStepMS)

	if filepath.Base(res.Predictions) != "cluener_predict.json" {
		t.Errorf("predictions file %q", res.Predictions)
	}
	f, err := os.Open(filepath.Join(out, res.Predictions))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	task, _ := clue.Lookup("cluener")
	ids, _, err := clue.ReadPredictions(f, res.Predictions, task)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids, ",") != "0,1,2,3,4,5" {
		t.Errorf("submission ids %v, want the 6 test ids in order", ids)
	}
}
