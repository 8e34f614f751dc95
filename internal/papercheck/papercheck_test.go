//go:build papercheck

package papercheck

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clue-bench/clue-bench/bench/results"
	"github.com/clue-bench/clue-bench/model"
	"github.com/clue-bench/clue-bench/reports"
	"github.com/clue-bench/clue-bench/scale/fixture"
)

// paperModels are paper.yaml's backbone directories below ${CLUE_MODELS}, by architecture.
var paperModels = map[string]string{
	"chinese-roberta-wwm-ext":    model.ArchBERT,
	"nezha-base-wwm":             model.ArchNEZHA,
	"roformer_chinese_char_base": model.ArchRoFormer,
}

type planRow struct {
	Name  string `json:"name"`
	Seed  int64  `json:"seed"`
	Steps int    `json:"estimated_steps"`
	Cell  struct {
		Task, Method, Setting string
		BackboneName          string `json:"backbone_name"`
	} `json:"cell"`
}

func TestPaperCheck(t *testing.T) {
	start := time.Now()
	root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		t.Fatalf("find the module: %v", err)
	}
	repo := strings.TrimSpace(string(root))
	steps := 2
	if v := os.Getenv("PAPERCHECK_STEPS"); v != "" {
		if steps, err = strconv.Atoi(v); err != nil || steps < 1 {
			t.Fatalf("PAPERCHECK_STEPS=%q: want a positive integer", v)
		}
	}

	dir := t.TempDir()
	bin := filepath.Join(dir, "bench")
	build := exec.Command("go", "build", "-o", bin, "./cmd/bench")
	build.Dir = repo
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build bench: %v\n%s", err, out)
	}
	data, models, out := filepath.Join(dir, "data"), filepath.Join(dir, "models"), filepath.Join(dir, "results")
	if err := fixture.PublishedLayout(filepath.Join(repo, "clue", "testdata"), data); err != nil {
		t.Fatal(err)
	}
	chars, err := fixture.DataChars(data)
	if err != nil {
		t.Fatal(err)
	}
	for name, arch := range paperModels {
		if err := fixture.WriteArchModel(filepath.Join(models, name), arch, chars, 1); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("fixtures and build: %.1fs", time.Since(start).Seconds())

	env := append(os.Environ(), "CLUE_DATA="+data, "CLUE_MODELS="+models, "CLUE_RESULTS="+out, "OMP_WAIT_POLICY=passive")
	bench := func(args ...string) (string, string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Env = repo, env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}

	// Every cell of the matrix plans, and its training data reads (estimated steps known).
	stdout, stderr, err := bench("plan", "-c", "paper.yaml", "--json")
	if err != nil {
		t.Fatalf("bench plan -c paper.yaml: %v\n%s", err, stderr)
	}
	var rows []planRow
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r planRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("plan --json line %q: %v", sc.Text(), err)
		}
		rows = append(rows, r)
		if r.Steps < 0 {
			t.Errorf("%s s%d: training data unreadable at plan time", r.Name, r.Seed)
		}
	}
	t.Logf("plan: %d cells", len(rows))

	only := selectCells(t, rows)
	args := []string{"run", "-c", "paper.yaml", "--device", "cpu", "--limit", strconv.Itoa(steps)}
	for _, g := range only {
		args = append(args, "--only", g)
	}
	t0 := time.Now()
	stdout, stderr, err = bench(args...)
	t.Logf("run: %d cells, %d steps each, %.1fs", len(only), steps, time.Since(t0).Seconds())
	if err != nil {
		t.Errorf("bench run: %v\n%s", err, lastLines(stdout+stderr, 40))
	}

	rs, err := (&results.Store{Dir: out}).All()
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != len(only) {
		t.Errorf("%d results for %d selected cells", len(rs), len(only))
	}
	for _, r := range rs {
		name := r.Cell.Name()
		if r.Status != results.ResultOK {
			t.Errorf("%s: status %s: %s", name, r.Status, r.Error)
			continue
		}
		if len(r.Best) == 0 {
			t.Errorf("%s: no dev metrics", name)
		}
		if r.Predictions == "" {
			t.Errorf("%s: no submission file", name)
			continue
		}
		if st, err := os.Stat(filepath.Join(out, r.Predictions)); err != nil || st.Size() == 0 {
			t.Errorf("%s: submission %s: %v (empty: %v)", name, r.Predictions, err, err == nil && st.Size() == 0)
		}
	}

	// The report renders the paper's tables and checks the claims.
	t0 = time.Now()
	report := filepath.Join(out, "report")
	if _, stderr, err := bench("report", "--results", out, "--reference", "reference.yaml", "--out", report); err != nil {
		t.Fatalf("bench report: %v\n%s", err, stderr)
	}
	t.Logf("report: %.1fs", time.Since(t0).Seconds())
	md, err := os.ReadFile(filepath.Join(report, reports.FileTables))
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, string(md), rows)
	if i := strings.Index(string(md), "## Paper layout"); i >= 0 {
		section := string(md[i:])
		if j := strings.Index(section, "## Claims"); j >= 0 {
			section = section[:j]
		}
		t.Logf("the report's paper tables (random models, %d steps: the numbers mean nothing):\n%s", steps, section)
	}
	checkClaims(t, filepath.Join(report, reports.FileClaims), true)

	// With cells missing, the report says so: a claim without its baseline's cells is not
	// run, and a few-shot value over part of its folds is marked.
	var gone int
	mark := ""
	for _, r := range rs {
		c := r.Cell
		cluenerPT := c.Task == "cluener" && c.Method == "p-tuning-v2" && strings.HasPrefix(c.Setting, "kshot")
		fold := mark == "" && c.Setting == "few3" // one with all five folds: only those ran few3
		if cluenerPT || fold {
			if err := os.Remove(filepath.Join(out, "cells", c.Key()+".json")); err != nil {
				t.Fatal(err)
			}
			gone++
		}
		if fold {
			mark = fmt.Sprintf("%s %s on %s (4 of 5)", c.BackboneName, reports.MethodName(c.Method), reports.TaskName(c.Task))
		}
	}
	partial := filepath.Join(dir, "report-partial")
	if _, stderr, err := bench("report", "--results", out, "--reference", "reference.yaml", "--out", partial); err != nil {
		t.Fatalf("bench report with %d cells removed: %v\n%s", gone, err, stderr)
	}
	if md, err := os.ReadFile(filepath.Join(partial, reports.FileTables)); err != nil {
		t.Fatal(err)
	} else if mark == "" || !strings.Contains(string(md), mark) {
		t.Errorf("the report with a fold removed does not mark the partial average %q", mark)
	}
	checkClaims(t, filepath.Join(partial, reports.FileClaims), false)

	t.Logf("paper-check: %.1fs in all", time.Since(start).Seconds())
}

