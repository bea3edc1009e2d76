# gencsv.awk: writes N synthetic certificates as import CSV, for load tests
# and search benchmarks (awk -v n=100000 -f scripts/gencsv.awk > big.csv).
# Names mix a city, a word and a trade so that substring searches have
# both rare and very common terms ("有限公司" is in nearly every name).
BEGIN {
	srand(42)
	alpha = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	split("1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28", w, " ")
	nc = split("浙江|宁波|330200 浙江|杭州|330100 江苏|苏州|320500 江苏|南京|320100 广东|深圳|440300 广东|广州|440100 山东|青岛|370200 北京|北京|110100 上海|上海|310100 四川|成都|510100 湖北|武汉|420100 福建|厦门|350200 河南|郑州|410100 陕西|西安|610100 湖南|长沙|430100 辽宁|大连|210200", cities, " ")
	nw = split("东方 海天 正泰 远航 恒信 华美 金鼎 长城 新兴 德力 方正 博远 瑞丰 嘉禾 天成 永盛 鸿达 安泰 宏图 中联 明珠 万通 星辰 锦程 同创 凯达 汇丰 和谐 富强 振华", words, " ")
	nt = split("电器 家具 厨具 电梯 照明 汽车销售 物业服务 家电 门窗 空调 净水设备 医疗器械 办公设备 通信设备 电动车 卫浴 地板 涂料 锅炉 安防", trades, " ")
	split("AS AS AS AS AS AS AS CL BB", schemes, " ")
	nb = split("CNCA-R-2016-901|示例质量认证中心（样例） CNCA-R-2017-902|华东示例服务认证有限公司（样例） CNCA-R-2018-903|南方示例认证有限公司（样例） CNCA-R-2019-904|金陵示例评价认证中心（样例） CNCA-RF-2015-91|示例国际认证（中国）有限公司（样例）", bodies, " ")
	print "number,holder_name,holder_credit_code,province,city,scheme,score,scope,issue_date,expiry_date,body_approval,body_name"
	for (i = 1; i <= n; i++) {
		split(cities[1 + int(rand() * nc)], c, "|")
		name = c[2] words[1 + int(rand() * nw)] trades[1 + int(rand() * nt)] "有限公司"
		if (rand() < 0.3) name = c[2] words[1 + int(rand() * nw)] words[1 + int(rand() * nw)] trades[1 + int(rand() * nt)] "有限公司"
		name = name sprintf("%06d", i)
		code = "91" c[3]
		for (k = 0; k < 9; k++) code = code substr(alpha, 1 + int(rand() * 31), 1)
		sum = 0
		for (k = 1; k <= 17; k++) sum += (index(alpha, substr(code, k, 1)) - 1) * w[k]
		code = code substr(alpha, 1 + (31 - sum % 31) % 31, 1)
		sch = schemes[1 + int(rand() * 9)]
		score = (sch == "AS") ? 70 + int(rand() * 30) : ""
		y = 2021 + int(rand() * 5); m = 1 + int(rand() * 12); d = 1 + int(rand() * 28)
		split(bodies[1 + int(rand() * nb)], b, "|")
		printf "LT%07d/%s,%s,%s,%s,%s,%s,%s,%s售后服务,%04d-%02d-%02d,%04d-%02d-%02d,%s,%s\n", i, substr(c[3], 1, 4), name, code, c[1], c[2], sch, score, trades[1 + int(rand() * nt)], y, m, d, y + 3, m, (d > 1 ? d - 1 : d), b[1], b[2]
	}
}
