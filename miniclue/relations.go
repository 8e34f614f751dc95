package miniclue

// argKind is the type of a relation argument.
type argKind int

const (
	argPerson argKind = iota
	argCompany
	argCity
	argTitle
)

// relation is a binary predicate with many surface forms. Every form in forms states the same
// (subject, object) fact; some put the object first (passives, converse verbs), which is what
// makes role-swapped negatives impossible to tell apart from paraphrases by their words alone.
type relation struct {
	name      string
	subj, obj argKind
	symmetric bool     // swapping the arguments keeps the meaning
	forms     []string // {S} subject, {O} object
	negForms  []string // the negated fact
}

var relations = []relation{
	{name: "invest", subj: argPerson, obj: argCompany,
		forms:    []string{"{S}投资了{O}", "{O}获得了{S}的投资", "{S}向{O}投了一笔钱", "{O}拿到了{S}的一笔投资", "{S}出资入股了{O}"},
		negForms: []string{"{S}没有投资{O}", "{O}没有获得{S}的投资", "{S}并未向{O}投钱"}},
	{name: "acquire", subj: argCompany, obj: argCompany,
		forms:    []string{"{S}收购了{O}", "{O}被{S}收购了", "{S}买下了{O}", "{O}被{S}买下了", "{S}完成了对{O}的收购"},
		negForms: []string{"{S}没有收购{O}", "{O}没有被{S}收购", "{S}并未买下{O}"}},
	{name: "hire", subj: argCompany, obj: argPerson,
		forms:    []string{"{S}聘请了{O}", "{O}受聘于{S}", "{O}加入了{S}", "{S}录用了{O}", "{O}被{S}录用了"},
		negForms: []string{"{S}没有聘请{O}", "{O}没有加入{S}", "{O}没有被{S}录用"}},
	{name: "teach", subj: argPerson, obj: argPerson,
		forms:    []string{"{S}是{O}的老师", "{O}是{S}的学生", "{O}跟着{S}学习", "{S}教过{O}", "{O}拜{S}为师"},
		negForms: []string{"{S}不是{O}的老师", "{O}不是{S}的学生", "{S}没有教过{O}"}},
	{name: "help", subj: argPerson, obj: argPerson,
		forms:    []string{"{S}帮助了{O}", "{O}得到了{S}的帮助", "{S}帮了{O}一个大忙", "{O}受到了{S}的帮助", "{O}被{S}帮了一把"},
		negForms: []string{"{S}没有帮助{O}", "{O}没有得到{S}的帮助", "{S}没帮{O}的忙"}},
	{name: "sue", subj: argPerson, obj: argCompany,
		forms:    []string{"{S}起诉了{O}", "{O}被{S}告上了法庭", "{S}把{O}告上了法庭", "{O}遭到了{S}的起诉"},
		negForms: []string{"{S}没有起诉{O}", "{O}没有被{S}告上法庭", "{S}并未起诉{O}"}},
	{name: "beat", subj: argPerson, obj: argPerson,
		forms:    []string{"{S}打败了{O}", "{O}输给了{S}", "{S}战胜了{O}", "{O}被{S}击败了", "{S}赢了{O}"},
		negForms: []string{"{S}没有打败{O}", "{O}没有输给{S}", "{S}没能战胜{O}"}},
	{name: "criticize", subj: argPerson, obj: argPerson,
		forms:    []string{"{S}批评了{O}", "{O}挨了{S}的批评", "{O}被{S}批评了", "{S}对{O}提出了批评"},
		negForms: []string{"{S}没有批评{O}", "{O}没有被{S}批评", "{O}没挨{S}的批评"}},
	{name: "lend", subj: argPerson, obj: argPerson,
		forms:    []string{"{S}借钱给了{O}", "{O}向{S}借了钱", "{S}把钱借给了{O}", "{O}从{S}那里借了一笔钱"},
		negForms: []string{"{S}没有借钱给{O}", "{O}没有向{S}借钱", "{S}没把钱借给{O}"}},
	{name: "outsell", subj: argCompany, obj: argCompany,
		forms:    []string{"{S}的销量超过了{O}", "{O}的销量不如{S}", "{S}在销量上领先{O}", "{O}在销量上落后于{S}"},
		negForms: []string{"{S}的销量没有超过{O}", "{S}在销量上并不领先{O}"}},
	{name: "interview", subj: argPerson, obj: argPerson,
		forms:    []string{"{S}采访了{O}", "{O}接受了{S}的采访", "{O}被{S}采访了", "{S}对{O}进行了采访"},
		negForms: []string{"{S}没有采访{O}", "{O}没有接受{S}的采访"}},
	{name: "mail", subj: argPerson, obj: argPerson,
		forms:    []string{"{S}给{O}寄了一封信", "{O}收到了{S}寄来的信", "{S}写信寄给了{O}", "{O}收到{S}的一封来信"},
		negForms: []string{"{S}没有给{O}寄信", "{O}没有收到{S}寄来的信"}},
	{name: "release", subj: argCompany, obj: argTitle,
		forms:    []string{"{S}发行了《{O}》", "《{O}》由{S}发行", "{S}推出了《{O}》", "《{O}》是{S}推出的"},
		negForms: []string{"{S}没有发行《{O}》", "《{O}》不是{S}推出的"}},
	{name: "move", subj: argPerson, obj: argCity,
		forms:    []string{"{S}搬到了{O}", "{S}把家搬到了{O}", "{S}去{O}定居了", "{S}举家迁往{O}"},
		negForms: []string{"{S}没有搬到{O}", "{S}并没有去{O}定居"}},
	{name: "partner", subj: argCompany, obj: argCompany, symmetric: true,
		forms:    []string{"{S}和{O}达成了合作", "{S}与{O}签署了合作协议", "{S}同{O}开始合作", "{S}和{O}成了合作伙伴"},
		negForms: []string{"{S}和{O}没有达成合作", "{S}与{O}并未签署合作协议"}},
	{name: "meet", subj: argPerson, obj: argPerson, symmetric: true,
		forms:    []string{"{S}和{O}见了面", "{S}与{O}在会上见了面", "{S}同{O}碰了面", "{S}和{O}见过一面"},
		negForms: []string{"{S}和{O}没有见面", "{S}与{O}并未见过面"}},
	{name: "marry", subj: argPerson, obj: argPerson, symmetric: true,
		forms:    []string{"{S}和{O}结婚了", "{S}与{O}喜结连理", "{S}同{O}领了结婚证"},
		negForms: []string{"{S}和{O}没有结婚", "{S}与{O}并未领结婚证"}},
}