// selectCells picks cells of seed 1: every full-data task on every backbone with every
// method; every few-shot task's first fold (or draw) on every backbone with every method; and
// all its folds on each backbone with one method, rotating with the task, so that every
// method averages complete folds on every backbone somewhere and every fold runs.
func selectCells(t *testing.T, rows []planRow) []string {
	var bs, ms, fewTasks []string
	for _, r := range rows {
		if !slices.Contains(bs, r.Cell.BackboneName) {
			bs = append(bs, r.Cell.BackboneName)
		}
		if !slices.Contains(ms, r.Cell.Method) {
			ms = append(ms, r.Cell.Method)
		}
		if r.Cell.Setting != "full" && !slices.Contains(fewTasks, r.Cell.Task) {
			fewTasks = append(fewTasks, r.Cell.Task)
		}
	}
	if len(bs) != 3 || len(ms) != 3 {
		t.Fatalf("backbones %v, methods %v: want three of each", bs, ms)
	}
	var only []string
	for _, r := range rows {
		c := r.Cell
		first := c.Setting == "few0" || c.Setting == "kshot0"
		rotated := slices.Index(ms, c.Method) == (slices.Index(fewTasks, c.Task)+slices.Index(bs, c.BackboneName))%3
		if r.Seed == 1 && (c.Setting == "full" || first || rotated) {
			only = append(only, fmt.Sprintf("%s/s1", r.Name))
		}
	}
	return only
}

// checkReport checks that the report has the paper's layout: a full-data and a few-shot
// table with a row per backbone and method, a column per task, Avg and the trainable share,
// and every claim of reference.yaml with a verdict.
func checkReport(t *testing.T, md string, rows []planRow) {
	for _, h := range []string{"## Paper layout: full data", "## Paper layout: few-shot"} {
		if !strings.Contains(md, h) {
			t.Errorf("report lacks %q", h)
		}
	}
	for _, r := range rows {
		label := regexp.MustCompile(`(?m)^\| ` + regexp.QuoteMeta(r.Cell.BackboneName) + ` +\| `)
		if !label.MatchString(md) {
			t.Errorf("report has no row of backbone %s", r.Cell.BackboneName)
			break
		}
	}
	for _, col := range []string{"Avg", "Trainable"} {
		if !strings.Contains(md, col) {
			t.Errorf("report lacks column %q", col)
		}
	}
	if !strings.Contains(md, "## Claims") {
		t.Errorf("report lacks the claims")
	}
}

// checkClaims checks claims.json's verdicts: with every cell, the abstract's claims are
// decided (holds or does not hold); with few-shot CLUENER's P-tuning v2 cells removed, its
// claim is "not run" and the others stay decided.
func checkClaims(t *testing.T, path string, complete bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Claims []reports.ClaimResult `json:"claims"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	want := map[string]bool{"wsc10-fl-vs-ptv2": true, "wsc-fl-vs-ft": true, "fl-params": true,
		"convergence-fl-vs-ptv2": true, "cluener-fl-vs-ptv2-few": complete}
	for _, c := range doc.Claims {
		decided, ok := want[c.ID]
		if !ok {
			continue
		}
		delete(want, c.ID)
		if decided != (c.Status != reports.NotRun) {
			t.Errorf("%s: claim %s: %s (%s)", path, c.ID, c.Status, c.Detail)
		}
	}
	if len(want) > 0 {
		t.Errorf("%s lacks claims %v", path, want)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
