package clue

// EPRSTMT (e-commerce product review sentiment), FewCLUE only: binary polarity of a review.
//
// Files (FewCLUE folder "eprstmt"): train_0..4.json, dev_0..4.json, train_few_all.json,
// dev_few_all.json, test_public.json (labelled), test.json (unlabelled). Records:
//
//	{"id": 23, "sentence": "...", "label": "Positive"}
//
// Labels "Negative" and "Positive", written exactly so in submissions
// (eprstmt_predict.json). Input: TextA = sentence.
func init() {
	labels := []string{"Negative", "Positive"}
	Register(&Task{
		Name:          "eprstmt",
		Description:   "FewCLUE EPRSTMT product review sentiment (binary)",
		Kind:          Classification,
		Labels:        labels,
		Decode:        singleText("sentence", labels),
		FewSubmission: "eprstmt_predict.json",
		Metrics:       classificationMetrics(),
		FewShotDir:    []string{"eprstmt"},
	})
}
