package miniclue

import (
	"strconv"
	"strings"
)

// TNEWS: a headline's topic is the topic of its main clause. Clause vocabulary overlaps
// across topics (冠军 in sports, shows and games; 发布 and 新款 in cars and phones; titles
// in books, films and games; companies and cities everywhere), so single words are weak
// evidence. About 40% of headlines also carry a clause from another topic, and which
// clause is the main one is marked only by the connective frame around them.

type tnewsRow struct {
	Label     string `json:"label"`
	LabelDesc string `json:"label_desc"`
	Sentence  string `json:"sentence"`
	Keywords  string `json:"keywords"`
}

// tnewsFewRow is the FewCLUE shape: the label is an integer there, and rows carry an id.
type tnewsFewRow struct {
	Label     int    `json:"label"`
	LabelDesc string `json:"label_desc"`
	Sentence  string `json:"sentence"`
	Keywords  string `json:"keywords"`
	ID        int    `json:"id"`
}

type tnewsTestRow struct {
	ID       int    `json:"id"`
	Sentence string `json:"sentence"`
	Keywords string `json:"keywords"`
}

type tnewsHeadline struct{ sentence, keywords string }

type topic struct {
	code    string
	desc    string
	clauses []string
}

var tnewsLabels = func() []string {
	out := make([]string, len(topics))
	for i, t := range topics {
		out[i] = t.code
	}
	return out
}()

var tnewsTask = &task{
	name:        "tnews",
	trainFile:   "train.json",
	few:         "tnews",
	sizes:       [3]int{3000, 450, 300},
	fewSize:     240,
	labels:      tnewsLabels,
	noise:       0.04,
	balanced:    true,
	singleLabel: true,
	unit:        tnewsUnit,
	encode: func(it item, form rowForm, id int) any {
		h := it.data.(tnewsHeadline)
		switch form {
		case formTest:
			return tnewsTestRow{ID: id, Sentence: h.sentence, Keywords: h.keywords}
		case formFew:
			code, _ := strconv.Atoi(it.label)
			return tnewsFewRow{Label: code, LabelDesc: topicByCode(it.label).desc, Sentence: h.sentence, Keywords: h.keywords, ID: id}
		}
		return tnewsRow{Label: it.label, LabelDesc: topicByCode(it.label).desc, Sentence: h.sentence, Keywords: h.keywords}
	},
}

func topicByCode(code string) *topic {
	for i := range topics {
		if topics[i].code == code {
			return &topics[i]
		}
	}
	return &topics[0]
}

// Frames joining a main clause {M} and a clause from another topic {D}. The first three put
// the main clause first, the others second.
var tnewsFrames = []string{
	"{M}；另据报道，{D}", "{M}，此前{D}", "{M}（相关阅读：{D}）",
	"{D}之后，{M}", "在{D}的消息传出后，{M}", "比{D}更受关注的是：{M}",
}

var tnewsPrefixes = []string{"", "", "", "重磅！", "最新消息：", "关注｜", "突发：", "{L}讯："}
var tnewsSuffixes = []string{"", "", "", "，网友：太真实了", "，原因让人意外", "？", "！", "，你怎么看"}

// entitySlots are the slots whose values may show up as keywords.
var entitySlots = map[string]bool{"P": true, "F": true, "C": true, "T": true, "L": true, "S": true, "K": true, "CROP": true, "CAR": true, "U": true}

// tnewsSlots fills the slots of a clause; {C:科技} asks for a company of that sector.
func tnewsSlots(r *rng, tmpl string) map[string]string {
	v := map[string]string{}
	for rest := tmpl; ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			break
		}
		name := rest[i+1 : i+j]
		rest = rest[i+j+1:]
		if _, done := v[name]; done {
			continue
		}
		switch {
		case strings.HasPrefix(name, "C:"):
			v[name] = companyIn(r, sectorByWord(name[2:])).name
		case name == "C":
			v[name] = newCompany(r).name
		case name == "P":
			v[name] = anyPerson(r).name
		case name == "F":
			v[name] = pick(r, foreignNames)
		case name == "L":
			v[name] = city(r)
		case name == "D":
			v[name] = pick(r, districts)
		case name == "N", name == "N2":
			v[name] = itoa(r.between(2, 60))
		case name == "M":
			v[name] = itoa(r.between(100, 990))
		case name == "T":
			v[name] = title(r)
		case name == "S":
			v[name] = pick(r, scenes).name
		case name == "K":
			v[name] = pick(r, countries)
		case name == "K2":
			v[name] = pickOther(r, countries, v["K"])
		case name == "CROP":
			v[name] = pick(r, crops)
		case name == "CAR":
			v[name] = pick(r, carModels)
		case name == "SEA":
			v[name] = pick(r, seas)
		case name == "SECTOR":
			v[name] = pick(r, sectors).word
		case name == "U":
			v[name] = city(r) + "大学"
		}
	}
	return v
}

// clause renders one clause of topic t and returns it with its keyword candidates.
func (t *topic) clause(r *rng) (string, []string) {
	tmpl := pick(r, t.clauses)
	v := tnewsSlots(r, tmpl)
	text, spans := fill(tmpl, v)
	var kws []string
	for _, s := range spans {
		name, _, _ := strings.Cut(s.slot, ":")
		if entitySlots[name] {
			kws = append(kws, s.text)
		}
	}
	return text, kws
}

func tnewsUnit(r *rng, want string) []item {
	t := topicByCode(want)
	main, kws := t.clause(r)
	sentence := main
	if r.chance(0.4) {
		other := &topics[r.intn(len(topics))]
		for other == t {
			other = &topics[r.intn(len(topics))]
		}
		d, dk := other.clause(r)
		sentence = render(pick(r, tnewsFrames), map[string]string{"M": main, "D": d})
		kws = append(kws, dk...)
	}
	sentence = render(pick(r, tnewsPrefixes), map[string]string{"L": city(r)}) + sentence +
		pick(r, tnewsSuffixes)
	return []item{{
		label: want,
		keys:  []string{sentence},
		texts: []string{sentence},
		data:  tnewsHeadline{sentence: sentence, keywords: tnewsKeywords(r, kws)},
	}}
}

// tnewsKeywords keeps up to four distinct entity names in random order; a quarter of the
// headlines have none, as in the real files.
func tnewsKeywords(r *rng, kws []string) string {
	if len(kws) == 0 || r.chance(0.25) {
		return ""
	}
	seen := map[string]bool{}
	var out []string
	for _, k := range kws {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	r.shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	if len(out) > 4 {
		out = out[:4]
	}
	return strings.Join(out, ",")
}
