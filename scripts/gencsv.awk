# gencsv.awk: writes N synthetic certificates as import CSV, for load tests
# and search benchmarks (awk -v n=100000 -f scripts/gencsv.awk > big.csv;
# -v seed=7 for another dataset with the same shape).
#
# Names are built the way Chinese company names are: a place (city, some
# with a district), a trade name, often an industry word (科技, 实业, 电子),
# a trade, a company form (有限公司, 有限责任公司, 股份有限公司, 集团有限公司)
# and, for some, a branch (第三分公司, 杭州分公司). Trade names follow a
# long-tailed distribution: a few are very common (tens of thousands of
# names), most are rare (a few names), made of two characters drawn from a
# pool of a few hundred. A holder (one credit code) holds one to several
# certificates, so names repeat as they do in a real register. Search terms
# of every length therefore range from "in nearly every name" (公司) through
# common (科技, 宁波) to rare and absent.
function zipf(k,    r) { # 1..k, P(i) ~ 1/i
	r = int(exp(rand() * log(k + 1)))
	return r < 1 ? 1 : (r > k ? k : r)
}
function pick(arr, k) { return arr[1 + int(rand() * k)] }
function holder(h,    c, tn, name, code, k, sum, form) {
	srand(seed * 1000003 + h)
	split(cities[zipf(nc)], c, "|")
	name = c[2]
	if (rand() < 0.15) name = name pick(districts, nd)
	if (rand() < 0.55) tn = words[zipf(nw)]
	else tn = pick(pool, npool) pick(pool, npool)
	name = name tn
	if (rand() < 0.1) name = name pick(pool, npool)
	if (rand() < 0.45) name = name industries[zipf(ni)]
	htrade = trades[zipf(nt)]
	name = name htrade
	k = rand()
	form = k < 0.55 ? "有限公司" : (k < 0.75 ? "有限责任公司" : (k < 0.88 ? "股份有限公司" : (k < 0.94 ? "集团有限公司" : (k < 0.97 ? "厂" : "商行"))))
	name = name form
	if (rand() < 0.08) {
		if (rand() < 0.5) name = name "第" pick(ordinals, no) "分公司"
		else name = name pick(cityonly, nc) "分公司"
	}
	hname = name
	hprov = c[1]; hcity = c[2]
	code = "91" c[3]
	for (k = 0; k < 9; k++) code = code substr(alpha, 1 + int(rand() * 31), 1)
	sum = 0
	for (k = 1; k <= 17; k++) sum += (index(alpha, substr(code, k, 1)) - 1) * w[k]
	hcode = code substr(alpha, 1 + (31 - sum % 31) % 31, 1)
	hzone = substr(c[3], 1, 4)
}
BEGIN {
	if (seed == "") seed = 42
	alpha = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	split("1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28", w, " ")
	# Most common first: zipf() favours the head of each list.
	nc = split("浙江|宁波|330200 广东|深圳|440300 浙江|杭州|330100 江苏|苏州|320500 广东|广州|440100 上海|上海|310100 北京|北京|110100 山东|青岛|370200 江苏|南京|320100 四川|成都|510100 湖北|武汉|420100 福建|厦门|350200 河南|郑州|410100 陕西|西安|610100 湖南|长沙|430100 辽宁|大连|210200 广东|佛山|440600 广东|东莞|441900 浙江|温州|330300 江苏|无锡|320200 安徽|合肥|340100 天津|天津|120100 重庆|重庆|500100 山东|济南|370100 福建|福州|350100 江西|南昌|360100 河北|石家庄|130100 云南|昆明|530100 广西|南宁|450100 黑龙江|哈尔滨|230100 吉林|长春|220100 山西|太原|140100 贵州|贵阳|520100 甘肃|兰州|620100 内蒙古|呼和浩特|150100 新疆|乌鲁木齐|650100 海南|海口|460100 宁夏|银川|640100 青海|西宁|630100 西藏|拉萨|540100", cities, " ")
	for (i = 1; i <= nc; i++) { split(cities[i], c, "|"); cityonly[i] = c[2] }
	nd = split("鄞州 余杭 南山 宝安 浦东 海淀 朝阳 江宁 高新区 经济开发区 滨江 萧山 黄岛 天河 番禺 顺德", districts, " ")
	nw = split("东方 海天 正泰 远航 恒信 华美 金鼎 长城 新兴 德力 方正 博远 瑞丰 嘉禾 天成 永盛 鸿达 安泰 宏图 中联 明珠 万通 星辰 锦程 同创 凯达 汇丰 和谐 富强 振华 华为 美的 格力 海尔 奥克斯 老板 方太 九阳 苏泊尔 志高 德意 帅康 华帝 万家乐 樱花 创维 康佳 长虹 海信 TCL 先锋 飞利浦 欧普 雷士 三雄 佛山照明 立邦 多乐士 三棵树 大自然 圣象 九牧 箭牌 恒洁 惠达 东鹏 马可波罗 诺贝尔 蒙娜丽莎 金牌 欧派 索菲亚 志邦 我乐 皮阿诺 顾家 芝华仕 红星 宜家 居然 月星 富森 美克 全友 林氏 曲美 联邦 华日 光明 左右 敏华 雅迪 爱玛 台铃 新日 绿源 小牛 九号 立马 小刀 绿佳", words, " ")
	npool = split("安 宝 北 晨 成 诚 达 大 德 鼎 东 方 丰 富 福 广 海 豪 和 恒 宏 鸿 华 辉 汇 佳 嘉 建 金 锦 京 经 久 俊 凯 康 科 兰 乐 力 利 联 良 林 隆 龙 茂 美 明 铭 南 鹏 平 普 奇 启 庆 瑞 润 森 盛 实 世 顺 泰 腾 天 通 同 万 旺 伟 文 翔 祥 新 鑫 信 星 兴 雄 旭 亚 扬 阳 耀 一 亿 益 银 英 盈 永 宇 裕 元 远 悦 云 泽 展 振 正 志 智 中 众 卓 资 紫 尊", pool, " ")
	ni = split("科技 实业 电子 机电 贸易 电气 设备 智能 工程 商贸 发展 技术 服务 供应链 网络 信息 环保 新能源 电器制造 建材", industries, " ")
	nt = split("电器 家具 厨具 电梯 照明 汽车销售 物业服务 家电 门窗 空调 净水设备 医疗器械 办公设备 通信设备 电动车 卫浴 地板 涂料 锅炉 安防 家居 陶瓷 橱柜 汽车维修 软件 计算机 物流 酒店管理 餐饮管理 热水器 燃气具 电梯工程 消防设备 水处理 暖通 五金 机械 仪器仪表 叉车 发电机组", trades, " ")
	no = split("一 二 三 四 五 六 七 八 九 十 十一 十二", ordinals, " ")
	# Certification bodies and their number prefixes: a few issue most.
	nb = split("LT|CNCA-R-2016-901|示例质量认证中心（样例） HD|CNCA-R-2017-902|华东示例服务认证有限公司（样例） NF|CNCA-R-2018-903|南方示例认证有限公司（样例） JL|CNCA-R-2019-904|金陵示例评价认证中心（样例） GJ|CNCA-RF-2015-91|示例国际认证（中国）有限公司（样例）", bodies, " ")
	split("AS AS AS AS AS AS AS CL BB", schemes, " ")
	nholders = int(n * 0.6) + 1
	print "number,holder_name,holder_credit_code,province,city,scheme,score,scope,issue_date,expiry_date,body_approval,body_name"
	for (i = 1; i <= n; i++) {
		srand(seed * 7919 + i)
		# Holders with low ids hold several certificates each.
		h = (rand() < 0.3) ? 1 + int(rand() * nholders / 20) : 1 + int(rand() * nholders)
		holder(h)
		srand(seed * 104729 + i)
		split(bodies[zipf(nb)], b, "|")
		sch = schemes[1 + int(rand() * 9)]
		score = (sch == "AS") ? 70 + int(rand() * 30) : ""
		y = 2021 + int(rand() * 5); m = 1 + int(rand() * 12); d = 1 + int(rand() * 28)
		scope = (rand() < 0.7 ? htrade : trades[1 + int(rand() * nt)]) "的销售及售后服务"
		printf "%s%07d/%s,%s,%s,%s,%s,%s,%s,%s,%04d-%02d-%02d,%04d-%02d-%02d,%s,%s\n", b[1], i, hzone, hname, hcode, hprov, hcity, sch, score, scope, y, m, d, y + 3, m, (d > 1 ? d - 1 : d), b[2], b[3]
	}
}
