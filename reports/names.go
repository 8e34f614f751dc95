package reports

import (
	"sort"
	"strings"
)

// Display names and the paper's order of rows and columns. They only change how a known
// name is printed and sorted; an unknown task or method is shown as written and sorted after
// the known ones, so that a newly registered one needs no change here. Method names repeat
// the titles methods register (methods.Title), which this package may not import (it builds
// without the runner's packages); cmd/bench's tests keep the two in step.
var (
	methodNames = map[string]string{
		"fine-tuning":      "Fine-tuning",
		"p-tuning-v2":      "P-tuning v2",
		"fl-tuning":        "FL-tuning",
		"prefix-tuning":    "Prefix tuning",
		"lora":             "LoRA",
		"bitfit":           "BitFit",
		"ia3":              "IA3",
		"adapter":          "Adapter",
		"parallel-adapter": "Parallel adapter",
		"prompt-tuning":    "Prompt tuning",
	}
	methodOrder = []string{"fine-tuning", "p-tuning-v2", "fl-tuning"}

	taskNames = map[string]string{
		"wsc":      "WSC1.1",
		"wsc10":    "WSC1.0",
		"cmrc2018": "CMRC2018",
		"cluener":  "CLUENER",
	}
	// CLUE's classification tasks, then its reading-comprehension and NER tasks, then the
	// FewCLUE-only ones.
	taskOrder = []string{"afqmc", "tnews", "iflytek", "ocnli", "cmnli", "csl", "wsc", "wsc10",
		"cmrc2018", "chid", "c3", "cluener", "eprstmt", "csldcp", "bustm"}

	// FewCLUE's order of its tasks, for the paper's few-shot table; few-shot CLUENER last.
	fewTaskOrder = []string{"eprstmt", "csldcp", "tnews", "iflytek", "ocnli", "bustm", "chid", "csl", "wsc", "cluener"}

	// The paper's backbones in its order, under the names a config would likely give them;
	// backbone names are the config's own, so others sort after these, alphabetically.
	backboneOrder = []string{"roberta", "roberta-wwm", "roberta-wwm-ext", "nezha", "roformer"}
)

// MethodName is a method's display name.
func MethodName(m string) string {
	if n, ok := methodNames[m]; ok {
		return n
	}
	return m
}

// TaskName is a task's display name.
func TaskName(t string) string {
	if n, ok := taskNames[t]; ok {
		return n
	}
	return strings.ToUpper(t)
}

// sortByOrder sorts names by their position in order, unknown names last and alphabetically.
func sortByOrder(names []string, order []string) {
	pos := func(n string) int {
		for i, o := range order {
			if o == n {
				return i
			}
		}
		return len(order)
	}
	sort.SliceStable(names, func(i, j int) bool {
		pi, pj := pos(names[i]), pos(names[j])
		if pi != pj {
			return pi < pj
		}
		return names[i] < names[j]
	})
}

// Regimes: a setting trains on the full training set or on a few-shot sample of it.
const (
	RegimeFull = "full"
	RegimeFew  = "few"
)

// Regime classifies a setting by its split: "few:K", "few:all" and "kshot:K:SEED" are
// few-shot, anything else trains on full data.
func Regime(split string) string {
	if strings.HasPrefix(split, "few:") || strings.HasPrefix(split, "kshot:") {
		return RegimeFew
	}
	return RegimeFull
}

func regimeTitle(r string) string {
	if r == RegimeFew {
		return "Few-shot"
	}
	return "Full data"
}

// settingLabel names a setting with its split unless the two read the same.
func settingLabel(setting, split string) string {
	if setting == split {
		return setting
	}
	return setting + " (" + split + ")"
}
