package clue

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// CHID: idiom cloze. Each blank in a passage is filled with one of the record's candidate
// idioms.
//
// Files (chid_public.zip): train.json, dev.json, test1.1.json (test1.0.json is the older
// release), JSON lines {"candidates": [10 idioms], "content": ["passage with #idiom000378#",
// ...]}, and train_answer.json, dev_answer.json: one JSON object {"#idiom000378#": 3, ...}
// mapping every blank to its candidate index. The answer file is found next to its data file
// (X.json → X_answer.json); without one the file is unlabelled. FewCLUE (folder "chid")
// writes one passage per line with the blank as #idiom#, 7 candidates and the answer inline:
// {"id": 3, "candidates": [...], "content": "...", "answer": 5}.
//
// Every blank is one example (ID: its tag, or the record id in FewCLUE). Input per candidate,
// as the FL-tuning authors format it: [CLS] idiom [SEP] passage [SEP], the target blank
// written as [unused1] (ClozeMark) and every other blank as four [MASK]s; the passage is cut
// around the target blank (package heads). Label = the answer's index, so Labels are "0".."9".
//
// Metrics: accuracy per blank (headline), and assignment_accuracy: the blanks of one record
// share its candidates, so the authors assign candidates to them jointly, each at most once,
// maximising the summed scores (the Hungarian method); that assignment's accuracy is
// reported separately. The submission chid11_predict.json (chidf_predict.json in FewCLUE) is
// one JSON object {"#idiom000378#": 3, ...} holding the assignment, as the authors submit.
func init() {
	registerMetric("choice/assignment_accuracy", func(t *Task, gold []Example, pred []Prediction) (float64, error) {
		hit := 0
		for i := range gold {
			if pred[i].Assigned == gold[i].Label {
				hit++
			}
		}
		return 100 * float64(hit) / float64(len(gold)), nil
	})
	registerExampleMetric("choice/assignment_accuracy", exampleMetric{columns: fixedColumns("assigned_correct"), combine: meanPercent,
		row: func(_ *Task, gold Example, pred Prediction) ([]float64, error) {
			return []float64{indicator(pred.Assigned == gold.Label)}, nil
		}})
	labels := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	Register(&Task{
		Name:          "chid",
		Description:   "CHID idiom cloze (one of 10 candidates per blank)",
		Kind:          MultipleChoice,
		Dirs:          []string{"chid_public", "chid"},
		Files:         map[string]string{"train": "train.json", "dev": "dev.json", "test": "test1.1.json"},
		Labels:        labels,
		Decode:        decodeCHID,
		Submission:    "chid11_predict.json",
		FewSubmission: "chidf_predict.json",
		Metrics:       []Metric{{Name: "accuracy", HigherIsBetter: true}, {Name: "assignment_accuracy", HigherIsBetter: true}},
		FewShotDir:    []string{"chid"},
		Records:       readCHID,
		Resolve:       assignGroups,
		Format:        &SubmissionFormat{Write: writeCHID, Read: readCHIDSubmission},
	})
}

var idiomTag = regexp.MustCompile(`#idiom\d*#`)

