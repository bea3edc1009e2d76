package i18n

// Messages of the API page.
func init() {
	Register(map[string]Msg{
		"api.params":                           {"查询参数", "Query parameters"},
		"api.one":                              {"一张证书的全部字段、有效状态（含自动得出的“过期”）和变更记录。编号中的“/”写作“~”；写作“/”或“%2F”也会被重定向到规范地址。", "One certificate: every field, the status to act on (expired derived), and its history. A \"/\" in the number is written \"~\"; \"/\" or \"%2F\" redirect to the canonical URL."},
		"api.list":                             {"按条件查询证书，分页返回；参数同证书查询页。计数最多到 1,000（total_capped）。", "Certificates matching the filters, one page at a time; the parameters are those of the search page. Counts stop at 1,000 (total_capped)."},
		"api.param.q":                          {"证书编号（完全或前缀匹配）、统一社会信用代码或获证组织名称的一部分；空格分隔的多个词须全部匹配", "certificate number (exact or prefix), credit code, or part of the holder's name; space-separated terms must all match"},
		"api.param.scheme":                     {"认证依据代码：AS、CL、BB", "scheme code: AS, CL, BB"},
		"api.param.level":                      {"等级代码：five-star、four-star、three-star、compliant、pass", "level code: five-star, four-star, three-star, compliant, pass"},
		"api.param.status":                     {"有效状态：valid、suspended、revoked、withdrawn、expired（过期由有效期得出）", "effective status: valid, suspended, revoked, withdrawn, expired (derived from the expiry date)"},
		"api.param.province":                   {"省份，如 浙江", "province, e.g. 浙江"},
		"api.param.city":                       {"城市，如 宁波", "city, e.g. 宁波"},
		"api.param.body":                       {"认证机构批准号，如 CNCA-R-2002-001", "certification body approval number, e.g. CNCA-R-2002-001"},
		"api.param.year":                       {"发证年份", "issue year"},
		"api.param.sort":                       {"排序：issued-desc（默认）、issued-asc、expiry-asc、expiry-desc、number", "order: issued-desc (default), issued-asc, expiry-asc, expiry-desc, number"},
		"api.param.page":                       {"页码，从 1 开始；最多翻到第 1,000 条", "page number from 1; paging stops at the 1,000th result"},
		"api.param.per_page":                   {"每页条数，1 至 100，默认 20（仅接口）", "results per page, 1 to 100, default 20 (API only)"},
		"api.per_page_must_whole":              {"per_page 应为 1 至 %d 的整数", "per_page must be a whole number from 1 to %d"},
		"api.api_key_required_authorization":   {"需要接口密钥：Authorization: Bearer <密钥>", "an API key is required: Authorization: Bearer <key>"},
		"api.api_key_publishes_only":           {"此接口密钥只能发布认证机构 %s 的证书", "this API key publishes only the certificates of body %s"},
		"api.your_body_has_no":                 {"本机构没有编号为 %s 的证书", "your body has no certificate numbered %s"},
		"api.page_must_1_10000":                {"页码应为 1–10000", "page must be 1–10000"},
		"api.per_page_must_1":                  {"每页条数应为 1–1000", "per_page must be 1–1000"},
		"api.number_body_differs_from":         {"请求体中的证书编号 %s 与地址中的 %s 不一致", "the number in the body, %s, differs from the number in the URL, %s"},
		"api.certificate_belongs_another_body": {"证书 %s 属于另一认证机构，不能修改", "certificate %s belongs to another body and cannot be changed"},
		"api.batch_holds_at_most":              {"一批最多 %d 张证书", "a batch holds at most %d certificates"},
		"api.status_must_valid_suspended":      {"状态应为 valid、suspended、revoked 或 withdrawn", "status must be valid, suspended, revoked or withdrawn"},
		"api.effective_date_invalid":           {"生效日期 %q 无效", "effective date %q is invalid"},
		"api.result_must_pass_fail":            {"结果应为 pass 或 fail", "result must be pass or fail"},
		"api.bad_json":                         {"请求体不是有效的 JSON：%s", "the request body is not valid JSON: %s"},
		"api.too_large":                        {"请求体超过 %d 字节的上限", "the request body exceeds the limit of %d bytes"},
		"api.bad_idempotency_key":              {"Idempotency-Key 应为 1–255 个可见 ASCII 字符", "Idempotency-Key must be 1–255 visible ASCII characters"},
		"api.idempotency_key_reused":           {"此 Idempotency-Key 已用于另一个请求", "this Idempotency-Key was already used for a different request"},
	})
}
