package reports

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// twoBackbones is a matrix on two backbones whose numbers differ, so that a table that mixed
// them up would show it: on nezha every accuracy is 10 points lower, and fl-tuning peaks later.
func twoBackbones() []cell {
	var cs []cell
	for _, b := range []string{"nezha", "roberta"} { // written out of the paper's order
		off := 0.0
		if b == "nezha" {
			off = -10
		}
		for _, m := range []string{"p-tuning-v2", "fl-tuning"} {
			for i, seed := range []int64{1, 2} {
				acc := map[string]float64{"p-tuning-v2": 70, "fl-tuning": 74}[m] + off + float64(i)
				peak := map[string]int{"p-tuning-v2": 500, "fl-tuning": 300}[m]
				if b == "nezha" && m == "fl-tuning" {
					peak = 400
				}
				cs = append(cs, cell{task: "afqmc", method: m, seed: seed, acc: acc, peak: peak, backbone: b})
			}
		}
		cs = append(cs, cell{task: "afqmc", method: "fl-tuning", setting: "few32", split: "few:32", seed: 1, acc: 60 + off, backbone: b})
	}
	return cs
}

func TestBackbonesGroupedAndOrdered(t *testing.T) {
	r := New(loadStore(t, twoBackbones()), nil)
	var keys []string
	for _, g := range r.Groups {
		keys = append(keys, g.Key.String())
	}
	want := "roberta/afqmc/p-tuning-v2/full roberta/afqmc/fl-tuning/full roberta/afqmc/fl-tuning/few32 " +
		"nezha/afqmc/p-tuning-v2/full nezha/afqmc/fl-tuning/full nezha/afqmc/fl-tuning/few32"
	if got := strings.Join(keys, " "); got != want {
		t.Errorf("groups\n got %s\nwant %s", got, want)
	}
	var blocks []string
	for _, b := range r.Blocks {
		blocks = append(blocks, b.Backbone+":"+b.Regime)
	}
	if got := strings.Join(blocks, " "); got != "roberta:full roberta:few nezha:full nezha:few" {
		t.Errorf("blocks %s", got)
	}
}

func TestBackbonesTables(t *testing.T) {
	r := New(loadStore(t, twoBackbones()), nil)
	var md bytes.Buffer
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	// One table per backbone and regime, each with its own backbone's numbers.
	sections := strings.Split(md.String(), "\n## ")
	var titles []string
	for _, s := range sections[1:] {
		title, body, _ := strings.Cut(s, "\n")
		titles = append(titles, title)
		switch title {
		case "Full data, backbone roberta":
			checkHas(t, title, body, "**74.50 ± 0.71 (2)**", "70.50 ± 0.71 (2)")
		case "Full data, backbone nezha":
			checkHas(t, title, body, "**64.50 ± 0.71 (2)**", "60.50 ± 0.71 (2)")
		case "Few-shot, backbone nezha":
			checkHas(t, title, body, "50.00 (1)")
		case "Paper layout: full data":
			// A row per backbone × method, backbones in the paper's order.
			checkHas(t, title, body, "| Backbone | Method", "| roberta  | P-tuning v2 | 2.9%      | 70.50", "| roberta  | FL-tuning   | 2.9%      | **74.50**",
				"| nezha    | FL-tuning   | 2.9%      | 64.50")
		case "Paper layout: few-shot":
			checkHas(t, title, body, "| nezha    | FL-tuning | 2.9%      | 50.00")
		case "Convergence":
			// Steps to best per backbone, and the FL/P ratio per backbone: 500/300 and 500/400.
			checkHas(t, title, body, "| Backbone ", "| roberta  | full ", "| nezha    | full ", "1.67×", "1.25×")
		}
	}
	if got := strings.Join(titles, "; "); got != "Full data, backbone roberta; Few-shot, backbone roberta; Full data, backbone nezha; Few-shot, backbone nezha; Paper layout: full data; Paper layout: few-shot; Convergence" {
		t.Errorf("sections: %s", got)
	}

	var tex bytes.Buffer
	if err := r.WriteLaTeX(&tex); err != nil {
		t.Fatal(err)
	}
	checkHas(t, "tables.tex", tex.String(), `\label{tab:roberta-full}`, `\label{tab:nezha-few}`, `\caption{Full data, backbone nezha: best dev`, `\label{tab:paper-full}`, `\label{tab:paper-few}`)

	var buf bytes.Buffer
	if err := r.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows[0][0] != "backbone" || len(rows[0]) != len(csvHeader)+1 {
		t.Errorf("csv header %v", rows[0])
	}
	for _, row := range rows[1:] {
		if acc := row[10]; row[7] == "accuracy" && row[4] == "fl-tuning" && row[1] == "full" && (row[0] == "nezha") != strings.HasPrefix(acc, "6") {
			t.Errorf("csv row on the wrong backbone: %v", row)
		}
	}

	dir := t.TempDir()
	files, err := r.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"plots/roberta_full_afqmc.png", "plots/nezha_few32_afqmc.svg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil || !strings.Contains(strings.Join(files, " "), f) {
			t.Errorf("plot %s: %v", f, err)
		}
	}
}

func checkHas(t *testing.T, where, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", where, w, text)
		}
	}
}

// The gate keys entries by backbone too: the same (setting, task, method) on two backbones
// are two entries, and a regression on one is not hidden by, or blamed on, the other.
func TestBackbonesBaseline(t *testing.T) {
	base := loadStore(t, twoBackbones())
	b, err := NewBaseline(base, DefaultZ, DefaultFloor)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "baseline.json")
	if err := WriteBaseline(p, b); err != nil {
		t.Fatal(err)
	}
	b, err = ReadBaseline(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Entries) != 12 || b.Entries[0].Backbone != "roberta" {
		t.Fatalf("%d entries, first %+v", len(b.Entries), b.Entries[0])
	}
	raw, _ := os.ReadFile(p)
	if !strings.Contains(string(raw), `"backbone": "nezha"`) {
		t.Errorf("baseline does not record backbones:\n%s", raw)
	}
	cur := twoBackbones()
	for i := range cur {
		if cur[i].backbone == "nezha" && cur[i].method == "fl-tuning" && cur[i].setting == "" {
			cur[i].acc -= 5
		}
	}
	c := Compare(b, loadStore(t, cur))
	if c.Count(Regressed) != 2 || len(c.Warnings) != 2 || !strings.Contains(c.Warnings[1], "nezha/afqmc/fl-tuning/few32 has 1 baseline") {
		t.Fatalf("%d regressed, warnings %v", c.Count(Regressed), c.Warnings)
	}
	for _, d := range c.Deltas {
		if (d.Verdict == Regressed) != (d.Backbone == "nezha" && d.Method == "fl-tuning" && d.Setting == "full") {
			t.Errorf("%s %s: %s", d.Key, d.Metric, d.Verdict)
		}
	}
	var out bytes.Buffer
	if err := c.WriteTable(&out, false); err != nil {
		t.Fatal(err)
	}
	checkHas(t, "compare table", out.String(), "| Backbone ", "| nezha ")
	// A baseline of one backbone against results of several: every entry is missing, every
	// group is new; none is matched across backbones.
	one := loadStore(t, smallMatrix())
	ob, _ := NewBaseline(one, DefaultZ, DefaultFloor)
	c = Compare(ob, base)
	if len(c.Deltas) != 0 {
		t.Errorf("%d deltas between a one-backbone baseline and named backbones", len(c.Deltas))
	}
}
