package miniclue

// CLUEWSC2020: Winograd-style sentences with two candidates of the same kind (two people of
// the same gender, or two things) and one pronoun. Each schema has two endings that differ
// in one phrase and send the pronoun to different candidates (追不上…因为他跑得太慢 → the
// chaser; …太快 → the one chased), so the words of the text never decide the answer alone:
// it depends on which candidate span1 is together with which ending was used. Every text
// is written out with each candidate as span1, one "true" and one "false" row.
//
// The pronoun refers to the first-mentioned candidate in firstMention of the texts, as
// pronouns in running text lean towards the subject. Why: with the endings balanced, the
// label is an exclusive-or of two facts (which candidate is marked, which ending was used)
// with no correlation to either alone, and the built-in backbone never left chance while it
// memorised the training texts (dev at most 56% after 570 fine-tuning steps; 55% after 1,140
// steps with a third of the schemas). With the lean it first learns the structural cue (which
// candidate is marked: worth 70%, invisible to a bag of characters) and then the endings
// (70-85% after 6 epochs); with a 60% lean it had not started after 6 epochs.

type wscTarget struct {
	Span2Index int    `json:"span2_index"`
	Span1Index int    `json:"span1_index"`
	Span1Text  string `json:"span1_text"`
	Span2Text  string `json:"span2_text"`
}

type wscRow struct {
	Target wscTarget `json:"target"`
	Idx    int       `json:"idx"`
	Label  string    `json:"label"`
	Text   string    `json:"text"`
}

type wscTestRow struct {
	Target wscTarget `json:"target"`
	ID     int       `json:"id"`
	Text   string    `json:"text"`
}

type wscExample struct {
	text   string
	target wscTarget
}

var wscTask = &task{
	name:      "cluewsc2020",
	trainFile: "train.json",
	few:       "cluewsc",
	sizes:     [3]int{1200, 300, 300},
	fewSize:   32,
	labels:    []string{"true", "false"},
	noise:     0.04,
	unit:      wscUnit,
	encode: func(it item, form rowForm, id int) any {
		e := it.data.(wscExample)
		if form == formTest {
			return wscTestRow{Target: e.target, ID: id, Text: e.text}
		}
		return wscRow{Target: e.target, Idx: id, Label: it.label, Text: e.text}
	},
}

const firstMention = 0.7

// schema is a Winograd pair: {A} and {B} are the candidates, {R} the pronoun; ends[0]
// makes the pronoun refer to A and ends[1] to B. Object schemas list their candidate
// nouns; person schemas use names.
type schema struct {
	tmpl string
	ends [2]string
	as   []string // candidate nouns for A (objects only)
	bs   []string // candidate nouns for B (objects only)
}

var personSchemas = []schema{
	{tmpl: "{A}赢了{B}，因为{R}{E}", ends: [2]string{"练得更刻苦", "发挥失常了"}},
	{tmpl: "{A}向{B}借了一笔钱，因为{R}{E}", ends: [2]string{"手头很紧", "手头很宽裕"}},
	{tmpl: "{A}给{B}打电话，可是{R}{E}", ends: [2]string{"拨错了号码", "一直没有接"}},
	{tmpl: "{A}追不上{B}，因为{R}跑得{E}", ends: [2]string{"太慢了", "太快了"}},
	{tmpl: "{A}感谢{B}，因为{R}{E}", ends: [2]string{"得到了很多帮助", "帮了大忙"}},
	{tmpl: "{A}向{B}道歉，因为{R}{E}", ends: [2]string{"做错了事", "受了委屈"}},
	{tmpl: "{A}请{B}吃饭，因为{R}{E}", ends: [2]string{"刚拿到奖金", "前几天帮过忙"}},
	{tmpl: "{A}批评了{B}，因为{R}{E}", ends: [2]string{"要求很严格", "又迟到了"}},
	{tmpl: "{A}去医院看望{B}，因为{R}{E}", ends: [2]string{"很关心朋友", "生病住院了"}},
	{tmpl: "{A}向{B}请教问题，因为{R}{E}", ends: [2]string{"有些地方不懂", "懂得很多"}},
	{tmpl: "{A}没能说服{B}，因为{R}{E}", ends: [2]string{"口才不好", "太固执了"}},
	{tmpl: "{A}叫醒了{B}，因为{R}{E}", ends: [2]string{"起得很早", "睡过头了"}},
	{tmpl: "{A}把座位让给了{B}，因为{R}{E}", ends: [2]string{"年轻力壮", "年纪大了"}},
	{tmpl: "{A}给{B}倒了一杯水，因为{R}{E}", ends: [2]string{"很热情", "很口渴"}},
	{tmpl: "{A}等了{B}很久，因为{R}{E}", ends: [2]string{"来得太早", "迟到了"}},
	{tmpl: "{A}跑得比{B}快，所以{R}{E}", ends: [2]string{"先到了终点", "落在了后面"}},
	{tmpl: "{A}把书借给了{B}，因为{R}{E}", ends: [2]string{"已经看完了", "想看这本书"}},
	{tmpl: "{A}安慰{B}，因为{R}{E}", ends: [2]string{"心地善良", "考试没考好"}},
	{tmpl: "{A}躲着{B}，因为{R}{E}", ends: [2]string{"欠了一笔钱", "总是找麻烦"}},
	{tmpl: "{A}把奖杯递给了{B}，因为{R}{E}", ends: [2]string{"是颁奖嘉宾", "获得了冠军"}},
}

