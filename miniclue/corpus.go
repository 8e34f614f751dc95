package miniclue

import (
	"strings"
)

// corpus.txt is the masked-LM pre-training text: one paragraph per line, written from the
// same world as the tasks. Besides plain sentences of every kind it states the world's
// knowledge explicitly (which city a scenic spot is in, what kind of company a name is,
// which paraphrases mean the same, whom a pronoun refers to, what follows from a premise),
// so that a pre-trained backbone carries knowledge the tasks then probe, the way real
// pre-training carries it for CLUE. No dev or test text of any task occurs in it.

// corpusBytes is the size of corpus.txt at Scale 1, about 2.5 MB.
const corpusBytes = 2_500_000

var sectionNames = map[string]string{
	"100": "故事", "101": "文化", "102": "娱乐", "103": "体育", "104": "财经", "106": "房产", "107": "汽车",
	"108": "教育", "109": "科技", "110": "军事", "112": "旅游", "113": "国际", "114": "股票", "115": "三农", "116": "游戏",
}

type corpusSource struct {
	weight float64
	line   func(r *rng) string
}

var corpusSources = []corpusSource{
	{0.18, corpusFacts},
	{0.14, corpusHeadlines},
	{0.10, corpusKnowledge},
	{0.16, corpusInference},
	{0.16, corpusCoreference},
	{0.12, corpusAbstract},
	{0.14, corpusEntities},
}

// buildCorpus writes paragraphs until the size is reached, dropping any paragraph that
// contains a protected (dev or test) text; a dropped paragraph is replaced by a new one.
func buildCorpus(seed int64, scale float64, protected []string) string {
	r := newRNG(seed, "corpus")
	banned := newNeedleIndex(protected)
	target := int(float64(corpusBytes) * scale)
	var lines []string
	size := 0
	total := 0.0
	for _, s := range corpusSources {
		total += s.weight
	}
	for size < target {
		var batch []string
		for n := 0; n < 2000 && size < target; n++ {
			x := r.float() * total
			src := corpusSources[len(corpusSources)-1]
			for _, s := range corpusSources {
				if x < s.weight {
					src = s
					break
				}
				x -= s.weight
			}
			l := src.line(r)
			batch = append(batch, l)
			size += len(l) + 1
		}
		for _, l := range batch {
			if banned.foundIn(l) {
				size -= len(l) + 1
				continue
			}
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// corpusFacts states one to three facts, often followed by a paraphrase of one of them.
func corpusFacts(r *rng) string {
	var parts []string
	for range r.between(1, 3) {
		rel := &relations[r.intn(len(relations))]
		f := newFact(r, rel)
		neg := r.chance(0.15)
		n := len(rel.formsOf(neg))
		i := r.intn(n)
		s := f.say(i, neg)
		if r.chance(0.5) {
			j := (i + 1 + r.intn(n-1)) % n
			g := f
			if rel.symmetric && r.chance(0.5) {
				g.s, g.o = f.o, f.s
			}
			s += pick(r, []string{"，也就是说，", "，换句话说，", "，即"}) + g.say(j, neg)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "。") + "。"
}

func corpusHeadlines(r *rng) string {
	t := &topics[r.intn(len(topics))]
	h := tnewsUnit(r, t.code)[0].data.(tnewsHeadline).sentence
	if r.chance(0.4) {
		return sectionNames[t.code] + "频道：" + h
	}
	return h
}

// corpusKnowledge states hypernyms and facts the NLI rules rely on.
func corpusKnowledge(r *rng) string {
	switch r.intn(6) {
	case 0:
		s := pick(r, scenes)
		return render(pick(r, []string{"{S}位于{L}。", "{S}在{L}，是当地有名的景点。", "去{L}旅游的人大多会去{S}看看。"}), map[string]string{"S": s.name, "L": s.city})
	case 1:
		c := newCompany(r)
		return render(pick(r, []string{"{C}是一家{K}。", "作为一家{K}，{C}的总部设在{L}。"}), map[string]string{"C": c.name, "K": c.sec.kind, "L": city(r)})
	case 2:
		l := city(r)
		return render(pick(r, []string{"{L}是一座城市。", "住在{L}的人都生活在城市里。", "{L}是一座历史悠久的城市。"}), map[string]string{"L": l})
	case 3:
		p := pick(r, pets)
		return p.animal + pick(r, []string{"是一种常见的宠物。", "是很多家庭喜欢养的宠物。"})
	case 4:
		n := r.between(20, 70)
		m := n - r.between(1, 5)
		return render(pick(r, []string{"{N}岁的人已经满{M}岁了。", "今年{N}岁，说明还不到{K}岁。"}), map[string]string{"N": itoa(n), "M": itoa(m), "K": itoa(n + r.between(1, 5))})
	}
	a, b := twoPeople(r)
	d := r.between(2, 15)
	return render("{A}比{B}大{N}岁，所以{B}比{A}年轻，{A}比{B}年长。", map[string]string{"A": a.name, "B": b.name, "N": itoa(d)})
}

// corpusInference writes a premise followed by a conclusion that follows from it and a
// statement it rules out.
func corpusInference(r *rng) string {
	pr, text := newPremise(r)
	e := hypothesis(r, pr, "entailment")
	c := hypothesis(r, pr, "contradiction")
	switch r.intn(3) {
	case 0:
		return text + "由此可知，" + e + "。"
	case 1:
		return text + "所以说“" + c + "”是不对的。"
	}
	return text + "可见" + e + "，而“" + c + "”的说法不成立。"
}

// corpusCoreference writes a Winograd sentence with the pronoun resolved, either replaced
// by the name or explained after the sentence.
func corpusCoreference(r *rng) string {
	it := wscUnit(r, "")
	var e wscExample
	for _, x := range it {
		if x.label == "true" {
			e = x.data.(wscExample)
		}
	}
	rs := []rune(e.text)
	pron := e.target.Span2Text
	if r.chance(0.5) {
		return string(rs[:e.target.Span2Index]) + e.target.Span1Text + string(rs[e.target.Span2Index+runeLen(pron):])
	}
	return e.text + "这里的“" + pron + "”指的是" + e.target.Span1Text + "。"
}

func corpusAbstract(r *rng) string {
	it := cslUnit(r, "1")[0]
	p := it.data.(cslPaper)
	if r.chance(0.5) {
		return p.abst + "关键词：" + strings.Join(p.keywords, "；") + "。"
	}
	return p.abst
}

func corpusEntities(r *rng) string {
	var parts []string
	for range r.between(1, 2) {
		parts = append(parts, nerUnit(r, "")[0].data.(nerSentence).text)
	}
	return strings.Join(parts, "")
}
