//go:build cgo

package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/bench/results"
	"github.com/clue-bench/clue-bench/scale/fixture"
)

// twoBackbonesConfig is the scale-out fixture's matrix on two named backbones, both the
// fixture's model, one seed and two methods: four cells.
var twoBackbonesConfig = strings.NewReplacer(
	"backbone: model\n", "backbones:\n  roberta: model\n  nezha: ./model/\n",
	"seeds: [1, 2]", "seeds: [1]",
	"  p-tuning-v2: {options: {prefix_len: 4}}\n", "",
).Replace(fixture.Config)

// A matrix of two backbones end to end: plan, ls, run by backbone glob, run-cell from a
// frozen plan, status, report, baseline and compare.
func TestTwoBackbonesEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("trains tiny models")
	}
	dir := t.TempDir()
	p, err := fixture.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(twoBackbonesConfig, "nezha: ./model/") || strings.Contains(twoBackbonesConfig, "p-tuning") {
		t.Fatalf("config edits not applied:\n%s", twoBackbonesConfig)
	}
	if err := os.WriteFile(p.Config, []byte(twoBackbonesConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "results")
	bench := func(want int, args ...string) string {
		t.Helper()
		code, stdout, stderr := runBench(t, args...)
		if code != want {
			t.Fatalf("bench %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, stdout, stderr)
		}
		return stdout + stderr
	}
	contains := func(what, text string, wants ...string) {
		t.Helper()
		for _, w := range wants {
			if !strings.Contains(text, w) {
				t.Errorf("%s lacks %q:\n%s", what, w, text)
			}
		}
	}

	contains("plan", bench(0, "plan", "-c", p.Config),
		"0  nezha/afqmc/fine-tuning/full", "3  roberta/afqmc/fl-tuning/full", "4 cells on 2 backbone(s) (nezha, roberta): 4 pending")
	contains("ls backbones", bench(0, "ls", "-c", p.Config, "backbones"), "nezha     model      2", "roberta   model      2")

	// One backbone's cells by glob.
	contains("run --only", bench(0, "run", "-c", p.Config, "--only", "nezha/*/*/*/s1"), "2 ran (0 failed)")
	for _, key := range []string{"nezha__afqmc__fine-tuning__full__s1", "nezha__afqmc__fl-tuning__full__s1"} {
		if _, err := os.Stat(filepath.Join(out, "cells", key+".json")); err != nil {
			t.Error(err)
		}
	}
	// The other's, one through a frozen plan and run-cell, the other by run.
	planPath := filepath.Join(dir, "plan.json")
	bench(0, "plan", "-c", p.Config, "--freeze", planPath)
	frozen, err := plan.ReadFrozen(planPath)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(frozen.Backbones, map[string]string{"nezha": p.Model, "roberta": p.Model}) || frozen.Backbone != "" {
		t.Errorf("frozen backbones %v, backbone %q", frozen.Backbones, frozen.Backbone)
	}
	contains("run-cell", bench(0, "run-cell", "--plan", planPath, "--index", "2"), "cell 2 roberta__afqmc__fine-tuning__full__s1: ran: ok")
	contains("status", bench(0, "status", "--plan", planPath),
		"0  nezha/afqmc/fine-tuning/full", "2  roberta/afqmc/fine-tuning/full", "4 cells in "+planPath+": 3 done, 1 pending")
	contains("run", bench(0, "run", "-c", p.Config), "1 ran (0 failed), 3 skipped")

	// Both names stand for the same model, so their cells computed the same numbers.
	store := &results.Store{Dir: out}
	for _, m := range []string{"fine-tuning", "fl-tuning"} {
		a, errA := store.Read("nezha__afqmc__" + m + "__full__s1")
		b, errB := store.Read("roberta__afqmc__" + m + "__full__s1")
		if errA != nil || errB != nil || a == nil || b == nil {
			t.Fatalf("%s: %v %v", m, errA, errB)
		}
		if !reflect.DeepEqual(a.Best, b.Best) || a.Cell.ID == b.Cell.ID || a.Cell.Backbone != "model" || b.Cell.BackboneName != "roberta" {
			t.Errorf("%s: best %v vs %v, ids %s %s, backbones %q %q", m, a.Best, b.Best, a.Cell.ID, b.Cell.ID, a.Cell.Backbone, b.Cell.BackboneName)
		}
	}

	contains("report", bench(0, "report", "--results", out), "## Full data, backbone roberta", "## Full data, backbone nezha", "| Backbone ")
	baseline := filepath.Join(dir, "baseline.json")
	bench(0, "baseline", "--results", out, "--out", baseline)
	contains("compare", bench(0, "compare", "--baseline", baseline, "--results", out, "--all"), "| Backbone ", "| nezha ", "0 regressed")

	// A backbone directory that does not exist fails before any cell, naming its line.
	bad := strings.Replace(twoBackbonesConfig, "nezha: ./model/", "nezha: no-model", 1)
	if err := os.WriteFile(p.Config, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	contains("bad backbone", bench(1, "run", "-c", p.Config, "--out", filepath.Join(dir, "never")),
		p.Config+":4: backbones.nezha: stat "+filepath.Join(dir, "no-model")+": no such file or directory")
	// Selecting only the good backbone runs without looking at the other.
	contains("good backbone only", bench(0, "run", "-c", p.Config, "--only", "roberta"), "0 ran (0 failed), 2 skipped")
}
