package miniclue

import (
	"slices"
	"strings"
)

// CSL: an abstract is written around four to six terms of one field; the keyword list is
// "1" when every keyword is one of those terms and "0" when one keyword is not. The fake
// keyword is made in one of two ways, half of the negatives each:
//   - a stretch of the abstract that is not a term ("的精度", "提取特征"): what ranking the
//     abstract's n-grams by tf-idf proposes, which is how the real CSL's fake keywords were
//     made. It occurs in the abstract, so spotting it means knowing what a term is, the
//     knowledge the pre-training corpus's keyword lists carry.
//   - a term of the same field that the abstract does not contain, preferring one that shares
//     a character with the abstract (图像分割 → 图像分类), so the decision needs matching the
//     keyword against the abstract rather than judging the keyword's topic.
// With the second kind alone every method stayed at chance on the built-in backbone (also
// when the replacement shared no character with the abstract): the label is an "is any
// keyword missing" over multi-character matches, and fine-tuning never left the plateau. The
// first kind gives it a foothold, as real CSL's generated fakes do.

type cslRow struct {
	ID      int      `json:"id"`
	Abst    string   `json:"abst"`
	Keyword []string `json:"keyword"`
	Label   string   `json:"label"`
}

type cslTestRow struct {
	ID      int      `json:"id"`
	Abst    string   `json:"abst"`
	Keyword []string `json:"keyword"`
}

type cslPaper struct {
	abst     string
	keywords []string
	terms    []string // the terms the abstract was written around (the genuine keywords)
}

// cslFragment is the share of negatives whose fake keyword is a stretch of the abstract.
const cslFragment = 0.5

var cslTask = &task{
	name:        "csl",
	trainFile:   "train.json",
	few:         "csl",
	sizes:       [3]int{8000, 400, 300},
	fewSize:     32,
	labels:      []string{"0", "1"},
	noise:       0.04,
	balanced:    true,
	singleLabel: true,
	unit:        cslUnit,
	encode: func(it item, form rowForm, id int) any {
		p := it.data.(cslPaper)
		if form == formTest {
			return cslTestRow{ID: id, Abst: p.abst, Keyword: p.keywords}
		}
		return cslRow{ID: id, Abst: p.abst, Keyword: p.keywords, Label: it.label}
	},
}

// field is a research area: methods and problems are its terms, metrics its measures.
type field struct {
	methods  []string
	problems []string
	objects  []string // what is studied
	metrics  []string
}

var fields = []field{
	{methods: strings.Fields("深度学习 卷积神经网络 循环神经网络 注意力机制 迁移学习 强化学习 图神经网络 对比学习 数据增强 知识蒸馏 随机森林 支持向量机"),
		problems: strings.Fields("图像分割 图像分类 目标检测 文本分类 情感分析 机器翻译 推荐系统 异常检测 语音识别 知识图谱 关系抽取 图像检索"),
		objects:  strings.Fields("遥感图像 医学影像 用户评论 社交网络 交通流量 网络流量"),
		metrics:  strings.Fields("准确率 召回率 F1值 平均精度")},
	{methods: strings.Fields("粒子群优化 遗传算法 模型预测控制 小波变换 卡尔曼滤波 神经网络 模糊控制 灰色模型 最小二乘法 滑模控制"),
		problems: strings.Fields("负荷预测 故障诊断 电压稳定 谐波抑制 无功补偿 经济调度 状态估计 功率预测 继电保护 频率控制"),
		objects:  strings.Fields("配电网 微电网 光伏电站 风电场 储能系统 变压器"),
		metrics:  strings.Fields("预测误差 网损率 响应时间 稳定裕度")},
	{methods: strings.Fields("随机对照试验 回顾性分析 多因素回归 护理干预 腹腔镜手术 药物治疗 康复训练 健康教育 中西医结合 生存分析"),
		problems: strings.Fields("血糖控制 临床疗效 并发症 危险因素 预后评估 生活质量 复发率 炎症反应 术后感染 病死率"),
		objects:  strings.Fields("糖尿病患者 高血压患者 老年患者 肺癌患者 冠心病患者 骨折患者"),
		metrics:  strings.Fields("总有效率 住院时间 不良反应发生率 满意度")},
	{methods: strings.Fields("田间试验 盆栽试验 配方施肥 节水灌溉 品种选育 秸秆还田 间作套种 生物防治 土壤改良 覆膜栽培"),
		problems: strings.Fields("产量 品质 土壤养分 病虫害 光合作用 氮素利用 抗旱性 根系发育 盐碱胁迫 重金属污染"),
		objects:  strings.Fields("水稻 小麦 玉米 大豆 棉花 茶树"),
		metrics:  strings.Fields("亩产 千粒重 叶绿素含量 有机质含量")},
	{methods: strings.Fields("热处理 粉末冶金 溶胶凝胶法 化学气相沉积 激光熔覆 等离子喷涂 球磨 烧结 电沉积 水热合成"),
		problems: strings.Fields("力学性能 微观结构 耐腐蚀性 耐磨性 导电性能 热稳定性 疲劳寿命 相变行为 界面结合 孔隙率"),
		objects:  strings.Fields("铝合金 钛合金 复合材料 陶瓷涂层 纳米颗粒 高分子薄膜"),
		metrics:  strings.Fields("抗拉强度 硬度 腐蚀速率 电导率")},
	{methods: strings.Fields("面板数据 双重差分 空间计量模型 门槛回归 中介效应检验 结构方程模型 问卷调查 案例研究 熵值法 数据包络分析"),
		problems: strings.Fields("产业结构 区域发展 融资约束 绿色金融 创新驱动 乡村振兴 城镇化 全要素生产率 数字经济 收入差距"),
		objects:  strings.Fields("中小企业 上市公司 农村家庭 制造业 服务业 地方政府"),
		metrics:  strings.Fields("经济增长率 投资效率 创新产出 就业率")},
}

