package clue

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// Example is one input as the model sees it, already formatted by its task.
type Example struct {
	ID    string // id used in submission files (the record's "id"/"idx" field; else its 0-based line index)
	TextA string
	TextB string // "" for single-text tasks
	Label int    // index into Task.Labels; -1 when unlabelled (test files) and for kinds without one label
	Line  int    // 1-based line in its file (for error messages)

	// Structured kinds. Their gold annotation lives here instead of in Label; a nil slice
	// means unlabelled, an empty non-nil one "annotated, with nothing in it" (a sentence
	// without entities).
	Entities []Entity // ner: gold entities of TextA, sorted by (Start, End, Type)

	// Choices holds one formatted input pair per candidate answer of a multiple-choice task;
	// Label indexes it (and Task.Labels, "0", "1", ...). The second text may hold ClozeMark
	// once: the gap the candidate fills.
	Choices [][2]string
	// Group names the examples whose answers constrain each other (CHID's blanks sharing one
	// candidate list); "" for none.
	Group string
	// Answers are the gold answers of a span-extraction question (TextA) in its context
	// (TextB).
	Answers []Answer
}

// Answer is a gold answer: its text and where it starts in the context, in characters (−1
// when the text does not occur there).
type Answer struct {
	Text  string
	Start int
}

// Entity is a typed stretch of a text in characters (Unicode code points), with the end
// inclusive as CLUENER writes it: Text == string([]rune(text)[Start:End+1]).
type Entity struct {
	Type       int // index into Task.Labels
	Start, End int
	Text       string
}

// Labelled reports whether ex carries gold annotation of any kind.
func (ex Example) Labelled() bool { return ex.Label >= 0 || ex.Entities != nil || ex.Answers != nil }

// Prediction is a model's answer for one example, in the terms of its task's kind.
type Prediction struct {
	Label    int      // classification and multiple choice: index into Task.Labels (-1 for other kinds)
	Entities []Entity // ner
	Answer   string   // span extraction

	// Multiple choice: every candidate's score, and the answer after the task's joint
	// decision over a Group (Task.Resolve; Label otherwise).
	Scores   []float64
	Assigned int
}

// ClozeMark marks the gap in a multiple-choice text. The head's encoding writes it as the
// vocabulary's [unused1] token and truncates around it, so the gap is never cut off.
const ClozeMark = "[unused1]"

// Resolve applies the task's joint decision over groups of predictions (CHID's assignment of
// candidates to blanks), in place; without one, Assigned is Label.
func Resolve(t *Task, gold []Example, pred []Prediction) {
	if t.Resolve != nil && len(gold) == len(pred) {
		t.Resolve(gold, pred)
		return
	}
	for i := range pred {
		pred[i].Assigned = pred[i].Label
	}
}

// Metric names one score a task reports. Reports read HigherIsBetter instead of assuming it,
// so a loss-like metric can join later without special cases downstream.
type Metric struct {
	Name           string
	HigherIsBetter bool
}

// Task is a declaration; each task file (afqmc.go, tnews.go, ...) builds one and calls Register
// in init(). Nothing outside the task file switches on a task's name.
type Task struct {
	Name        string // "afqmc"
	Description string
	Kind        string            // Classification, NER, MultipleChoice or Span; the runner picks the head by it
	Dirs        []string          // folder names tried under the data dir, e.g. {"afqmc_public", "afqmc"}; nil for FewCLUE-only tasks
	Files       map[string]string // split → file: "train": "train.json", ...; "d-train.json+m-train.json" reads both
	Labels      []string          // canonical label strings, as written in submission files

	// Decode turns one JSON line into an Example with formatting applied. It leaves Line unset
	// and ID empty when the record has no "id"/"idx" (the reader fills both). Errors name the
	// field. A row the task discards on purpose (OCNLI's "-") is reported as a *DropError; the
	// returned Example then still carries the row's ID.
	Decode func(raw []byte) (Example, error)

	Submission    string   // CLUE submission file name: "afqmc_predict.json"
	FewSubmission string   // FewCLUE submission file name ("tnewsf_predict.json"); "" if not in FewCLUE
	Metrics       []Metric // first = headline (accuracy), then macro_f1
	FewShotDir    []string // FewCLUE folder names if the task exists in FewCLUE, e.g. {"tnews"}, else nil

	// Optional hooks for structured kinds; nil means the classification behaviour.
	//
	// Strata assigns every training example a stratum for kshot:K:SEED (K examples are drawn
	// per stratum) and names the strata; nil stratifies by Label over Labels.
	Strata func(train []Example) (stratum []int, names []string)
	// Format writes and reads the task's submission file; nil is one {"id", "label"} per line.
	Format *SubmissionFormat
	// Records splits a data file into records for Decode, calling fn with each record and
	// the line it starts on; nil reads JSON lines. Errors read "name:line: ...".
	Records func(r io.Reader, name string, fn func(line int, raw []byte) error) error
	// Resolve sets Prediction.Assigned from the predictions of a Group together.
	Resolve func(gold []Example, pred []Prediction)
}

// Kinds a task can declare. The runner finds everything kind-specific (encoding, head, loss,
// decoding) in a registry keyed by these names and never compares them itself.
const (
	Classification = "classification" // one label per example (Label)
	NER            = "ner"            // typed character spans (Entities)
	MultipleChoice = "choice"         // one of several candidate inputs (Choices, Label)
	Span           = "span"           // an answer cut from a context (Answers)
)