// readCHID hands Decode one record per blank: {"candidates", "passage", "tag", "group",
// "id", "answer"}, with the answer from the answer file or the record.
func readCHID(r io.Reader, name string, fn func(line int, raw []byte) error) error {
	answerFile := strings.TrimSuffix(name, ".json") + "_answer.json"
	answers, err := readCHIDAnswers(answerFile)
	if err != nil {
		return err
	}
	return readJSONL(r, name, func(line int, raw []byte) error {
		rec, err := parseRecord(raw)
		if err != nil {
			return err
		}
		cands, err := rec.strings("candidates")
		if err != nil {
			return err
		}
		v, ok := rec.raw("content")
		if !ok {
			return fmt.Errorf("field \"content\": missing")
		}
		var passages []string
		if err := json.Unmarshal(v, &passages); err != nil {
			var one string
			if json.Unmarshal(v, &one) != nil {
				return fmt.Errorf("field \"content\": want a passage or a list of passages, got %s", clip(v))
			}
			passages = []string{one}
		}
		id, err := rec.id()
		if err != nil {
			return err
		}
		inline, hasInline := rec.raw("answer")
		for p, passage := range passages {
			tags := idiomTag.FindAllString(passage, -1)
			if len(tags) == 0 {
				return fmt.Errorf("field \"content\": passage %d has no #idiom…# blank", p)
			}
			for _, tag := range tags {
				out := map[string]any{"candidates": cands, "passage": passage, "tag": tag, "id": tag,
					"group": name + ":" + strconv.Itoa(line)}
				if id != "" && len(tags) == 1 && len(passages) == 1 {
					out["id"] = id // FewCLUE: the blank is #idiom# everywhere, the record id is the key
				}
				switch {
				case answers != nil:
					a, ok := answers[tag]
					if !ok {
						return fmt.Errorf("field \"content\": blank %s has no answer in %s", tag, answerFile)
					}
					out["answer"] = a
				case hasInline:
					out["answer"] = inline
				}
				b, err := json.Marshal(out)
				if err != nil {
					return err
				}
				if err := fn(line, b); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// readCHIDAnswers reads an answer file; nil, nil when there is none.
func readCHIDAnswers(path string) (map[string]json.RawMessage, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return nil, fmt.Errorf("%s:1: want one JSON object {\"#idiom…#\": answer index}", path)
	}
	return m, nil
}

func decodeCHID(raw []byte) (Example, error) {
	r, err := parseRecord(raw)
	if err != nil {
		return Example{}, err
	}
	ex := Example{Label: -1}
	cands, err := r.strings("candidates")
	if err != nil {
		return Example{}, err
	}
	if len(cands) < 2 || len(cands) > 10 {
		return Example{}, fmt.Errorf("field \"candidates\": %d candidates, want 2 to 10", len(cands))
	}
	passage, err := r.text("passage")
	if err != nil {
		return Example{}, err
	}
	tag, err := r.text("tag")
	if err != nil {
		return Example{}, err
	}
	if ex.Group, err = r.text("group"); err != nil {
		return Example{}, err
	}
	if ex.ID, err = r.id(); err != nil {
		return Example{}, err
	}
	if _, ok := r.raw("answer"); ok {
		if ex.Label, err = r.int("answer"); err != nil {
			return Example{}, fmt.Errorf("answer of %s: %w", tag, err)
		}
		if ex.Label < 0 || ex.Label >= len(cands) {
			return Example{}, fmt.Errorf("answer of %s: %d is not a candidate index in [0, %d)", tag, ex.Label, len(cands))
		}
	}
	// The target blank becomes the cloze mark and every other one four [MASK]s. FewCLUE's
	// passages have one blank, so replacing the first occurrence of the tag is exact there too.
	target := strings.Index(passage, tag)
	if target < 0 || !idiomTag.MatchString(tag) {
		return Example{}, fmt.Errorf("field \"tag\": %q is not a blank of the passage", tag)
	}
	others := idiomTag.ReplaceAllString(passage[target+len(tag):], "[MASK][MASK][MASK][MASK]")
	ex.TextA = idiomTag.ReplaceAllString(passage[:target], "[MASK][MASK][MASK][MASK]") + ClozeMark + others
	for _, c := range cands {
		ex.Choices = append(ex.Choices, [2]string{c, ex.TextA})
	}
	return ex, nil
}

// assignGroups gives the blanks of each group distinct candidates with the largest summed
// score. Predictions without scores (read from a submission) keep their label.
func assignGroups(gold []Example, pred []Prediction) {
	groups := map[string][]int{}
	var order []string
	for i, ex := range gold {
		pred[i].Assigned = pred[i].Label
		if ex.Group == "" || pred[i].Scores == nil {
			continue
		}
		if groups[ex.Group] == nil {
			order = append(order, ex.Group)
		}
		groups[ex.Group] = append(groups[ex.Group], i)
	}
	for _, g := range order {
		idx := groups[g]
		m := len(pred[idx[0]].Scores)
		cost := make([][]float64, len(idx))
		for r, i := range idx {
			if len(pred[i].Scores) != m {
				cost = nil
				break
			}
			cost[r] = make([]float64, m)
			for c, s := range pred[i].Scores {
				cost[r][c] = -s
			}
		}
		if cost == nil || len(idx) > m {
			continue // no full assignment exists: keep the labels
		}
		for r, c := range minCostAssignment(cost) {
			pred[idx[r]].Assigned = c
		}
	}
}

// minCostAssignment solves the rectangular assignment problem (n rows ≤ m columns) by the
// Hungarian method with potentials, O(n²·m); it returns each row's column.
func minCostAssignment(cost [][]float64) []int {
	n, m := len(cost), len(cost[0])
	u, v := make([]float64, n+1), make([]float64, m+1)
	match, way := make([]int, m+1), make([]int, m+1) // match[col] = row (1-based), 0 = free
	for row := 1; row <= n; row++ {
		match[0] = row
		col := 0
		minv := make([]float64, m+1)
		used := make([]bool, m+1)
		for j := range minv {
			minv[j] = math.Inf(1)
		}
		for match[col] != 0 {
			used[col] = true
			r, delta, next := match[col], math.Inf(1), 0
			for j := 1; j <= m; j++ {
				if used[j] {
					continue
				}
				if c := cost[r-1][j-1] - u[r] - v[j]; c < minv[j] {
					minv[j], way[j] = c, col
				}
				if minv[j] < delta {
					delta, next = minv[j], j
				}
			}
			for j := 0; j <= m; j++ {
				if used[j] {
					u[match[j]] += delta
					v[j] -= delta
				} else {
					minv[j] -= delta
				}
			}
			col = next
		}
		for col != 0 {
			prev := way[col]
			match[col] = match[prev]
			col = prev
		}
	}
	out := make([]int, n)
	for j := 1; j <= m; j++ {
		if match[j] != 0 {
			out[match[j]-1] = j - 1
		}
	}
	return out
}

func writeCHID(w io.Writer, t *Task, ids []string, pred []Prediction) error {
	return writeIDObject(w, t, ids, pred, func(p Prediction) int { return p.Assigned })
}

// readCHIDSubmission reads {"#idiom…#": index, ...}; ids come back sorted, and one answer per
// blank serves as both the label and the assignment.
func readCHIDSubmission(r io.Reader, name string, t *Task) ([]string, []Prediction, error) {
	return readIDObject(r, name, t, `{"#idiom…#": index}`, func(id string, raw json.RawMessage) (Prediction, error) {
		var n int
		if err := json.Unmarshal(raw, &n); err != nil || n < 0 || n >= len(t.Labels) {
			return Prediction{}, fmt.Errorf("field %q: want a candidate index in [0, %d), got %s", id, len(t.Labels), clip(raw))
		}
		return Prediction{Label: n, Assigned: n}, nil
	})
}
