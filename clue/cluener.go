package clue

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
)

// CLUENER2020: fine-grained named entities in news sentences, 10 types.
//
// Files (cluener_public.zip): train.json, dev.json, test.json. Records:
//
//	{"text": "...", "label": {"name": {"叶老桂": [[9, 11]]}, "company": {...}}}
//
// label maps a type to the entity strings of that type, each with every [start, end] where it
// occurs. Offsets are 0-based characters (code points) and the END IS INCLUSIVE:
// text[start:end+1] == entity; a mismatch is an error naming the line and "label.<type>".
// test.json has "id" and "text" only; train/dev have no id, so the line index stands in.
//
// Example: TextA = text, Entities = one Entity per (type, span), Label = -1. The head is
// chosen by Kind NER (a span-scoring head; see package heads).
//
// Metrics, in percent:
//   - f1 (headline), precision, recall: micro-averaged over exact (type, start, end) entities,
//     as the CLUENER PyTorch baseline and the FL-tuning authors' evaluator count them, so our
//     numbers are comparable with the paper's;
//   - official_f1: CLUENER's score.py: per sentence and type, the SET of entity strings
//     predicted vs gold (offsets ignored, repeats counted once), TP/FP/FN summed per type,
//     F1 per type, then the plain mean over the types. score.py divides by zero for a type
//     without true positives; here such a type scores 0, and a type absent from both gold and
//     predictions is left out of the mean (as macro_f1 does), so a perfect answer on a small
//     few-shot dev set lacking some types still scores 100. On the official dev set every
//     type occurs and the mean is over all 10, as in score.py.
//
// Few-shot: kshot:K:SEED draws K sentences per stratum, a sentence's stratum being the rarest
// type it contains (fewest train sentences containing that type; ties to the earlier type),
// or "none" without entities. Every type therefore appears in at least K sampled sentences
// when its stratum has K. A FewCLUE-style folder fewclue/cluener/ (train_k, dev_k,
// test_public; the built-in generator writes it) is read with few:K.
//
// Submission cluener_predict.json: {"id": 0, "label": {type: {entity: [[s, e], ...]}}} per line.
func init() {
	for key, f := range map[string]metricFunc{
		"ner/f1":          entityMetric(func(tp, g, p int) float64 { return ratio(2*tp, g+p) }),
		"ner/precision":   entityMetric(func(tp, _, p int) float64 { return ratio(tp, p) }),
		"ner/recall":      entityMetric(func(tp, g, _ int) float64 { return ratio(tp, g) }),
		"ner/official_f1": officialNERF1,
	} {
		registerMetric(key, f)
	}
	counts := fixedColumns("tp", "fp", "fn")
	for key, m := range map[string]exampleMetric{
		"ner/f1":          {columns: counts, row: entityCounts, combine: func(_ *Task, s []float64, _ int) float64 { return ratioOf(2*s[0], 2*s[0]+s[1]+s[2]) }},
		"ner/precision":   {columns: counts, row: entityCounts, combine: func(_ *Task, s []float64, _ int) float64 { return ratioOf(s[0], s[0]+s[1]) }},
		"ner/recall":      {columns: counts, row: entityCounts, combine: func(_ *Task, s []float64, _ int) float64 { return ratioOf(s[0], s[0]+s[2]) }},
		"ner/official_f1": {columns: perLabelColumns, row: entityStringCounts, combine: officialNERF1FromCounts},
	} {
		registerExampleMetric(key, m)
	}
	types := []string{"address", "book", "company", "game", "government", "movie", "name", "organization", "position", "scene"}
	Register(&Task{
		Name:          "cluener",
		Description:   "CLUENER2020 fine-grained named entities (10 types)",
		Kind:          NER,
		Dirs:          []string{"cluener_public", "cluener"},
		Files:         map[string]string{"train": "train.json", "dev": "dev.json", "test": "test.json"},
		Labels:        types,
		Decode:        func(raw []byte) (Example, error) { return decodeNER(raw, types) },
		Submission:    "cluener_predict.json",
		FewSubmission: "cluener_predict.json",
		Metrics: []Metric{{Name: "f1", HigherIsBetter: true}, {Name: "precision", HigherIsBetter: true},
			{Name: "recall", HigherIsBetter: true}, {Name: "official_f1", HigherIsBetter: true}},
		FewShotDir: []string{"cluener"},
		Strata:     rarestTypeStrata(types),
		Format:     &SubmissionFormat{Write: writeNER, Read: readNER},
	})
}

