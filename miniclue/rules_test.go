package miniclue

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestRNGStreams(t *testing.T) {
	a, b, c := newRNG(1, "x"), newRNG(1, "x"), newRNG(1, "y")
	same, differ := true, false
	for range 100 {
		x, y, z := a.next(), b.next(), c.next()
		same = same && x == y
		differ = differ || x != z
	}
	if !same || !differ {
		t.Errorf("same parts equal: %v, other parts differ: %v", same, differ)
	}
	r := newRNG(2)
	for range 1000 {
		if v := r.between(3, 5); v < 3 || v > 5 {
			t.Fatalf("between(3, 5) = %d", v)
		}
	}
}

func TestFillReportsRuneOffsets(t *testing.T) {
	text, spans := fill("那天{A}和{B}见面，{C}", map[string]string{"A": "张三", "B": "李四"})
	if text != "那天张三和李四见面，{C}" {
		t.Errorf("text %q", text)
	}
	if len(spans) != 2 || spans[0].start != 2 || spans[1].start != 5 || spans[1].text != "李四" {
		t.Errorf("spans %+v", spans)
	}
}

func TestMarshalLineUsesPythonSeparators(t *testing.T) {
	got, err := marshalLine(struct {
		A string `json:"a"`
		B []int  `json:"b"`
	}{`x:y, "z"<&>`, []int{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a": "x:y, \"z\"<&>", "b": [1, 2]}` + "\n"
	if string(got) != want {
		t.Errorf("got %s want %s", got, want)
	}
}

func TestNeedleIndex(t *testing.T) {
	ix := newNeedleIndex([]string{"张三投资了", "西湖", "x"})
	for s, want := range map[string]bool{
		"听说张三投资了华星": true, "去过西湖": true, "西": false, "张三投": false, "xyz": false, "": false,
	} {
		if got := ix.foundIn(s); got != want {
			t.Errorf("foundIn(%q) = %v, want %v", s, got, want)
		}
	}
}

// numberClaim must phrase a true or a false comparison as asked, for every value.
func TestNumberClaims(t *testing.T) {
	re := regexp.MustCompile(`(满|超过|不到|不满)(\d+)`)
	r := newRNG(11)
	for value := 1; value <= 70; value++ {
		for _, holds := range []bool{true, false} {
			for range 20 {
				s := numberClaim(r, "某人", value, holds, []string{"{P}已经满{M}岁了", "{P}的年龄超过{M}岁"}, []string{"{P}还不到{M}岁", "{P}不满{M}岁"}, nil)
				m := re.FindStringSubmatch(s)
				if m == nil {
					t.Fatalf("no comparison in %q", s)
				}
				n, _ := strconv.Atoi(m[2])
				var truth bool
				switch m[1] {
				case "满":
					truth = value >= n
				case "超过":
					truth = value > n
				default:
					truth = value < n
				}
				if truth != holds || n < 1 {
					t.Fatalf("age %d: %q is %v, want %v", value, s, truth, holds)
				}
			}
		}
	}
}

// built generates one task at a small scale through the internal API, to see gold labels.
func built(t *testing.T, tk *task) []item {
	t.Helper()
	s, err := tk.build(13, 1)
	if err != nil {
		t.Fatal(err)
	}
	return append(append(append([]item{}, s.train...), s.dev...), s.test...)
}

// TestNoiseRates measures the label noise of every task whose examples carry one label.
func TestNoiseRates(t *testing.T) {
	for _, tk := range tasks {
		if len(tk.labels) == 0 {
			continue // entity and answer noise: the tasks' own tests
		}
		items := built(t, tk)
		flipped := 0
		for _, it := range items {
			if it.label != it.gold {
				flipped++
			}
		}
		if rate := float64(flipped) / float64(len(items)); rate < tk.noise/2 || rate > tk.noise*1.625 {
			t.Errorf("%s: %s of labels differ from gold, want about %s", tk.name, pct(rate), pct(tk.noise))
		}
	}
}

// A list is gold "1" exactly when every keyword is one of the abstract's terms; a gold "0"
// list has one fake, which is a stretch of the abstract in about cslFragment of them and
// otherwise a term the abstract lacks.
func TestCSLKeywordRule(t *testing.T) {
	fragments, negatives := 0, 0
	for _, it := range built(t, cslTask) {
		p := it.data.(cslPaper)
		var fakes []string
		for _, k := range p.keywords {
			if !slices.Contains(p.terms, k) {
				fakes = append(fakes, k)
			}
		}
		for _, k := range p.terms {
			if !strings.Contains(p.abst, k) {
				t.Fatalf("term %q not in %q", k, p.abst)
			}
		}
		if want := map[string]int{"1": 0, "0": 1}[it.gold]; len(fakes) != want || len(p.keywords) < 3 {
			t.Fatalf("gold %s with fakes %v among %v in %q", it.gold, fakes, p.keywords, p.abst)
		}
		if it.gold == "0" {
			negatives++
			if strings.Contains(p.abst, fakes[0]) {
				fragments++
			}
		}
	}
	if share := float64(fragments) / float64(negatives); math.Abs(share-cslFragment) > 0.04 {
		t.Errorf("%s of %d fake keywords are stretches of the abstract, want about %s", pct(share), negatives, pct(cslFragment))
	}
}

func TestWSCEachTextHasOneReferent(t *testing.T) {
	byText := map[string][]item{}
	for _, it := range built(t, wscTask) {
		e := it.data.(wscExample)
		byText[e.text] = append(byText[e.text], it)
	}
	for text, its := range byText {
		trues := 0
		for _, it := range its {
			if it.gold == "true" {
				trues++
			}
		}
		if trues > 1 || (len(its) == 2 && trues != 1) {
			t.Fatalf("%q: %d gold-true rows among %d", text, trues, len(its))
		}
	}
}

// The pronoun refers to the first-mentioned candidate (span1 before the other candidate) in
// about firstMention of the texts; the labels stay balanced because each text has one true
// and one false row.
func TestWSCFirstMentionShare(t *testing.T) {
	// Gold labels: the noisy ones would blur the share.
	trueAt, falseAt := map[string]int{}, map[string]int{}
	for _, it := range built(t, wscTask) {
		e := it.data.(wscExample)
		if it.gold == "true" {
			trueAt[e.text] = e.target.Span1Index
		} else {
			falseAt[e.text] = e.target.Span1Index
		}
	}
	first := 0
	for text, i := range trueAt {
		j, ok := falseAt[text]
		if !ok {
			t.Fatalf("%q has no false row", text)
		}
		if i < j {
			first++
		}
	}
	share := float64(first) / float64(len(trueAt))
	if math.Abs(share-firstMention) > 0.04 {
		t.Errorf("the first-mentioned candidate is the referent in %.3f of %d texts, want about %.2f", share, len(trueAt), firstMention)
	}
}

// The OCNLI rules checked on premises built here: functional attributes take one value.
func TestOCNLIFunctionalRules(t *testing.T) {
	r := newRNG(17)
	for range 500 {
		pr, text := newPremise(r)
		for _, pf := range pr.people {
			if pf.city == "" {
				continue
			}
			h, ok := hypChange(r, pr, pf, "city")
			if !ok || strings.Contains(h, pf.city) {
				t.Fatalf("change of city %s in %q gave %q", pf.city, text, h)
			}
			h, _ = hypNegOther(r, pr, pf, "city")
			if strings.Contains(h, pf.city) || !strings.Contains(h, "不") && !strings.Contains(h, "没") {
				t.Fatalf("denying another city than %s gave %q", pf.city, h)
			}
		}
		if h, ok := hypUnknown(r, pr, pr.people[0], "visited"); ok && pr.people[0].visited >= 0 {
			t.Fatalf("unknown-attribute rule fired on a stated attribute: %q for %q", h, text)
		}
	}
}

// About afqmcUnrelated of the AFQMC negatives pair unrelated facts (and only negatives do).
func TestAFQMCUnrelatedShare(t *testing.T) {
	unrelated, negatives := 0, 0
	for _, it := range built(t, afqmcTask) {
		p := it.data.(afqmcPair)
		if p.unrelated && it.gold != "0" {
			t.Fatalf("unrelated pair with gold %s: %q / %q", it.gold, p.s1, p.s2)
		}
		if it.gold == "0" {
			negatives++
			if p.unrelated {
				unrelated++
			}
		}
	}
	if share := float64(unrelated) / float64(negatives); math.Abs(share-afqmcUnrelated) > 0.04 {
		t.Errorf("%s of %d negatives pair unrelated facts, want about %s", pct(share), negatives, pct(afqmcUnrelated))
	}
}
