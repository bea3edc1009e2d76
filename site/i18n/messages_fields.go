package i18n

// Messages of the certificate's fields (registry.Fields): each field's
// name as a column of the import format and the open data, in messages and
// on the console's form (capitalised there, see Lang.Label), and what the
// column holds.
func init() {
	Register(map[string]Msg{
		"column.number":                  {"证书编号", "certificate number"},
		"column.number.desc":             {"机构印在证书上的编号；字母、数字、-、/、.，4–40 个字符，不区分大小写", "the number as the body prints it; letters, digits, -, / and ., 4–40 characters, case-insensitive"},
		"column.holder_name":             {"获证组织名称", "holder name"},
		"column.holder_name.desc":        {"获证组织全称，最多 200 字", "the holder organisation's full name, at most 200 characters"},
		"column.holder_credit_code":      {"统一社会信用代码", "unified social credit code"},
		"column.holder_credit_code.desc": {"18 位统一社会信用代码；校验位不符时给出警告并记录", "18-character unified social credit code; a wrong check character is recorded as a warning"},
		"column.holder_address":          {"获证组织地址", "holder address"},
		"column.holder_address.desc":     {"地址，最多 300 字", "address, at most 300 characters"},
		"column.province":                {"省份", "province"},
		"column.province.desc":           {"省、自治区或直辖市，如 浙江", "province, e.g. 浙江"},
		"column.city":                    {"城市", "city"},
		"column.city.desc":               {"城市，如 宁波", "city, e.g. 宁波"},
		"column.scheme":                  {"认证依据", "scheme"},
		"column.scheme.desc":             {"认证依据的代码或标准号，如 AS 或 GB/T 27922-2011", "the scheme's code or standard number, e.g. AS or GB/T 27922-2011"},
		"column.score":                   {"评价得分", "score"},
		"column.score.desc":              {"0–100；分级认证必填，星级由得分得出", "0–100; required for graded schemes, the level follows from it"},
		"column.level":                   {"星级", "level"},
		"column.level.desc":              {"可选；填写时必须与得分相符（达标级、三星级、四星级、五星级）", "optional; when given it must match the score (compliant, three-star, four-star, five-star)"},
		"column.scope":                   {"认证范围", "scope"},
		"column.scope.desc":              {"认证范围，最多 2000 字", "scope of certification, at most 2000 characters"},
		"column.first_issue_date":        {"初次发证日期", "first issue date"},
		"column.first_issue_date.desc":   {"可选，默认同发证日期", "optional, defaults to the issue date"},
		"column.issue_date":              {"发证日期", "issue date"},
		"column.issue_date.desc":         {"2024-03-05、2024/3/5、2024年3月5日 或 Excel 日期单元格", "2024-03-05, 2024/3/5, 2024年3月5日 or an Excel date cell"},
		"column.expiry_date":             {"有效期至", "expiry date"},
		"column.expiry_date.desc":        {"晚于发证日期，通常为 3 年", "after the issue date, usually 3 years"},
		"column.status":                  {"证书状态", "status"},
		"column.status.desc":             {"有效、暂停、撤销、注销；默认有效；过期由日期得出，不可填写", "valid, suspended, revoked or withdrawn (有效, 暂停, 撤销, 注销); default valid; expired is derived and cannot be set"},
		"column.status_date":             {"状态变更日期", "status date"},
		"column.status_date.desc":        {"状态变更的生效日期；默认导入当天", "the day a status change took effect; defaults to the day of import"},
		"column.status_reason":           {"状态变更原因", "status reason"},
		"column.status_reason.desc":      {"暂停、撤销、注销时必填", "required when suspending, revoking or withdrawing"},
		"column.body_approval":           {"认证机构批准号", "certification body approval number"},
		"column.body_approval.desc":      {"CNCA-R-年份-三位序号 或 CNCA-RF-年份-两位序号", "CNCA-R-YYYY-NNN or CNCA-RF-YYYY-NN"},
		"column.body_name":               {"认证机构名称", "certification body name"},
		"column.body_name.desc":          {"命令行导入时，未登记的机构据此新建", "on the command line, an unknown body is created with this name"},
		"column.stage1_date":             {"一阶段审核日期", "stage 1 audit date"},
		"column.stage1_date.desc":        {"可选", "optional"},
		"column.stage2_date":             {"二阶段审核日期", "stage 2 audit date"},
		"column.stage2_date.desc":        {"可选；不早于一阶段审核日期", "optional; not before the stage 1 date"},
		"column.cpsq":                    {"顾客感知服务质量指数", "customer-perceived service quality index"},
		"column.cpsq.desc":               {"可选，0–100", "optional, 0–100"},
		"column.surveillance":            {"监督审核", "surveillance audits"},
		"column.surveillance.desc":       {"可选；“日期 结果 备注”，多次以 ; 分隔，如 2025-03-01 通过", "optional; \"date result note\", several separated by ;, e.g. 2025-03-01 pass"},
	})
}
