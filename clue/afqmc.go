package clue

// AFQMC (Ant Financial Question Matching Corpus): do two customer-service questions ask the
// same thing?
//
// Files (afqmc_public.zip): train.json, dev.json, test.json. Records:
//
//	{"sentence1": "...", "sentence2": "...", "label": "1"}
//
// train and dev carry no id (the 0-based line index stands in); test.json has "id" and no
// label. Labels "0" (different) and "1" (same). Input: TextA = sentence1, TextB = sentence2,
// which the runner encodes as [CLS] a [SEP] b [SEP]. Not part of FewCLUE.
func init() {
	labels := []string{"0", "1"}
	Register(&Task{
		Name:        "afqmc",
		Description: "AFQMC question matching (binary sentence pair)",
		Kind:        Classification,
		Dirs:        []string{"afqmc_public", "afqmc"},
		Files:       map[string]string{"train": "train.json", "dev": "dev.json", "test": "test.json"},
		Labels:      labels,
		Decode:      pairText("sentence1", "sentence2", labels),
		Submission:  "afqmc_predict.json",
		Metrics:     classificationMetrics(),
	})
}
