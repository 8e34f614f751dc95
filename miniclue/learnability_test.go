package miniclue

import (
	"math"
	"sort"
	"strings"
	"testing"
)

// The learnability check trains two bag-of-characters classifiers (multinomial naive Bayes
// and logistic regression) on each classification task's train file and scores dev. The
// context-dependent tasks must stay far from 100%, or their labels would not need a model
// that reads structure; the topic task must be well above chance, or the labels would not
// follow the text at all.

type bocExample struct {
	feats []string
	label string
}

// bocFeatures turns a record into prefixed character features: one prefix per field, so
// the models know which segment a character came from.
func bocFeatures(t *testing.T, task string, row map[string]any) []string {
	var f []string
	add := func(prefix, s string) {
		for _, c := range s {
			f = append(f, prefix+string(c))
		}
	}
	switch task {
	case "afqmc":
		add("a", str(t, row, "sentence1"))
		add("b", str(t, row, "sentence2"))
	case "tnews":
		add("s", str(t, row, "sentence"))
		add("k", str(t, row, "keywords"))
	case "ocnli":
		add("a", str(t, row, "sentence1"))
		add("b", str(t, row, "sentence2"))
	case "cluewsc2020":
		tg := row["target"].(map[string]any)
		add("t", str(t, row, "text"))
		add("s", str(t, tg, "span1_text"))
		add("p", str(t, tg, "span2_text"))
	case "csl":
		add("a", str(t, row, "abst"))
		for _, k := range row["keyword"].([]any) {
			add("k", k.(string))
		}
	}
	return f
}

func bocData(t *testing.T, dir, task, file string) []bocExample {
	var out []bocExample
	for _, row := range readRows(t, taskPath(dir, task, file)) {
		l := str(t, row, "label")
		if l == "-" {
			continue
		}
		out = append(out, bocExample{bocFeatures(t, task, row), l})
	}
	return out
}

func labelsOf(ex []bocExample) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range ex {
		if !seen[e.label] {
			seen[e.label] = true
			out = append(out, e.label)
		}
	}
	sort.Strings(out)
	return out
}

// naiveBayes returns dev accuracy of multinomial naive Bayes with add-one smoothing.
func naiveBayes(train, dev []bocExample) float64 {
	labels := labelsOf(train)
	counts := map[string]map[string]float64{}
	totals := map[string]float64{}
	prior := map[string]float64{}
	vocab := map[string]bool{}
	for _, e := range train {
		if counts[e.label] == nil {
			counts[e.label] = map[string]float64{}
		}
		prior[e.label]++
		for _, f := range e.feats {
			counts[e.label][f]++
			totals[e.label]++
			vocab[f] = true
		}
	}
	v := float64(len(vocab))
	right := 0
	for _, e := range dev {
		best, bestScore := "", math.Inf(-1)
		for _, l := range labels {
			s := math.Log(prior[l] / float64(len(train)))
			for _, f := range e.feats {
				s += math.Log((counts[l][f] + 1) / (totals[l] + v))
			}
			if s > bestScore {
				best, bestScore = l, s
			}
		}
		if best == e.label {
			right++
		}
	}
	return float64(right) / float64(len(dev))
}

// logistic returns dev accuracy of softmax regression on feature counts, trained by plain
// SGD in file order (deterministic) with a little L2 decay.
func logistic(train, dev []bocExample) float64 {
	labels := labelsOf(train)
	idx := map[string]int{}
	for i, l := range labels {
		idx[l] = i
	}
	w := map[string][]float64{}
	bias := make([]float64, len(labels))
	scores := func(feats []string) []float64 {
		s := append([]float64(nil), bias...)
		for _, f := range feats {
			if ws, ok := w[f]; ok {
				for k := range s {
					s[k] += ws[k]
				}
			}
		}
		return s
	}
	const lr, decay = 0.05, 1e-4
	for epoch := 0; epoch < 15; epoch++ {
		for _, e := range train {
			s := scores(e.feats)
			m := math.Inf(-1)
			for _, x := range s {
				m = math.Max(m, x)
			}
			z := 0.0
			for k := range s {
				s[k] = math.Exp(s[k] - m)
				z += s[k]
			}
			for k := range s {
				g := s[k] / z
				if k == idx[e.label] {
					g--
				}
				bias[k] -= lr * g
				for _, f := range e.feats {
					ws := w[f]
					if ws == nil {
						ws = make([]float64, len(labels))
						w[f] = ws
					}
					ws[k] -= lr * (g + decay*ws[k])
				}
			}
		}
	}
	right := 0
	for _, e := range dev {
		s := scores(e.feats)
		best := 0
		for k := range s {
			if s[k] > s[best] {
				best = k
			}
		}
		if labels[best] == e.label {
			right++
		}
	}
	return float64(right) / float64(len(dev))
}

func TestBagOfCharactersBaseline(t *testing.T) {
	if testing.Short() {
		t.Skip("trains ten small classifiers")
	}
	dir, _ := fixture(t)
	// Ceilings for the context-dependent tasks and floors for the topic task; chance is
	// 50% for the binary tasks, 33% for OCNLI and 6.7% for TNEWS.
	limits := map[string]struct{ min, max float64 }{
		"afqmc":       {0, 0.65},
		"ocnli":       {0, 0.55},
		"cluewsc2020": {0, 0.65},
		"csl":         {0, 0.70},
		"tnews":       {0.40, 0.90},
	}
	var report []string
	for _, tk := range tasks {
		lim, ok := limits[tk.name]
		if !ok {
			continue
		}
		task := tk.name
		train := bocData(t, dir, task, tk.trainFile)
		dev := bocData(t, dir, task, "dev.json")
		nb, lr := naiveBayes(train, dev), logistic(train, dev)
		best := math.Max(nb, lr)
		report = append(report, task+": NB "+pct(nb)+", LR "+pct(lr))
		if best < lim.min || best > lim.max {
			t.Errorf("%s: best bag-of-characters dev accuracy %s outside [%s, %s]", task, pct(best), pct(lim.min), pct(lim.max))
		}
	}
	t.Log("bag-of-characters dev accuracy:\n  " + strings.Join(report, "\n  "))
}