func decodeNER(raw []byte, types []string) (Example, error) {
	r, err := parseRecord(raw)
	if err != nil {
		return Example{}, err
	}
	ex := Example{Label: -1}
	if ex.ID, err = r.id(); err != nil {
		return Example{}, err
	}
	if ex.TextA, err = r.text("text"); err != nil {
		return Example{}, err
	}
	if _, ok := r.raw("label"); !ok {
		return ex, nil // test rows
	}
	text := []rune(ex.TextA)
	if ex.Entities, err = nerLabel(r, types, func(field, entity string, s, e int) error {
		if s < 0 || e < s || e >= len(text) {
			return fmt.Errorf("field %q: entity %q at [%d, %d] is outside the text (%d characters)", field, entity, s, e, len(text))
		}
		if got := string(text[s : e+1]); got != entity {
			return fmt.Errorf("field %q: entity %q at [%d, %d] reads %q in \"text\" (end offsets are inclusive)", field, entity, s, e, got)
		}
		return nil
	}); err != nil {
		return Example{}, err
	}
	return ex, nil
}

// nerLabel reads the "label" object {type: {entity: [[s, e], ...]}}; check vets each span.
// The result is non-nil, sorted by (Start, End, Type), without repeats.
func nerLabel(r record, types []string, check func(field, entity string, s, e int) error) ([]Entity, error) {
	lab, err := r.object("label")
	if err != nil {
		return nil, err
	}
	out := []Entity{}
	for _, typ := range sortedFields(lab) {
		ti := indexOf(types, typ)
		if ti < 0 {
			return nil, fmt.Errorf("field %s: unknown entity type (want %s)", lab.name(typ), describeLabels(types))
		}
		var byText map[string][][]int
		if v, ok := lab.raw(typ); ok {
			if err := json.Unmarshal(v, &byText); err != nil {
				return nil, fmt.Errorf("field %s: want {entity: [[start, end], ...]}, got %s", lab.name(typ), clip(v))
			}
		}
		entities := make([]string, 0, len(byText))
		for entity := range byText {
			entities = append(entities, entity)
		}
		sort.Strings(entities) // deterministic error messages
		for _, entity := range entities {
			for _, sp := range byText[entity] {
				if len(sp) != 2 {
					return nil, fmt.Errorf("field %s: entity %q: span %v is not [start, end]", lab.name(typ), entity, sp)
				}
				if err := check(lab.prefix+typ, entity, sp[0], sp[1]); err != nil {
					return nil, err
				}
				out = append(out, Entity{Type: ti, Start: sp[0], End: sp[1], Text: entity})
			}
		}
	}
	return SortEntities(out), nil
}

// SortEntities orders entities by (Start, End, Type) and drops repeats of the same triple,
// in place; it returns the shortened slice.
func SortEntities(es []Entity) []Entity {
	sort.Slice(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.Start != b.Start {
			return a.Start < b.Start
		}
		if a.End != b.End {
			return a.End < b.End
		}
		return a.Type < b.Type
	})
	out := es[:0]
	for i, e := range es {
		if i == 0 || e.Start != es[i-1].Start || e.End != es[i-1].End || e.Type != es[i-1].Type {
			out = append(out, e)
		}
	}
	return out
}

