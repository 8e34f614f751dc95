package clue

// TNEWS (Toutiao news titles, version 1.1): 15-way topic classification of a headline.
//
// Files (tnews_public.zip): train.json, dev.json, test.json. Records:
//
//	{"label": "102", "label_desc": "news_entertainment", "sentence": "...", "keywords": "..."}
//
// Labels are the category codes "100" to "116" without "105" and "111" (15 classes); the
// label_desc names are informational and not checked. test.json carries "id" and no label.
// Input: TextA = sentence only. The keywords field is left out, as in the CLUE baselines and
// the FL-tuning scripts, so single-text models see a headline and nothing else.
//
// FewCLUE (folder "tnews"): train_0..4.json etc. with the same fields plus "id", but the label
// is a JSON number (102); both forms decode to the same label index. Submissions:
// tnews11_predict.json (CLUE 1.1), tnewsf_predict.json (FewCLUE).
func init() {
	labels := []string{"100", "101", "102", "103", "104", "106", "107", "108", "109", "110",
		"112", "113", "114", "115", "116"}
	Register(&Task{
		Name:          "tnews",
		Description:   "TNEWS 1.1 news headline topic (15 classes)",
		Kind:          Classification,
		Dirs:          []string{"tnews_public", "tnews"},
		Files:         map[string]string{"train": "train.json", "dev": "dev.json", "test": "test.json"},
		Labels:        labels,
		Decode:        singleText("sentence", labels),
		Submission:    "tnews11_predict.json",
		FewSubmission: "tnewsf_predict.json",
		Metrics:       classificationMetrics(),
		FewShotDir:    []string{"tnews"},
	})
}
