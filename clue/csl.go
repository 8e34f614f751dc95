package clue

import (
	"fmt"
	"strings"
)

// cslKeywordSep joins CSL keywords into one text. It is the full-width semicolon the FL-tuning
// scripts use, so inputs match theirs token for token.
const cslKeywordSep = "；"

// CSL (Chinese Scientific Literature): are all listed keywords genuine keywords of the
// abstract?
//
// Files (csl_public.zip): train.json, dev.json, test.json. Records:
//
//	{"id": 1, "abst": "...", "keyword": ["...", "..."], "label": "1"}
//
// Labels "0" (some keyword forged) and "1" (all genuine). test.json has no label. Input:
// TextA = the keywords joined by '；', TextB = the abstract.
//
// FewCLUE (folder "csl"): same fields. Submissions: csl_predict.json (CLUE), cslf_predict.json
// (FewCLUE).
func init() {
	labels := []string{"0", "1"}
	Register(&Task{
		Name:          "csl",
		Description:   "CSL keyword recognition (binary: keywords vs abstract)",
		Kind:          Classification,
		Dirs:          []string{"csl_public", "csl"},
		Files:         map[string]string{"train": "train.json", "dev": "dev.json", "test": "test.json"},
		Labels:        labels,
		Decode:        decodeCSL(labels),
		Submission:    "csl_predict.json",
		FewSubmission: "cslf_predict.json",
		Metrics:       classificationMetrics(),
		FewShotDir:    []string{"csl"},
	})
}

func decodeCSL(labels []string) func([]byte) (Example, error) {
	return func(raw []byte) (Example, error) {
		r, err := parseRecord(raw)
		if err != nil {
			return Example{}, err
		}
		return finish(r, labels, nil, func(ex *Example) error {
			kws, err := r.strings("keyword")
			if err != nil {
				return err
			}
			if len(kws) == 0 {
				return fmt.Errorf("field \"keyword\": empty list")
			}
			ex.TextA = strings.Join(kws, cslKeywordSep)
			ex.TextB, err = r.text("abst")
			return err
		})
	}
}
