package miniclue

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var chidBlank = regexp.MustCompile(`#idiom\d{6}#`)

func readCHIDAnswers(t *testing.T, dir, file string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "chid_public", file))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]int
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return m
}

// readCHIDRecords decodes a data file strictly.
func readCHIDRecords(t *testing.T, dir, file string) []chidRecord {
	t.Helper()
	var out []chidRecord
	for i, row := range readRows(t, filepath.Join(dir, "chid_public", file)) {
		b, _ := json.Marshal(row)
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		var r chidRecord
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("%s line %d: %v", file, i+1, err)
		}
		out = append(out, r)
	}
	return out
}

func TestCHIDLayoutAndAnswers(t *testing.T) {
	dir, m := fixture(t)
	if _, err := os.Stat(filepath.Join(dir, "chid_public", "test1.1_answer.json")); err == nil {
		t.Error("the test file has an answer file")
	}
	tags := map[string]bool{}
	for _, c := range []struct{ data, answers string }{{"train.json", "train_answer.json"}, {"dev.json", "dev_answer.json"}, {"test1.1.json", ""}} {
		recs := readCHIDRecords(t, dir, c.data)
		var ans map[string]int
		if c.answers != "" {
			ans = readCHIDAnswers(t, dir, c.answers)
		}
		blanks, right := 0, 0
		for i, r := range recs {
			if len(r.Candidates) != chidCandidates || len(slices.Compact(slices.Sorted(slices.Values(r.Candidates)))) != chidCandidates {
				t.Fatalf("%s record %d: candidates %q, want %d distinct", c.data, i, r.Candidates, chidCandidates)
			}
			if len(r.Content) < 1 || len(r.Content) > 3 {
				t.Fatalf("%s record %d: %d passages", c.data, i, len(r.Content))
			}
			for _, p := range r.Content {
				found := chidBlank.FindAllString(p, -1)
				if len(found) != 1 || tags[found[0]] {
					t.Fatalf("%s record %d: passage %q has blanks %q (one new tag wanted)", c.data, i, p, found)
				}
				tag := found[0]
				tags[tag] = true
				blanks++
				if ans == nil {
					continue
				}
				a, ok := ans[tag]
				if !ok || a < 0 || a >= chidCandidates {
					t.Fatalf("%s: blank %s has answer %d, %v", c.answers, tag, a, ok)
				}
				// The named idiom's own sentence, with the blank, is the passage (but for noise).
				if chidFits(r.Candidates[a], p) {
					right++
				}
			}
		}
		if e := m.File("chid_public/" + c.data); e == nil || e.Rows != len(recs) {
			t.Errorf("%s: %d records, manifest entry %+v", c.data, len(recs), e)
		}
		if ans == nil {
			continue
		}
		if len(ans) != blanks {
			t.Errorf("%s: %d answers for %d blanks", c.answers, len(ans), blanks)
		}
		if share := float64(right) / float64(blanks); share < 0.93 || share == 1 {
			t.Errorf("%s: %s of answers name the idiom whose sentence the passage is; want all but about 3%% noise", c.data, pct(share))
		}
	}
}

// chidFits reports whether passage p is idiom's sentence with the blank in place of the idiom.
func chidFits(idiom, p string) bool {
	for _, e := range chidIdioms {
		if e.idiom != idiom {
			continue
		}
		// The sentence's fixed words around {I} must surround the blank.
		parts := strings.Split(e.context, "{I}")
		before := lastFixed(parts[0])
		after := firstFixed(parts[1])
		loc := chidBlank.FindStringIndex(p)
		return strings.HasSuffix(p[:loc[0]], before) && strings.HasPrefix(p[loc[1]:], after)
	}
	return false
}

// lastFixed and firstFixed are the template text next to the blank up to another slot.
func lastFixed(s string) string {
	if i := strings.LastIndex(s, "}"); i >= 0 {
		return s[i+1:]
	}
	return s
}

func firstFixed(s string) string {
	if i := strings.Index(s, "{"); i >= 0 {
		return s[:i]
	}
	return s
}

// Guessing the idiom most often right in training must be far from the gold on dev: the
// answers follow the passages, not a prior over idioms.
func TestCHIDAnswersAreNotAPrior(t *testing.T) {
	dir, _ := fixture(t)
	count := map[string]int{}
	recs := readCHIDRecords(t, dir, "train.json")
	ans := readCHIDAnswers(t, dir, "train_answer.json")
	for _, r := range recs {
		for _, p := range r.Content {
			count[r.Candidates[ans[chidBlank.FindString(p)]]]++
		}
	}
	hit, total := 0, 0
	dev := readCHIDAnswers(t, dir, "dev_answer.json")
	for _, r := range readCHIDRecords(t, dir, "dev.json") {
		best := r.Candidates[0]
		for _, c := range r.Candidates {
			if count[c] > count[best] {
				best = c
			}
		}
		for _, p := range r.Content {
			total++
			if r.Candidates[dev[chidBlank.FindString(p)]] == best {
				hit++
			}
		}
	}
	if acc := float64(hit) / float64(total); acc > 0.3 {
		t.Errorf("most-frequent-idiom baseline %s on %d dev blanks; want near 1 in 10", pct(acc), total)
	}
}