func relationByName(name string) *relation {
	for i := range relations {
		if relations[i].name == name {
			return &relations[i]
		}
	}
	return &relations[0]
}

// argument draws a value of the given kind; like, when set, makes a confusable alternative
// (same surname, same company sector) for hard negatives.
func argument(r *rng, k argKind, like string) string {
	switch k {
	case argPerson:
		if like != "" && r.chance(0.6) {
			p := anyPerson(r)
			return string([]rune(like)[:1]) + string([]rune(p.name)[1:])
		}
		return anyPerson(r).name
	case argCompany:
		if like != "" && r.chance(0.6) {
			rs := []rune(like)
			return brand(r) + string(rs[2:])
		}
		return newCompany(r).name
	case argCity:
		return city(r)
	default:
		return title(r)
	}
}

// fact is one instance of a relation.
type fact struct {
	rel  *relation
	s, o string
}

func newFact(r *rng, rel *relation) fact {
	f := fact{rel: rel, s: argument(r, rel.subj, "")}
	for {
		f.o = argument(r, rel.obj, "")
		if f.o != f.s {
			return f
		}
	}
}

// formsOf lists rel's surface forms of one polarity.
func (rel *relation) formsOf(neg bool) []string {
	if neg {
		return rel.negForms
	}
	return rel.forms
}

// say renders the fact with form i (negated forms when neg is set).
func (f fact) say(i int, neg bool) string {
	forms := f.rel.formsOf(neg)
	return render(forms[i%len(forms)], map[string]string{"S": f.s, "O": f.o})
}

// Sentence wrappers that do not change what a sentence asserts: hearsay, questions, time
// phrases. They are drawn independently for each side of a pair.
var assertWrappers = []string{
	"{X}", "{X}", "{X}", "听说{X}", "据说{X}", "有消息称{X}", "{X}，这是真的吗", "{X}吗", "请问是不是{X}",
	"网上说{X}", "去年{X}", "{X}，大家都知道了", "我想知道是不是{X}", "有人说{X}",
}
