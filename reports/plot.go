package reports

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// gridPoints is the size of the common step grid used when a method's seeds were evaluated at
// different steps.
const gridPoints = 50

// MeanCurve is a method's dev headline against optimiser steps, averaged over seeds.
type MeanCurve struct {
	Method       string
	Steps        []float64
	Mean, Std    []float64 // Std is 0 where fewer than two seeds contribute
	Seeds        int
	Interpolated bool // seeds had different evaluation steps; see meanCurve
}

// meanCurve averages a group's curves. Seeds that share hyper-parameters are evaluated at the
// same steps and are averaged point by point. Otherwise each curve is linearly interpolated
// onto gridPoints evenly spaced steps spanning the range all seeds cover (all seeds' full
// range, held constant past a curve's ends, if they do not overlap).
func meanCurve(g *Group) MeanCurve {
	metric := g.Headline().Name
	type curve struct{ x, y []float64 }
	var cs []curve
	for _, r := range g.Cells {
		var c curve
		for _, p := range r.Curve {
			if v, ok := p.Dev[metric]; ok {
				c.x, c.y = append(c.x, float64(p.Step)), append(c.y, v)
			}
		}
		if len(c.x) > 0 {
			cs = append(cs, c)
		}
	}
	mc := MeanCurve{Method: g.Method, Seeds: len(cs)}
	if len(cs) == 0 {
		return mc
	}
	same := true
	for _, c := range cs[1:] {
		same = same && slices.Equal(c.x, cs[0].x)
	}
	if same {
		mc.Steps = cs[0].x
	} else {
		mc.Interpolated = true
		lo, hi := math.Inf(-1), math.Inf(1)
		for _, c := range cs {
			lo, hi = math.Max(lo, c.x[0]), math.Min(hi, c.x[len(c.x)-1])
		}
		if lo >= hi {
			lo, hi = math.Inf(1), math.Inf(-1)
			for _, c := range cs {
				lo, hi = math.Min(lo, c.x[0]), math.Max(hi, c.x[len(c.x)-1])
			}
		}
		for i := 0; i < gridPoints; i++ {
			mc.Steps = append(mc.Steps, lo+(hi-lo)*float64(i)/float64(gridPoints-1))
		}
	}
	for _, x := range mc.Steps {
		ys := make([]float64, len(cs))
		for i, c := range cs {
			ys[i] = interp(c.x, c.y, x)
		}
		s := Summarize(ys)
		mc.Mean, mc.Std = append(mc.Mean, s.Mean), append(mc.Std, s.Std)
	}
	return mc
}

// interp evaluates the piecewise-linear curve (xs, ys), xs increasing, at x, holding the end
// values outside it.
func interp(xs, ys []float64, x float64) float64 {
	if x <= xs[0] {
		return ys[0]
	}
	for i := 1; i < len(xs); i++ {
		if x <= xs[i] {
			if xs[i] == xs[i-1] {
				return ys[i]
			}
			t := (x - xs[i-1]) / (xs[i] - xs[i-1])
			return ys[i-1] + t*(ys[i]-ys[i-1])
		}
	}
	return ys[len(ys)-1]
}