func sortedFields(r record) []string {
	keys := make([]string, 0, len(r.fields))
	for k := range r.fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func indexOf(xs []string, x string) int {
	for i, s := range xs {
		if s == x {
			return i
		}
	}
	return -1
}

// rarestTypeStrata puts each sentence in the stratum of its rarest entity type, counted as the
// number of training sentences containing the type; sentences without entities go to "none".
func rarestTypeStrata(types []string) func([]Example) ([]int, []string) {
	return func(train []Example) ([]int, []string) {
		freq := make([]int, len(types))
		for _, ex := range train {
			seen := map[int]bool{}
			for _, e := range ex.Entities {
				if !seen[e.Type] {
					seen[e.Type] = true
					freq[e.Type]++
				}
			}
		}
		strata := make([]int, len(train))
		for i, ex := range train {
			strata[i] = len(types)
			for _, e := range ex.Entities {
				if s := strata[i]; s == len(types) || freq[e.Type] < freq[s] || (freq[e.Type] == freq[s] && e.Type < s) {
					strata[i] = e.Type
				}
			}
		}
		return strata, append(append([]string(nil), types...), "none")
	}
}

// nerSubmissionLine is one line of an NER submission; json.Marshal sorts the map keys, so
// the output is deterministic.
type nerSubmissionLine struct {
	ID    json.RawMessage                `json:"id"`
	Label map[string]map[string][][2]int `json:"label"`
}

func writeNER(w io.Writer, t *Task, ids []string, pred []Prediction) error {
	if len(ids) != len(pred) {
		return fmt.Errorf("clue/%s: submission: %d ids but %d predictions", t.Name, len(ids), len(pred))
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i, id := range ids {
		idJSON, err := submissionID(id)
		if err != nil {
			return fmt.Errorf("clue/%s: submission: id %q: %w", t.Name, id, err)
		}
		line := nerSubmissionLine{ID: json.RawMessage(idJSON), Label: map[string]map[string][][2]int{}}
		for _, e := range SortEntities(append([]Entity(nil), pred[i].Entities...)) {
			if e.Type < 0 || e.Type >= len(t.Labels) || e.End < e.Start || runeLen(e.Text) != e.End-e.Start+1 {
				return fmt.Errorf("clue/%s: submission: id %s: bad entity %+v", t.Name, id, e)
			}
			typ := t.Labels[e.Type]
			if line.Label[typ] == nil {
				line.Label[typ] = map[string][][2]int{}
			}
			line.Label[typ][e.Text] = append(line.Label[typ][e.Text], [2]int{e.Start, e.End})
		}
		if err := enc.Encode(line); err != nil {
			return fmt.Errorf("clue/%s: submission: %w", t.Name, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("clue/%s: submission: %w", t.Name, err)
	}
	return nil
}

// readNER reads an NER submission. Without the text, a span is checked only against the
// length of its entity string.
func readNER(r io.Reader, name string, t *Task) (ids []string, pred []Prediction, err error) {
	firstLine := map[string]int{}
	err = readJSONL(r, name, func(line int, raw []byte) error {
		rec, err := parseRecord(raw)
		if err != nil {
			return err
		}
		id, err := rec.uniqueID(line, firstLine)
		if err != nil {
			return err
		}
		es, err := nerLabel(rec, t.Labels, func(field, entity string, s, e int) error {
			if s < 0 || e-s+1 != runeLen(entity) {
				return fmt.Errorf("field %q: entity %q at [%d, %d]: the span is not as long as the entity", field, entity, s, e)
			}
			return nil
		})
		if err != nil {
			return err
		}
		ids = append(ids, id)
		pred = append(pred, Prediction{Label: -1, Entities: es})
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("clue/%s: %w", t.Name, err)
	}
	return ids, pred, nil
}

// entityMetric counts exact (type, start, end) matches over all examples and hands
// (true positives, gold entities, predicted entities) to f.
func entityMetric(f func(tp, gold, pred int) float64) metricFunc {
	return func(t *Task, gold []Example, pred []Prediction) (float64, error) {
		type key struct{ typ, s, e int }
		tp, ng, np := 0, 0, 0
		for i := range gold {
			want := map[key]bool{}
			for _, e := range gold[i].Entities {
				want[key{e.Type, e.Start, e.End}] = true
			}
			got := map[key]bool{}
			for _, e := range pred[i].Entities {
				if e.Type < 0 || e.Type >= len(t.Labels) {
					return 0, fmt.Errorf("pred[%d]: entity type %d is not in [0, %d)", i, e.Type, len(t.Labels))
				}
				k := key{e.Type, e.Start, e.End}
				if !got[k] && want[k] {
					tp++
				}
				got[k] = true
			}
			ng, np = ng+len(want), np+len(got)
		}
		return f(tp, ng, np), nil
	}
}

// officialNERF1 is CLUENER's score.py definition (see the file comment).
func officialNERF1(t *Task, gold []Example, pred []Prediction) (float64, error) {
	n := len(t.Labels)
	tp, fp, fn := make([]int, n), make([]int, n), make([]int, n)
	for i := range gold {
		want, got := entityStrings(gold[i].Entities, n), entityStrings(pred[i].Entities, n)
		if got == nil {
			return 0, fmt.Errorf("pred[%d]: entity type out of range", i)
		}
		for c := 0; c < n; c++ {
			for s := range got[c] {
				if want[c][s] {
					tp[c]++
				} else {
					fp[c]++
				}
			}
			for s := range want[c] {
				if !got[c][s] {
					fn[c]++
				}
			}
		}
	}
	sum, present := 0.0, 0
	for c := 0; c < n; c++ {
		if tp[c]+fp[c]+fn[c] == 0 {
			continue
		}
		present++
		p, r := ratio(tp[c], tp[c]+fp[c]), ratio(tp[c], tp[c]+fn[c])
		if p+r > 0 {
			sum += 2 * p * r / (p + r)
		}
	}
	if present == 0 {
		return 0, nil
	}
	return sum / float64(present), nil
}

// entityStrings groups entity strings by type; nil if a type is out of range.
func entityStrings(es []Entity, nTypes int) []map[string]bool {
	out := make([]map[string]bool, nTypes)
	for c := range out {
		out[c] = map[string]bool{}
	}
	for _, e := range es {
		if e.Type < 0 || e.Type >= nTypes {
			return nil
		}
		out[e.Type][e.Text] = true
	}
	return out
}

// ratio is 100·a/b, or 0 when b is 0.
func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

// entityCounts is one sentence's [true positives, false positives, false negatives] of exact
// (type, start, end) entities, as entityMetric counts them.
func entityCounts(t *Task, gold Example, pred Prediction) ([]float64, error) {
	type key struct{ typ, s, e int }
	want := map[key]bool{}
	for _, e := range gold.Entities {
		want[key{e.Type, e.Start, e.End}] = true
	}
	got := map[key]bool{}
	tp := 0
	for _, e := range pred.Entities {
		if e.Type < 0 || e.Type >= len(t.Labels) {
			return nil, fmt.Errorf("entity type %d is not in [0, %d)", e.Type, len(t.Labels))
		}
		k := key{e.Type, e.Start, e.End}
		if !got[k] && want[k] {
			tp++
		}
		got[k] = true
	}
	return []float64{float64(tp), float64(len(got) - tp), float64(len(want) - tp)}, nil
}

// entityStringCounts is one sentence's per-type counts of entity strings, as officialNERF1
// counts them, in perLabelColumns' layout.
func entityStringCounts(t *Task, gold Example, pred Prediction) ([]float64, error) {
	n := len(t.Labels)
	want, got := entityStrings(gold.Entities, n), entityStrings(pred.Entities, n)
	if want == nil || got == nil {
		return nil, fmt.Errorf("entity type out of range")
	}
	row := make([]float64, 3*n)
	for c := 0; c < n; c++ {
		for s := range got[c] {
			if want[c][s] {
				row[3*c]++
			} else {
				row[3*c+1]++
			}
		}
		for s := range want[c] {
			if !got[c][s] {
				row[3*c+2]++
			}
		}
	}
	return row, nil
}

// officialNERF1FromCounts is officialNERF1 over summed per-type counts.
func officialNERF1FromCounts(t *Task, sum []float64, _ int) float64 {
	total, present := 0.0, 0
	for c := range t.Labels {
		tp, fp, fn := sum[3*c], sum[3*c+1], sum[3*c+2]
		if tp+fp+fn == 0 {
			continue
		}
		present++
		p, r := ratioOf(tp, tp+fp), ratioOf(tp, tp+fn)
		if p+r > 0 {
			total += 2 * p * r / (p + r)
		}
	}
	if present == 0 {
		return 0
	}
	return total / float64(present)
}
