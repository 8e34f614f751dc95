package miniclue

import (
	"fmt"
	"slices"
	"strings"
)

// CHID: idiom cloze. A record holds one to three passages, each with one blank written as a
// #idiomNNNNNN# tag, and ten candidate idioms: the answers of its blanks and idioms from the
// rest of the list. Each idiom has a passage that describes the situation it names (做事从不
// 分心 → 一心一意), so the blank is decided by the meaning of the sentence around it. Every
// idiom is a distractor in other records and the list holds near opposites (一心一意 /
// 三心二意), so an idiom's own words or frequency do not give it away. Files as the
// official release: train.json, dev.json and test1.1.json in JSON lines {"candidates",
// "content"}, with train_answer.json and dev_answer.json mapping every tag to its candidate
// index. Tags are unique across the files.

type chidRecord struct {
	Candidates []string `json:"candidates"`
	Content    []string `json:"content"`
}

type chidPassage struct {
	idiom int    // index into chidIdioms
	text  string // with {I} where the blank goes
}

type chidItem struct {
	passages []chidPassage
	cands    []int // indices into chidIdioms, the record's candidate order
	answers  []int // per passage: the index into cands named as the answer (after noise)
}

var chidTask = &task{
	name:      "chid",
	trainFile: "train.json",
	sizes:     [3]int{600, 150, 150},
	noise:     spanNoise,
	unit:      chidUnit,
	documents: chidDocuments,
}

const chidCandidates = 10

// chidIdioms pairs each idiom with a sentence about the situation it names; {P} is a person,
// {R} their pronoun and {I} the blank.
var chidIdioms = []struct{ idiom, context string }{
	{"一心一意", "{P}做事从不分心，总是{I}地把每件事做好"},
	{"三心二意", "{P}看书时{I}，一会儿看手机，一会儿又去买东西"},
	{"小心翼翼", "路上很滑，{P}{I}地往前走，一步一步都很慢"},
	{"一模一样", "这对孩子长得{I}，连{P}也分不出来"},
	{"千方百计", "为了找到那只走失的狗，{P}{I}，问了周围所有的人"},
	{"万无一失", "出发前{P}又检查了一次行李，确保{I}"},
	{"一路平安", "朋友们在车站和{P}告别，希望{R}{I}"},
	{"大同小异", "这几家公司的方案{I}，只有价格不太一样"},
	{"实事求是", "{P}写报告时{I}，从不多报数据"},
	{"马马虎虎", "{P}做作业总是{I}，经常写错字"},
	{"兴高采烈", "听说明天去旅游，孩子们{I}地叫了起来"},
	{"无微不至", "{P}生病的时候，家人对{R}的照顾{I}"},
	{"与众不同", "{P}的设计{I}，一眼就能看出来"},
	{"一目了然", "这张图把数据画得很明白，让人{I}"},
	{"一成不变", "市场变化很快，公司的计划不能{I}"},
	{"后来居上", "{P}刚来时落在后面，可是{R}{I}，现在是第一名"},
	{"供不应求", "这款新手机卖得太好，一直{I}"},
	{"日新月异", "这座城市的变化{I}，每年都有新的高楼"},
	{"持之以恒", "学习外语要{I}，每天都要练习"},
	{"得心应手", "{P}做这一行很多年了，工作起来{I}"},
	{"学以致用", "{P}把在学校学到的知识用在工作中，做到了{I}"},
	{"举一反三", "老师讲了一道题，{P}就能{I}，做出其他的题"},
	{"心平气和", "遇到问题不要着急，{P}总是{I}地和大家商量"},
	{"风和日丽", "那天{I}，很多人去公园散步"},
	{"人山人海", "节日期间景点里{I}，{P}走了很久才进去"},
	{"安居乐业", "这里的人们生活稳定，{I}"},
	{"众所周知", "{I}，北京是一座历史悠久的城市"},
	{"助人为乐", "{P}经常帮助别人，是一个{I}的人"},
	{"同心协力", "大家{I}，很快就完成了这项工作"},
	{"一见如故", "{P}和新同事{I}，说了整整一个下午的话"},
	{"喜出望外", "没想到自己得了第一名，{P}{I}"},
	{"车水马龙", "到了晚上，城市的街道上{I}，来往的人很多"},
	{"无所事事", "{P}每天{I}，不知道该做什么"},
	{"迫不及待", "新书一到，{P}就{I}地看了起来"},
	{"不约而同", "听到这个消息，大家{I}地站了起来"},
	{"出人意料", "比赛的结果{I}，最后赢的是新人"},
	{"早出晚归", "为了完成项目，{P}每天{I}，很少在家"},
	{"开门见山", "{P}说话很直接，总是{I}地说出自己的想法"},
}

