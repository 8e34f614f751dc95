package clue

// BUSTM (XiaoBu assistant short-text matching), FewCLUE only: do two user utterances mean the
// same thing?
//
// Files (FewCLUE folder "bustm"): train_0..4.json, dev_0..4.json, train_few_all.json,
// dev_few_all.json, test_public.json (labelled), test.json (unlabelled). Records:
//
//	{"id": 5, "sentence1": "...", "sentence2": "...", "label": "1"}
//
// Labels "0" (different) and "1" (same). Input: TextA = sentence1, TextB = sentence2.
// Submission: bustm_predict.json.
func init() {
	labels := []string{"0", "1"}
	Register(&Task{
		Name:          "bustm",
		Description:   "FewCLUE BUSTM dialogue short-text matching (binary sentence pair)",
		Kind:          Classification,
		Labels:        labels,
		Decode:        pairText("sentence1", "sentence2", labels),
		FewSubmission: "bustm_predict.json",
		Metrics:       classificationMetrics(),
		FewShotDir:    []string{"bustm"},
	})
}
