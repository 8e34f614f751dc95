package miniclue

import "strings"

// CLUENER: sentences with entities of the 10 CLUENER types. Titles come from one pool for
// books, films and games, so 《长风》 is a book after 读/出版, a movie after 上映/执导 and a
// game after 玩家/版本, sometimes twice in one sentence with two types (a novel and the
// film made from it). City names are addresses alone, organizations in 上海大学, and
// government in 上海市教育局. Offsets count runes and the end is inclusive; bracketed titles
// are labelled with their 《》.

var nerTypes = []string{"address", "book", "company", "game", "government", "movie", "name", "organization", "position", "scene"}

// spanNoise is the share of CLUENER entity annotations retyped to a confusable type or
// dropped, and of CMRC2018 answers pointed at another question's answer.
const spanNoise = 0.03

type nerSpans map[string]map[string][][2]int

type nerRow struct {
	Text  string   `json:"text"`
	Label nerSpans `json:"label"`
}

type nerTestRow struct {
	ID   int    `json:"id"`
	Text string `json:"text"`
}

type nerSentence struct {
	text  string
	spans nerSpans
}

var cluenerTask = &task{
	name:      "cluener",
	trainFile: "train.json",
	few:       "cluener",
	sizes:     [3]int{1500, 400, 300},
	fewSize:   32,
	noise:     spanNoise,
	unit:      nerUnit,
	encode: func(it item, form rowForm, id int) any {
		s := it.data.(nerSentence)
		if form == formTest {
			return nerTestRow{ID: id, Text: s.text}
		}
		return nerRow{Text: s.text, Label: s.spans}
	},
}

// Slots are entity types, optionally numbered ({name2}); {N} is a plain number.
var nerTemplates = []string{
	"{name}是{company}的{position}，平时住在{address}。",
	"{government}日前发布通知，{scene}将从下月起实行预约参观。",
	"据{company}透露，由{name}执导的电影{movie}将于国庆上映。",
	"{name}的新书{book}由{company}出版，首印五万册。",
	"玩家们在{game}里组队闯关，{company}表示新版本下周上线。",
	"{organization}的{position}{name}表示，球队会全力备战。",
	"从{government}获悉，{address}的道路改造已经完工。",
	"{name}在{organization}读书时，最喜欢的小说是{book}。",
	"周末{name}约朋友去{scene}游玩，晚上一起看了电影{movie}。",
	"{company}{position}{name}在发布会上宣布，{game}将推出手机版。",
	"{name}把小说{book}改编成了同名电影{movie}。",
	"{organization}与{company}签约，{name}出任{position}。",
	"{address}附近新开了一家书店，{book}摆在最显眼的位置。",
	"{name}说，{game}的新版本比电影{movie}还精彩。",
	"{government}表彰了{organization}，{name}代表全体成员领奖。",
	"今年夏天，{scene}接待游客超过百万人次，{government}加派了人手。",
	"作为{company}的{position}，{name}经常往返于{address}和{address2}之间。",
	"{name}和{name2}都在{organization}工作，一个是{position}，一个是{position2}。",
	"电影{movie}在{address}取景，片中出现了{scene}的美景。",
	"{name}调任{government}以来，推动了多项改革。",
	"{game}全国总决赛在{address}举行，{organization}夺得冠军。",
	"{name}推荐大家读一读{book}，说这本书影响了自己很多。",
	"{company}以{N}亿元收购了{company2}，{name}继续担任{position}。",
	"由{book}改编的游戏{game}上线首日，服务器就挤满了玩家。",
	"{position}{name}带队参观了{scene}和{organization}。",
	"{name}在{address}开了一家小店，专卖{game}的周边。",
	"{company}的员工{name}利用午休时间读完了{book}。",
	"{movie}的主创{name}出生在{address}，曾是{organization}的一名{position}。",
}

