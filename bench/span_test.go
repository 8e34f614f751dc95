package bench

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/clue-bench/clue-bench/bench/plan"
)

// writeTinyCMRC writes a CMRC2018-layout task over the tiny model's characters. Contexts are
// longer than one window at max_len 16, so questions are answered across windows.
func writeTinyCMRC(t *testing.T, dir string, seed int64) {
	t.Helper()
	d := filepath.Join(dir, "cmrc2018_public")
	must(t, os.MkdirAll(d, 0o755))
	r := rand.New(rand.NewSource(seed))
	write := func(name string, n int, labelled bool) {
		var paras []any
		for i := 0; i < n; i++ {
			ctx := make([]rune, 14+r.Intn(10))
			for k := range ctx {
				ctx[k] = tinyChars[4+r.Intn(6)]
			}
			at := r.Intn(len(ctx) - 2)
			ctx[at] = '好' // the answer is the two characters after 好
			qa := map[string]any{"question": "好", "id": fmt.Sprintf("%s_%d", name, i)}
			if labelled {
				qa["answers"] = []any{map[string]any{"text": string(ctx[at+1 : at+3]), "answer_start": at + 1}}
			}
			paras = append(paras, map[string]any{"id": i, "context": string(ctx), "qas": []any{qa}})
		}
		b, _ := json.Marshal(map[string]any{"version": "v1.0", "data": []any{map[string]any{"paragraphs": paras}}})
		must(t, os.WriteFile(filepath.Join(d, name), b, 0o644))
	}
	write("train.json", 24, true)
	write("dev.json", 8, true)
	write("test.json", 3, false)
}

func TestRunCMRC2018EndToEnd(t *testing.T) {
	cell := plan.Cell{Task: "cmrc2018", Method: "p-tuning-v2", Setting: "full", Seed: 5, Split: "full", MethodOptions: json.RawMessage(`{"prefix_len": 4}`),
		Hyper: plan.Hyper{MaxLen: 16, BatchSize: 16, EvalBatchSize: 16, Epochs: 1, LR: 3e-3, WeightDecay: 0.01, Accumulate: 1, HeadDropout: 0.1, Clip: 1}}
	res, out := runTinyCell(t, cell, func(dir string) { writeTinyCMRC(t, dir, 6) })
	if len(res.Metrics) != 2 || res.Metrics[0].Name != "em" || res.Metrics[1].Name != "f1" || res.Params.Head != 66 {
		t.Errorf("metrics %+v, head params %d", res.Metrics, res.Params.Head)
	}
	for _, m := range []string{"em", "f1"} {
		if v, ok := res.Best[m]; !ok || v < 0 || v > 100 {
			t.Errorf("best dev %s = %v (present %v)", m, v, ok)
		}
	}
	// Windows, not questions, are the training units: 24 questions make more than 24.
	if res.Steps < 2 {
		t.Errorf("%d steps for one epoch over the windows of 24 questions", res.Steps)
	}
	b, err := os.ReadFile(filepath.Join(out, res.Predictions))
	if err != nil {
		t.Fatal(err)
	}
	var answers map[string]string
	if err := json.Unmarshal(b, &answers); err != nil || len(answers) != 3 || filepath.Base(res.Predictions) != "cmrc2018_predict.json" {
		t.Errorf("predictions %s: %v %v", res.Predictions, answers, err)
	}
}