func chidUnit(r *rng, _ string) []item {
	n := r.between(1, 3)
	var it chidItem
	var keys, texts []string
	for len(it.passages) < n {
		k := r.intn(len(chidIdioms))
		if slices.ContainsFunc(it.passages, func(p chidPassage) bool { return p.idiom == k }) {
			continue
		}
		who := anyPerson(r)
		text := render(chidIdioms[k].context, map[string]string{"P": who.name, "R": who.pronoun(), "I": "{I}"}) + "。"
		if r.chance(0.3) {
			text = pick(r, qaFillers) + text
		}
		it.passages = append(it.passages, chidPassage{idiom: k, text: text})
		filled := strings.Replace(text, "{I}", chidIdioms[k].idiom, 1)
		keys, texts = append(keys, filled), append(texts, filled)
	}
	for _, p := range it.passages {
		it.cands = append(it.cands, p.idiom)
	}
	for len(it.cands) < chidCandidates {
		if k := r.intn(len(chidIdioms)); !slices.Contains(it.cands, k) {
			it.cands = append(it.cands, k)
		}
	}
	r.shuffle(len(it.cands), func(i, j int) { it.cands[i], it.cands[j] = it.cands[j], it.cands[i] })
	for _, p := range it.passages {
		a := slices.Index(it.cands, p.idiom)
		if r.chance(spanNoise) {
			a = (a + 1 + r.intn(chidCandidates-1)) % chidCandidates // annotation noise
		}
		it.answers = append(it.answers, a)
	}
	return []item{{keys: keys, texts: texts, data: it}}
}

// chidTagBase keeps the tags of the three files apart.
var chidTagBase = map[string]int{"train": 0, "dev": 100000, "test": 200000}

// chidDocuments writes a split's records as JSON lines and, for train and dev, the answer
// file. Rows are records in the data file and blanks in the answer file.
func chidDocuments(items []item, form rowForm, split string) ([]docFile, error) {
	tag := chidTagBase[split]
	var records []chidRecord
	answers := map[string]int{}
	blanks := 0
	for _, it := range items {
		c := it.data.(chidItem)
		rec := chidRecord{}
		for _, k := range c.cands {
			rec.Candidates = append(rec.Candidates, chidIdioms[k].idiom)
		}
		for i, p := range c.passages {
			t := fmt.Sprintf("#idiom%06d#", tag)
			tag++
			rec.Content = append(rec.Content, strings.Replace(p.text, "{I}", t, 1))
			answers[t] = c.answers[i]
			blanks++
		}
		records = append(records, rec)
	}
	name := split + ".json"
	if form == formTest {
		name = "test1.1.json"
	}
	data, err := jsonLines(records)
	if err != nil {
		return nil, err
	}
	files := []docFile{{name: name, data: data, rows: len(records)}}
	if form != formTest {
		a, err := marshalLine(answers)
		if err != nil {
			return nil, err
		}
		files = append(files, docFile{name: split + "_answer.json", data: append(a, '\n'), rows: blanks})
	}
	return files, nil
}
