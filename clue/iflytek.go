package clue

import "strconv"

// IFLYTEK: 119-way classification of app descriptions.
//
// Files (iflytek_public.zip): train.json, dev.json, test.json. Records:
//
//	{"label": "11", "label_des": "...", "sentence": "..."}
//
// Labels are "0" to "118"; label_des (the category name, e.g. "打车" for 0) is not checked.
// test.json carries "id" and no label. Input: TextA = sentence (descriptions are long; the
// runner truncates to its max length).
//
// FewCLUE (folder "iflytek"): same fields plus "id", labels as JSON numbers. Submissions:
// iflytek_predict.json (CLUE), iflytekf_predict.json (FewCLUE).
func init() {
	labels := make([]string, 119)
	for i := range labels {
		labels[i] = strconv.Itoa(i)
	}
	Register(&Task{
		Name:          "iflytek",
		Description:   "IFLYTEK app description topic (119 classes)",
		Kind:          Classification,
		Dirs:          []string{"iflytek_public", "iflytek"},
		Files:         map[string]string{"train": "train.json", "dev": "dev.json", "test": "test.json"},
		Labels:        labels,
		Decode:        singleText("sentence", labels),
		Submission:    "iflytek_predict.json",
		FewSubmission: "iflytekf_predict.json",
		Metrics:       classificationMetrics(),
		FewShotDir:    []string{"iflytek"},
	})
}
