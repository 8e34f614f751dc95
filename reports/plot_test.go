package reports

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clue-bench/clue-bench/bench/results"
)

func TestPlots(t *testing.T) {
	set := loadStore(t, smallMatrix())
	dir := t.TempDir()
	files, interp, err := writePlots(dir, Aggregate(set.OK))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"full_afqmc.png", "full_afqmc.svg", "full_wsc10.png", "full_wsc10.svg", "few32_afqmc.png", "few32_afqmc.svg"}
	if strings.Join(files, " ") != strings.Join(want, " ") {
		t.Errorf("files %v, want %v", files, want)
	}
	if len(interp) != 0 {
		t.Errorf("interpolated %v; every seed shares its steps", interp)
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(f) {
		case ".png":
			cfg, err := png.DecodeConfig(bytes.NewReader(b))
			if err != nil || cfg.Width < 100 || cfg.Height < 100 {
				t.Errorf("%s: not a usable PNG: %v %+v", f, err, cfg)
			}
		case ".svg":
			var root struct{ XMLName xml.Name }
			if err := xml.Unmarshal(b, &root); err != nil || root.XMLName.Local != "svg" {
				t.Errorf("%s: not an SVG document: %v, root %q", f, err, root.XMLName.Local)
			}
			if !bytes.Contains(b, []byte("FL-tuning (3 seeds)")) && f != "few32_afqmc.svg" {
				t.Errorf("%s: no legend entry for FL-tuning", f)
			}
		}
	}
}

func TestPlotsInterpolated(t *testing.T) {
	rs := []*results.Result{
		curveResult("afqmc", "fl-tuning", 1, []int{0, 100}, []float64{0, 100}),
		curveResult("afqmc", "fl-tuning", 2, []int{0, 50, 200}, []float64{0, 50, 80}),
	}
	set, err := NewSet("r", rs)
	if err != nil {
		t.Fatal(err)
	}
	r := New(set, nil)
	if strings.Join(r.Interpolated, ",") != "full/afqmc" {
		t.Errorf("Interpolated = %v", r.Interpolated)
	}
	var buf bytes.Buffer
	if err := r.WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "linearly interpolated onto a common grid of 50 steps before averaging: `full/afqmc`") {
		t.Errorf("tables.md does not say the curves were interpolated:\n%s", buf.String())
	}
	files, interp, err := writePlots(t.TempDir(), r.Groups)
	if err != nil || len(files) != 2 || len(interp) != 1 {
		t.Errorf("writePlots = %v, %v, %v", files, interp, err)
	}
}
