package miniclue

import "strings"

// The word lists of the mini world. They are deliberately small enough that a 4-layer BERT
// sees every item many times in corpus.txt, and large enough that examples rarely repeat.

var surnames = strings.Fields(`王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗
郑 梁 谢 宋 唐 许 韩 冯 邓 曹 彭 曾 田 董 潘 袁 蔡 蒋 余 杜 叶 程 魏 苏 吕 丁 沈 任 姚 卢
钟 姜 崔 谭 陆 范 汪 廖 石 金 贾 夏 方 邹 熊 白 孟 秦 邱 侯 江 尹 薛 段 雷 龙 史 陶 贺 顾`)

var maleGiven = strings.Fields(`伟 强 磊 军 勇 杰 涛 明 超 斌 鹏 辉 刚 健 平 波 宇 浩 凯 峰
亮 俊 龙 飞 志 国 建 华 成 东 海 文 博 宁 阳 晨 松 毅 彬 力`)

var femaleGiven = strings.Fields(`芳 娜 敏 静 丽 艳 娟 霞 燕 玲 婷 雪 慧 颖 琳 倩 萍 红 丹 洁
梅 莉 蓉 欣 怡 佳 悦 璐 瑶 婉 琪 晴 月 兰 薇 菲 岚 露 茜 秀`)

// Transliterated foreign names, used in world news so that those headlines do not share
// the person vocabulary of domestic topics.
var foreignNames = strings.Fields(`约翰 玛丽亚 伊万 卡洛斯 安娜 穆萨 彼得 索菲亚 汉斯 艾米丽
米格尔 奥尔加 拉希德 伊莎贝拉 托马斯 娜塔莎 阿里 露西亚 马克 埃琳娜`)

var countries = strings.Fields(`美国 英国 法国 德国 日本 俄罗斯 巴西 印度 澳大利亚 加拿大
意大利 西班牙 埃及 南非 墨西哥 阿根廷 泰国 越南 土耳其 瑞典`)

var cities = strings.Fields(`北京 上海 广州 深圳 杭州 南京 成都 武汉 西安 重庆 天津 苏州
长沙 郑州 青岛 大连 厦门 昆明 合肥 济南 沈阳 福州 南昌 贵阳 兰州 太原 宁波 无锡 桂林 洛阳`)

var districts = strings.Fields(`东城区 西城区 南湖区 北塘区 新城区 老城区 江北区 江南区 高新区
开发区 滨江区 河西区 城关区 沙河区 青山区 白云区`)

var roads = strings.Fields(`人民路 解放路 中山路 建设路 长江路 和平路 新华路 文化路 胜利路
友谊路 光明路 幸福路 学院路 北京路 黄河路 春风路`)

// Scenic spots and the city each one lies in; the pairing is world knowledge that only
// corpus.txt states, and OCNLI hypotheses rely on it ("去过西湖" entails "去过杭州").
var scenes = []struct{ name, city string }{
	{"西湖", "杭州"}, {"灵隐寺", "杭州"}, {"故宫", "北京"}, {"颐和园", "北京"}, {"外滩", "上海"},
	{"豫园", "上海"}, {"白云山", "广州"}, {"鼓浪屿", "厦门"}, {"中山陵", "南京"}, {"夫子庙", "南京"},
	{"宽窄巷子", "成都"}, {"武侯祠", "成都"}, {"黄鹤楼", "武汉"}, {"东湖", "武汉"}, {"大雁塔", "西安"},
	{"钟楼", "西安"}, {"洪崖洞", "重庆"}, {"拙政园", "苏州"}, {"岳麓山", "长沙"}, {"栈桥", "青岛"},
	{"滇池", "昆明"}, {"大明湖", "济南"}, {"趵突泉", "济南"}, {"象鼻山", "桂林"}, {"龙门石窟", "洛阳"},
	{"白马寺", "洛阳"}, {"晋祠", "太原"}, {"天一阁", "宁波"}, {"鼋头渚", "无锡"}, {"滕王阁", "南昌"},
}

var seas = strings.Fields(`东海 南海 黄海 渤海 西太平洋`)