// plotCurves draws one (setting, task)'s mean curves with ±std bands and saves
// <dir>/<setting>_<task>.png and .svg (<dir>/<backbone>_<setting>_<task>.* for a backbone of
// several). It returns the file names (relative to dir) and whether any curve was
// interpolated.
func plotCurves(dir string, gs []*Group) (files []string, interpolated bool, err error) {
	g0 := gs[0]
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s, setting %s", TaskName(g0.Task), settingLabel(g0.Setting, g0.Split))
	if g0.Backbone != "" {
		p.Title.Text += ", backbone " + g0.Backbone
	}
	p.X.Label.Text = "optimiser step"
	p.Y.Label.Text = "dev " + g0.Headline().Name + " (%)"
	// Dev curves mostly rise (fall, for lower-is-better metrics) towards the right, so the
	// opposite lower (upper) right corner is the one most likely to be free.
	p.Legend.Top = !g0.Headline().HigherIsBetter
	p.Add(plotter.NewGrid())
	drawn := 0
	for i, g := range gs {
		mc := meanCurve(g)
		if len(mc.Steps) == 0 {
			continue
		}
		interpolated = interpolated || mc.Interpolated
		col := plotutil.Color(i)
		if mc.Seeds > 1 {
			band := make(plotter.XYs, 0, 2*len(mc.Steps))
			for j := range mc.Steps {
				band = append(band, plotter.XY{X: mc.Steps[j], Y: mc.Mean[j] + mc.Std[j]})
			}
			for j := len(mc.Steps) - 1; j >= 0; j-- {
				band = append(band, plotter.XY{X: mc.Steps[j], Y: mc.Mean[j] - mc.Std[j]})
			}
			poly, err := plotter.NewPolygon(band)
			if err != nil {
				return nil, false, fmt.Errorf("plot %s: band: %w", g.Key, err)
			}
			r, gg, b, _ := col.RGBA()
			poly.Color = color.NRGBA{R: uint8(r >> 8), G: uint8(gg >> 8), B: uint8(b >> 8), A: 0x40}
			poly.LineStyle.Width = 0
			p.Add(poly)
		}
		xys := make(plotter.XYs, len(mc.Steps))
		for j := range mc.Steps {
			xys[j] = plotter.XY{X: mc.Steps[j], Y: mc.Mean[j]}
		}
		line, err := plotter.NewLine(xys)
		if err != nil {
			return nil, false, fmt.Errorf("plot %s: %w", g.Key, err)
		}
		line.Color = col
		line.Width = vg.Points(1.5)
		p.Add(line)
		label := fmt.Sprintf("%s (%d seeds)", MethodName(g.Method), mc.Seeds)
		if mc.Interpolated {
			label += ", interpolated"
		}
		p.Legend.Add(label, line)
		drawn++
	}
	if drawn == 0 {
		return nil, false, nil
	}
	base := fileSafe(g0.Setting) + "_" + fileSafe(g0.Task)
	if g0.Backbone != "" {
		base = fileSafe(g0.Backbone) + "_" + base
	}
	for _, ext := range []string{".png", ".svg"} {
		if err := p.Save(6*vg.Inch, 4*vg.Inch, filepath.Join(dir, base+ext)); err != nil {
			return nil, false, fmt.Errorf("plot %s: %w", base+ext, err)
		}
		files = append(files, base+ext)
	}
	return files, interpolated, nil
}

// writePlots draws every ((backbone,) setting, task) of groups into dir (created if needed).
func writePlots(dir string, groups []*Group) (files, interpolated []string, err error) {
	var cur []*Group
	flush := func() error {
		if len(cur) == 0 {
			return nil
		}
		fs, interp, err := plotCurves(dir, cur)
		if err != nil {
			return err
		}
		files = append(files, fs...)
		if interp {
			interpolated = append(interpolated, withBackbone(cur[0].Backbone, cur[0].Setting+"/"+cur[0].Task))
		}
		cur = nil
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("plots: %w", err)
	}
	for _, g := range groups {
		if len(cur) > 0 && (cur[0].Backbone != g.Backbone || cur[0].Setting != g.Setting || cur[0].Task != g.Task) {
			if err := flush(); err != nil {
				return nil, nil, err
			}
		}
		cur = append(cur, g)
	}
	if err := flush(); err != nil {
		return nil, nil, err
	}
	return files, interpolated, nil
}

// fileSafe keeps setting and task names usable as file names.
func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r == ' ' {
			return '-'
		}
		return r
	}, s)
}

func joinCode(xs []string) string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = "`" + x + "`"
	}
	return strings.Join(out, ", ")
}
