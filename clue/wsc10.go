package clue

// WSC 1.0: the first CLUEWSC2020 release (532/104/143 rows), scored separately on the CLUE
// leaderboard. Same record schema, labels and span-marking input as wsc (see wsc.go).
//
// The 1.0 zip unpacks to the same file names as 1.1, so it must live in its own folder under
// the data dir: cluewsc10_public (or cluewsc10, wsc10). Submission: cluewsc10_predict.json.
// Not part of FewCLUE (FewCLUE's cluewsc belongs to the wsc task).
func init() {
	Register(&Task{
		Name:        "wsc10",
		Description: "CLUEWSC2020 version 1.0 pronoun resolution (binary, marked spans)",
		Kind:        Classification,
		Dirs:        []string{"cluewsc10_public", "cluewsc10", "wsc10"},
		Files:       map[string]string{"train": "train.json", "dev": "dev.json", "test": "test.json"},
		Labels:      wscLabels,
		Decode:      decodeWSC,
		Submission:  "cluewsc10_predict.json",
		Metrics:     classificationMetrics(),
	})
}
