package clue

// CMNLI (Chinese MultiNLI, translated): premise/hypothesis inference, 3 classes.
//
// Files (cmnli_public.zip): train.json, dev.json, test.json. Records:
//
//	{"sentence1": "...", "sentence2": "...", "label": "neutral"}
//
// Labels entailment, neutral, contradiction (shared with OCNLI); rows labelled "-" are dropped
// and counted. train/dev have no id (line index stands in); test.json has "id". Input:
// TextA = sentence1, TextB = sentence2. Not part of FewCLUE.
func init() {
	Register(&Task{
		Name:        "cmnli",
		Description: "CMNLI natural language inference (3 classes)",
		Kind:        Classification,
		Dirs:        []string{"cmnli_public", "cmnli"},
		Files:       map[string]string{"train": "train.json", "dev": "dev.json", "test": "test.json"},
		Labels:      nliLabels,
		Decode:      pairText("sentence1", "sentence2", nliLabels, "-"),
		Submission:  "cmnli_predict.json",
		Metrics:     classificationMetrics(),
	})
}
