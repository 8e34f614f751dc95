package clue

// nliLabels is the label set shared by OCNLI and CMNLI.
var nliLabels = []string{"entailment", "neutral", "contradiction"}

// OCNLI (Original Chinese NLI): premise/hypothesis inference, 3 classes.
//
// Files (ocnli_public.zip): train.50k.json (the zip also has 30k/10k/3k subsets; the benchmark
// and the FL-tuning scripts use 50k), dev.json, test.json. Records:
//
//	{"level": "...", "sentence1": "...", "sentence2": "...", "label": "neutral",
//	 "label0": "...", ..., "label4": "...", "genre": "...", "prem_id": "...", "id": 0}
//
// Labels entailment, neutral, contradiction. Rows labelled "-" (no majority among the five
// annotators; about 50 in dev) are dropped and counted, as the official baselines do.
// label0..label4 are ignored. test.json has "id" and no label. Input: TextA = sentence1
// (premise), TextB = sentence2 (hypothesis).
//
// FewCLUE (folder "ocnli"): same fields. Submissions: ocnli_50k_predict.json (CLUE),
// ocnlif_predict.json (FewCLUE).
func init() {
	Register(&Task{
		Name:          "ocnli",
		Description:   "OCNLI natural language inference (3 classes, train.50k)",
		Kind:          Classification,
		Dirs:          []string{"ocnli_public", "ocnli"},
		Files:         map[string]string{"train": "train.50k.json", "dev": "dev.json", "test": "test.json"},
		Labels:        nliLabels,
		Decode:        pairText("sentence1", "sentence2", nliLabels, "-"),
		Submission:    "ocnli_50k_predict.json",
		FewSubmission: "ocnlif_predict.json",
		Metrics:       classificationMetrics(),
		FewShotDir:    []string{"ocnli"},
	})
}