var orgSuffixes = strings.Fields("大学 第一中学 队 交响乐团 足球俱乐部 篮球队 摄影协会 书法协会 研究院 话剧团")
var govSuffixes = strings.Fields("人民政府 公安局 教育局 税务局 文化和旅游局 交通运输局 人民法院 卫生健康委员会")
var nationalGov = strings.Fields("教育部 商务部 外交部 国家税务总局 生态环境部 交通运输部")

// nerValue draws the surface string of an entity of type typ.
func nerValue(r *rng, typ string) string {
	switch typ {
	case "name":
		return anyPerson(r).name
	case "company":
		c := newCompany(r).name
		if r.chance(0.3) {
			c += pick(r, []string{"公司", "集团", "有限公司"})
		}
		return c
	case "position":
		p := pick(r, positions)
		if r.chance(0.15) {
			p = "副" + p
		}
		return p
	case "address":
		switch x := r.float(); {
		case x < 0.3:
			return city(r)
		case x < 0.5:
			return city(r) + "市" + pick(r, districts)
		case x < 0.7:
			return city(r) + pick(r, roads)
		}
		return address(r)
	case "scene":
		return pick(r, scenes).name
	case "government":
		if r.chance(0.25) {
			return pick(r, nationalGov)
		}
		return city(r) + "市" + pick(r, govSuffixes)
	case "organization":
		return city(r) + pick(r, orgSuffixes)
	case "game":
		if r.chance(0.4) {
			return title(r)
		}
		return "《" + title(r) + "》"
	default: // book, movie
		return "《" + title(r) + "》"
	}
}

// nerConfusions lists the type a noisy annotation may use instead of the right one.
var nerConfusions = map[string][]string{
	"book": {"movie", "game"}, "movie": {"book", "game"}, "game": {"book", "movie"},
	"company": {"organization"}, "organization": {"company", "government"}, "government": {"organization"},
	"address": {"scene"}, "scene": {"address"}, "name": {"position"}, "position": {"name"},
}

func nerUnit(r *rng, _ string) []item {
	tmpl := pick(r, nerTemplates)
	vals := map[string]string{"N": itoa(r.between(2, 90))}
	var shared string // one title shared by a book and the film or game made from it
	if strings.Contains(tmpl, "改编") {
		shared = "《" + title(r) + "》"
	}
	var chosen []string // entity strings so far, in slot order so that redraws are deterministic
	for _, slot := range slotNames(tmpl) {
		if slot == "N" {
			continue
		}
		typ := strings.TrimRight(slot, "0123456789")
		if shared != "" && (typ == "book" || typ == "movie" || typ == "game") {
			vals[slot] = shared
			continue
		}
		// Entities must not nest in or repeat each other, or a string would carry two spans
		// that the template never meant.
		v := nerValue(r, typ)
		for clash(v, chosen) || (shared != "" && clash(v, []string{shared})) {
			v = nerValue(r, typ)
		}
		chosen = append(chosen, v)
		vals[slot] = v
	}
	text, spans := fill(tmpl, vals)
	label := nerSpans{}
	for _, sp := range spans {
		if sp.slot == "N" {
			continue
		}
		typ := strings.TrimRight(sp.slot, "0123456789")
		if r.chance(spanNoise) {
			if r.chance(0.3) {
				continue // a missed entity
			}
			typ = pick(r, nerConfusions[typ])
		}
		if label[typ] == nil {
			label[typ] = map[string][][2]int{}
		}
		end := sp.start + runeLen(sp.text) - 1
		label[typ][sp.text] = append(label[typ][sp.text], [2]int{sp.start, end})
	}
	return []item{{keys: []string{text}, texts: []string{text}, data: nerSentence{text: text, spans: label}}}
}

func clash(v string, others []string) bool {
	for _, o := range others {
		if strings.Contains(o, v) || strings.Contains(v, o) {
			return true
		}
	}
	return false
}

// slotNames lists the distinct slot names of a template in order.
func slotNames(tmpl string) []string {
	var out []string
	seen := map[string]bool{}
	for rest := tmpl; ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return out
		}
		name := rest[i+1 : i+j]
		rest = rest[i+j+1:]
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
}