// Sentence templates of an abstract. {M1} {M2} methods, {P1} {P2} problems, {O} object,
// {X} metric, {N} a number.
var cslOpeners = []string{
	"针对{O}{P1}中存在的精度不足问题，本文提出一种基于{M1}的方法。",
	"为了改善{O}的{P1}，本研究引入{M1}进行分析。",
	"{P1}是{O}研究中的关键问题，现有方法难以兼顾效率与精度。本文采用{M1}加以解决。",
	"以{O}为研究对象，探讨了{M1}在{P1}中的应用。",
}
var cslMiddles = []string{
	"该方法首先利用{M1}提取特征，然后结合{M2}完成{P2}。",
	"研究中同时考察了{P2}，并采用{M2}对结果进行验证。",
	"在此基础上，进一步分析了{M2}对{P2}的影响。",
	"通过{M2}建立模型，对{P2}进行了系统评价。",
}
var cslClosers = []string{
	"结果表明，所提方法的{X}提高了{N}%。",
	"实验结果显示，与传统方法相比，{X}提升约{N}个百分点。",
	"结果表明，该方案能够有效改善{P1}，{X}达到较高水平。",
	"研究结论可为{O}的{P2}提供参考。",
}

func cslUnit(r *rng, want string) []item {
	f := pick(r, fields)
	m1 := pick(r, f.methods)
	m2 := pickOther(r, f.methods, m1)
	p1 := pick(r, f.problems)
	p2 := pickOther(r, f.problems, p1)
	o := pick(r, f.objects)
	vals := map[string]string{"M1": m1, "M2": m2, "P1": p1, "P2": p2, "O": o, "X": pick(r, f.metrics), "N": itoa(r.between(2, 30))}
	abst := render(pick(r, cslOpeners)+pick(r, cslMiddles)+pick(r, cslClosers), vals)
	var present []string
	for _, t := range []string{m1, m2, p1, p2, o} {
		if strings.Contains(abst, t) {
			present = append(present, t)
		}
	}
	r.shuffle(len(present), func(i, j int) { present[i], present[j] = present[j], present[i] })
	kws := slices.Clone(present[:min(len(present), r.between(3, 4))])
	if want == "0" {
		fake := ""
		if r.chance(cslFragment) {
			fake = abstractFragment(r, abst, present)
		}
		if fake == "" {
			fake = absentTerm(r, f, abst)
		}
		kws[r.intn(len(kws))] = fake
	}
	r.shuffle(len(kws), func(i, j int) { kws[i], kws[j] = kws[j], kws[i] })
	return []item{{label: want, keys: []string{abst}, texts: []string{abst},
		data: cslPaper{abst: abst, keywords: kws, terms: present}}}
}

// absentTerm picks a term of field f that does not occur in abst, preferring one that
// shares a character with the abstract's terms so that it looks plausible.
func absentTerm(r *rng, f field, abst string) string {
	var pool []string
	for _, list := range [][]string{f.methods, f.problems, f.objects} {
		for _, t := range list {
			if !strings.Contains(abst, t) {
				pool = append(pool, t)
			}
		}
	}
	var near []string
	for _, t := range pool {
		for _, c := range t {
			if strings.ContainsRune(abst, c) {
				near = append(near, t)
				break
			}
		}
	}
	if len(near) > 0 && r.chance(0.7) {
		return pick(r, near)
	}
	return pick(r, pool)
}

// abstractFragment returns a three- to five-character stretch of abst that holds no
// punctuation or digit and is neither part of a term nor contains one, or "" when a few
// tries find none.
func abstractFragment(r *rng, abst string, terms []string) string {
	rs := []rune(abst)
	for range 50 {
		n := r.between(3, 5)
		if len(rs) <= n {
			return ""
		}
		i := r.intn(len(rs) - n)
		s := string(rs[i : i+n])
		if strings.ContainsAny(s, "，。、；：%0123456789") {
			continue
		}
		if !slices.ContainsFunc(terms, func(t string) bool { return strings.Contains(t, s) || strings.Contains(s, t) }) {
			return s
		}
	}
	return ""
}