// classificationMetrics is what CLUE reports for classification (accuracy, the headline) plus
// macro-F1, which exposes majority-class collapse that accuracy hides on unbalanced tasks.
func classificationMetrics() []Metric {
	return []Metric{{Name: "accuracy", HigherIsBetter: true}, {Name: "macro_f1", HigherIsBetter: true}}
}

// SubmissionFile is the file name a benchmark expects predictions for sel's test split under:
// FewCLUE names differ from CLUE ones ("tnewsf_predict.json" vs "tnews11_predict.json").
func (t *Task) SubmissionFile(sel Selection) string {
	if sel.Regime == RegimeFew && t.FewSubmission != "" {
		return t.FewSubmission
	}
	if t.Submission != "" {
		return t.Submission
	}
	return t.FewSubmission
}

// Headline is the first declared metric, the one tables sort and compare by.
func (t *Task) Headline() Metric { return t.Metrics[0] }

// LabelIndex returns the index of a canonical label string, or -1.
func (t *Task) LabelIndex(label string) int {
	for i, l := range t.Labels {
		if l == label {
			return i
		}
	}
	return -1
}

// registry holds every task; it is written only from init functions.
var registry = map[string]*Task{}

// Register adds a task. It panics on a duplicate or invalid declaration: both are programmer
// errors that should stop the binary at init, not surface later as a bad run.
func Register(t *Task) {
	if err := validate(t); err != nil {
		panic("clue: Register: " + err.Error())
	}
	if _, dup := registry[t.Name]; dup {
		panic("clue: Register: duplicate task " + t.Name)
	}
	registry[t.Name] = t
}

func validate(t *Task) error {
	if t == nil {
		return fmt.Errorf("nil task")
	}
	if t.Name == "" || t.Name != strings.ToLower(t.Name) || strings.ContainsAny(t.Name, " \t/:") {
		return fmt.Errorf("task name %q must be non-empty lower case without spaces, '/' or ':'", t.Name)
	}
	if t.Kind == "" {
		return fmt.Errorf("task %s: empty Kind", t.Name)
	}
	if t.Decode == nil {
		return fmt.Errorf("task %s: nil Decode", t.Name)
	}
	if len(t.Labels) == 0 {
		return fmt.Errorf("task %s: no labels", t.Name)
	}
	seen := map[string]bool{}
	for _, l := range t.Labels {
		if l == "" || seen[l] {
			return fmt.Errorf("task %s: empty or repeated label %q", t.Name, l)
		}
		seen[l] = true
	}
	if len(t.Dirs) == 0 && len(t.FewShotDir) == 0 {
		return fmt.Errorf("task %s: neither Dirs nor FewShotDir set", t.Name)
	}
	if len(t.Dirs) > 0 {
		for _, split := range []string{"train", "dev"} {
			if t.Files[split] == "" {
				return fmt.Errorf("task %s: Files has no %q entry", t.Name, split)
			}
		}
		if t.Submission == "" {
			return fmt.Errorf("task %s: no Submission file name", t.Name)
		}
	}
	if len(t.FewShotDir) > 0 && t.FewSubmission == "" {
		return fmt.Errorf("task %s: in FewCLUE but no FewSubmission file name", t.Name)
	}
	if len(t.Metrics) == 0 {
		return fmt.Errorf("task %s: no metrics", t.Name)
	}
	for _, m := range t.Metrics {
		if _, ok := metricFor(t, m.Name); !ok {
			return fmt.Errorf("task %s: unknown metric %q", t.Name, m.Name)
		}
	}
	// Reports bootstrap the headline over dev examples from its per-example statistics.
	if _, ok := exampleMetricFor(t, t.Metrics[0].Name); !ok {
		return fmt.Errorf("task %s: headline metric %q has no per-example statistics", t.Name, t.Metrics[0].Name)
	}
	return nil
}

// Lookup returns the registered task with this name. The error lists the valid names and, when
// one is close, suggests it.
func Lookup(name string) (*Task, error) {
	if t, ok := registry[name]; ok {
		return t, nil
	}
	names := Names()
	msg := fmt.Sprintf("clue: unknown task %q", name)
	if s := suggest(name, names); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return nil, fmt.Errorf("%s (known: %s)", msg, strings.Join(names, ", "))
}

// Names lists the registered tasks in sorted order.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// suggest picks the closest name: a case-insensitive match, a name contained in the query or
// vice versa ("cluewsc" → "wsc"), or one within edit distance 2.
func suggest(query string, names []string) string {
	q := strings.ToLower(strings.TrimSpace(query))
	if q == "" {
		return ""
	}
	best, bestD := "", 3
	for _, n := range names {
		if n == q {
			return n
		}
		if d := editDistance(q, n); d < bestD {
			best, bestD = n, d
		}
	}
	if best != "" {
		return best
	}
	// Containment last, and longest name first, so "cluewsc10" prefers "wsc10" over "wsc".
	for _, n := range byLengthDesc(names) {
		if strings.Contains(q, n) || (len(q) >= 3 && strings.Contains(n, q)) {
			return n
		}
	}
	return ""
}

func byLengthDesc(names []string) []string {
	out := append([]string(nil), names...)
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// editDistance is the Levenshtein distance over runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// runeLen is used by span checks; named so callers read as "length in characters".
func runeLen(s string) int { return utf8.RuneCountInString(s) }