var objectSchemas = []schema{
	{tmpl: "{A}放不进{B}里，因为{R}太{E}了", ends: [2]string{"大", "小"},
		as: []string{"箱子", "西瓜", "电脑", "足球", "花瓶"}, bs: []string{"书包", "抽屉", "柜子", "盒子", "袋子"}},
	{tmpl: "{A}压坏了{B}，因为{R}太{E}了", ends: [2]string{"重", "脆"},
		as: []string{"石头", "铁锅", "行李", "木箱"}, bs: []string{"纸箱", "玻璃杯", "鸡蛋", "饼干"}},
	{tmpl: "{A}挡住了{B}，因为{R}太{E}了", ends: [2]string{"高", "矮"},
		as: []string{"大树", "围墙", "广告牌", "高楼"}, bs: []string{"路灯", "窗户", "小屋", "招牌"}},
	{tmpl: "{A}开不进{B}，因为{R}太{E}了", ends: [2]string{"宽", "窄"},
		as: []string{"卡车", "大巴", "货车"}, bs: []string{"隧道", "小巷", "车库", "桥洞"}},
	{tmpl: "{A}装不满{B}，因为{R}太{E}了", ends: [2]string{"少", "大"},
		as: []string{"这点水", "这些米", "这些沙子"}, bs: []string{"水缸", "麻袋", "水桶"}},
	{tmpl: "{A}比{B}便宜，所以{R}卖得{E}", ends: [2]string{"更快", "更慢"},
		as: []string{"苹果", "围巾", "台灯", "雨伞"}, bs: []string{"梨", "手套", "风扇", "帽子"}},
	{tmpl: "{A}没有{B}结实，所以{R}{E}", ends: [2]string{"先坏了", "用了很多年"},
		as: []string{"木椅", "纸盒", "塑料桶"}, bs: []string{"铁椅", "木箱", "铁桶"}},
}

// Openers that shift every offset and add a distractor name; {Z} is a third person.
var wscOpeners = []string{"", "", "那天下午，", "在{L}的时候，", "{Z}说，", "听{Z}讲，", "去年冬天，", "上周在{L}，"}

func wscUnit(r *rng, _ string) []item {
	var s schema
	vals := map[string]string{"L": city(r)}
	if r.chance(0.7) {
		s = pick(r, personSchemas)
		a, b := twoPeople(r)
		vals["A"], vals["B"], vals["R"] = a.name, b.name, a.pronoun()
		z := anyPerson(r)
		for z.name == a.name || z.name == b.name {
			z = anyPerson(r)
		}
		vals["Z"] = z.name
	} else {
		s = pick(r, objectSchemas)
		vals["A"], vals["B"], vals["R"] = pick(r, s.as), pick(r, s.bs), "它"
		vals["Z"] = anyPerson(r).name
	}
	refersToA := r.chance(firstMention)
	vals["E"] = s.ends[0]
	if !refersToA {
		vals["E"] = s.ends[1]
	}
	text, spans := fill(pick(r, wscOpeners)+s.tmpl+"。", vals)
	var at, bt, rt span
	for _, sp := range spans {
		switch sp.slot {
		case "A":
			at = sp
		case "B":
			bt = sp
		case "R":
			rt = sp
		}
	}
	mk := func(cand span, isA bool) item {
		label := "false"
		if isA == refersToA {
			label = "true"
		}
		return item{label: label, keys: []string{text}, texts: []string{text},
			data: wscExample{text: text, target: wscTarget{
				Span2Index: rt.start, Span1Index: cand.start, Span1Text: cand.text, Span2Text: rt.text}}}
	}
	out := []item{mk(at, true), mk(bt, false)}
	r.shuffle(2, func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}