// Syllables that make two-character brand names; a sector word completes a company name
// and is the only part of it that hints at a news topic.
var brandChars = strings.Fields(`华 星 远 航 金 桥 蓝 天 宇 盛 达 恒 通 瑞 丰 鼎 新 宏 图 云
启 明 博 雅 安 泰 万 象 嘉 禾 银 河 凯 旋 创 锦 程 长 青 永 信 和 润 悦 途 众 诚 光 耀`)

type sector struct {
	word string // company name suffix
	kind string // what kind of company it is (hypernym used by OCNLI)
}

var sectors = []sector{
	{"科技", "科技公司"}, {"电子", "电子公司"}, {"汽车", "汽车公司"}, {"地产", "房地产公司"},
	{"银行", "银行"}, {"保险", "保险公司"}, {"证券", "证券公司"}, {"游戏", "游戏公司"},
	{"影业", "影视公司"}, {"出版", "出版社"}, {"农业", "农业公司"}, {"教育", "教育机构"},
	{"物流", "物流公司"}, {"食品", "食品公司"}, {"医药", "医药公司"}, {"传媒", "传媒公司"},
}

var positions = strings.Fields(`经理 总经理 董事长 总裁 教授 医生 记者 工程师 教练 主任 校长
律师 会计 设计师 主编 导演 作家 队长 护士 厨师 研究员 秘书 司机 翻译`)

// Title syllables: books, films, shows and games all draw from the same pool so that the
// kind of a title can only be told from its context.
var titleHeads = strings.Fields(`长风 星河 远方 归途 少年 江湖 明月 逐光 破晓 追梦 山海 春潮
孤城 雪夜 流光 天际 北境 浮生 青云 暗流 晨曦 荒原 海潮 烈焰`)

var titleTails = strings.Fields(`传 记 录 行 志 令 之歌 之战 往事 奇缘 纪元 计划 归来 物语`)

var crops = strings.Fields(`水稻 小麦 玉米 大豆 苹果 柑橘 茶叶 葡萄 西瓜 土豆 花生 草莓`)

var carModels = strings.Fields(`领航 锋锐 逸动 星途 驰骋 远征 翼虎 风尚 凌云 致远`)

var pets = []struct{ animal, measure string }{
	{"猫", "只"}, {"狗", "条"}, {"鹦鹉", "只"}, {"金鱼", "条"}, {"兔子", "只"},
}

var genres = []string{"news", "gov", "lit", "tv", "phone"}

type person struct {
	name   string
	female bool
}

func (p person) pronoun() string {
	if p.female {
		return "她"
	}
	return "他"
}

// newPerson draws a name of two or three characters of the requested gender.
func newPerson(r *rng, female bool) person {
	given := maleGiven
	if female {
		given = femaleGiven
	}
	name := pick(r, surnames) + pick(r, given)
	if r.chance(0.55) {
		name += pick(r, given)
	}
	return person{name: name, female: female}
}

func anyPerson(r *rng) person { return newPerson(r, r.chance(0.5)) }

// twoPeople draws two distinct people of the same gender, so that a pronoun cannot be
// resolved by gender alone.
func twoPeople(r *rng) (person, person) {
	f := r.chance(0.5)
	a := newPerson(r, f)
	b := newPerson(r, f)
	for b.name == a.name || strings.HasPrefix(a.name, b.name) || strings.HasPrefix(b.name, a.name) {
		b = newPerson(r, f)
	}
	return a, b
}

func brand(r *rng) string {
	a := pick(r, brandChars)
	return a + pickOther(r, brandChars, a)
}

type company struct {
	name string
	sec  sector
}

func newCompany(r *rng) company { return companyIn(r, pick(r, sectors)) }

func companyIn(r *rng, s sector) company { return company{name: brand(r) + s.word, sec: s} }

// sectorByWord finds a sector; it is only called with words from the table above.
func sectorByWord(w string) sector {
	for _, s := range sectors {
		if s.word == w {
			return s
		}
	}
	return sectors[0]
}

func title(r *rng) string {
	h := pick(r, titleHeads)
	if r.chance(0.5) {
		return h + pick(r, titleTails)
	}
	return h
}

func city(r *rng) string { return pick(r, cities) }

func address(r *rng) string {
	return pick(r, cities) + "市" + pick(r, districts) + pick(r, roads) + itoa(r.between(1, 299)) + "号"
}
