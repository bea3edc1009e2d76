package i18n

// Messages of the registry's pages: certificate fields, statuses, history,
// browse and search, holder, body, scheme, statistics, feeds, open data.
var pagesMessages = map[string]Msg{
	// Certificate fields.
	"field.credit_warning": {"该信用代码校验位不符（早期试点地区的合法代码可能如此），已由认证机构确认。", "This credit code fails its check character (legal for some early pilot regions); the body confirmed it."},
	"field.place":          {"所在地", "Location"},
	"field.standard":       {"标准", "Standard"},
	"field.kind":           {"认证类别", "Kind of certification"},
	"field.body":           {"认证机构", "Certification body"},
	"field.year":           {"发证年份", "Issue year"},
	"field.website":        {"网站", "Website"},
	"field.contact":        {"联系方式", "Contact"},

	// Statuses: what each means for a reader.
	"status.valid.desc":     {"证书在有效期内，认证机构未暂停或撤销。", "The certificate is in force: within its validity and neither suspended nor revoked."},
	"status.suspended.desc": {"证书已被认证机构暂停：暂停期间不得作为有效证书使用。", "The body has suspended the certificate: while suspended it must not be used as a valid certificate."},
	"status.revoked.desc":   {"证书已被认证机构撤销，不再有效。", "The body has revoked the certificate: it is no longer valid."},
	"status.withdrawn.desc": {"证书已注销（应持证组织申请或因其停业），不再有效。", "The certificate has been withdrawn (at the holder's request or because it stopped trading): it is no longer valid."},
	"status.expired.desc":   {"证书已超过有效期，不再有效。", "The certificate is past its expiry date: it is no longer valid."},

	// Surveillance results.
	"surveillance.pass": {"通过", "Passed"},
	"surveillance.fail": {"不通过", "Failed"},

	// History.
	"history.title":        {"状态与变更记录", "Status and change history"},
	"history.none":         {"暂无记录。", "No events recorded."},
	"history.reason":       {"原因：%s", "Reason: %s"},
	"event.issued":         {"发证", "Issued"},
	"event.changed":        {"信息变更", "Details changed"},
	"event.suspended":      {"暂停", "Suspended"},
	"event.reinstated":     {"恢复", "Reinstated"},
	"event.revoked":        {"撤销", "Revoked"},
	"event.withdrawn":      {"注销", "Withdrawn"},
	"event.surveillance":   {"监督审核", "Surveillance audit"},
	"change.from_to":       {"%s：由“%s”改为“%s”", "%s: from “%s” to “%s”"},
	"audit.title":          {"审核记录", "Audit record"},
	"audit.none":           {"无", "None"},
	"audit.surveillance.n": {"%s：%s", "%s: %s"},

	// Certificate page.
	"cert.title":      {"证书 %s", "Certificate %s"},
	"cert.asof":       {"以上信息截至 %s", "This information is as of %s"},
	"cert.feed":       {"订阅此证书的变更（Atom）", "Follow this certificate's changes (Atom feed)"},
	"cert.json":       {"JSON 数据", "JSON data"},
	"cert.holder_all": {"该组织的全部证书", "All certificates of this holder"},
	"cert.details":    {"证书信息", "Certificate details"},
	"cert.notfound":   {"本登记库中没有登记编号为 %s 的证书。如证书上印有此编号，请向发证的认证机构核实，并警惕伪造证书。", "No certificate numbered %s is registered here. If a certificate shows this number, check with the body that issued it: it may be forged."},
	"cert.stars":      {"%d 星", "%d stars"},
	"cert.actions":    {"核验与回执", "Verify and receipt"},
	"cert.verify":     {"核验此证书", "Verify this certificate"},
	"cert.receipt":    {"生成核验回执", "Make a verification receipt"},
	"cert.qr.title":   {"证书二维码", "The certificate's QR code"},
	"cert.qr.help":    {"用于印在证书上或放入投标文件。扫码即打开本登记库的核验页；二维码带有本登记库的签名，任何人都可独立核对。", "For printing on the certificate or in bid documents. Scanning it opens this registry's verdict page; the code carries the registry's signature, which anyone can check independently."},
	"cert.qr.png":     {"PNG %d 像素", "PNG %d px"},
	"cert.qr.alt":     {"证书 %s 的签名二维码", "Signed QR code of certificate %s"},

	// The summary in the status box and the verdict panel.
	"summary.reason":          {"原因", "Reason"},
	"summary.since.suspended": {"暂停日期", "Suspended on"},
	"summary.since.revoked":   {"撤销日期", "Revoked on"},
	"summary.since.withdrawn": {"注销日期", "Withdrawn on"},
	"summary.expired_reason":  {"有效期已于 %s 届满", "Its validity ended on %s"},
	"summary.no_reason":       {"认证机构未注明", "Not stated by the body"},

	// Punctuation that differs between the languages.
	"punct.colon":  {"：", ": "},
	"punct.parens": {"（%s）", " (%s)"},

	// Browse and search.
	"browse.title":           {"证书查询", "Find a certificate"},
	"browse.results_for":     {"“%s”的查询结果", "Results for “%s”"},
	"browse.filters":         {"筛选", "Filters"},
	"browse.apply":           {"筛选", "Apply"},
	"browse.clear":           {"清除全部条件", "Clear all"},
	"browse.any":             {"不限", "Any"},
	"browse.sort":            {"排序", "Sort"},
	"sort.issued-desc":       {"发证日期（新→旧）", "Issued (newest first)"},
	"sort.issued-asc":        {"发证日期（旧→新）", "Issued (oldest first)"},
	"sort.expiry-asc":        {"有效期至（早→晚）", "Expiry (soonest first)"},
	"sort.expiry-desc":       {"有效期至（晚→早）", "Expiry (latest first)"},
	"sort.number":            {"证书编号", "Certificate number"},
	"browse.count":           {"共 %s 张证书", "%s certificates"},
	"browse.count.capped":    {"超过 %s 张证书，仅显示前 %s 张，请加筛选条件缩小范围", "More than %s certificates; only the first %s can be paged through: add filters to narrow them"},
	"browse.count.pagelimit": {"共 %s 张证书；可翻阅前 %s 张，请加筛选条件缩小范围，或下载开放数据", "%s certificates; the first %s can be paged through: add filters to narrow them, or download the open data"},
	"browse.count.many":      {"结果很多，未精确计数", "Many results (not counted exactly)"},
	"bodies.certificates":    {"登记证书", "Certificates"},
	"bodies.valid":           {"其中有效", "Valid now"},
	"browse.number.exact":    {"编号完全匹配的证书", "The certificate with this number"},
	"browse.number.prefix":   {"编号以“%s”开头的证书（%s 张）", "Certificates whose number starts with “%s” (%s)"},
	"browse.number.part":     {"编号中含有“%s”的证书（%s 张）", "Certificates whose number contains “%s” (%s)"},
	"browse.numbers.first":   {"前 %d", "first %d"},
	"browse.holder_code":     {"统一社会信用代码为 %s 的组织的证书", "Certificates of the holder with credit code %s"},
	"browse.count.atleast":   {"至少 %s 张证书（计数到此为止）", "At least %s certificates (counting stopped there)"},
	"browse.partial":         {"单个字只在最新的 %s 张证书中查找；输入两个或更多字可查全部。", "A single character is only looked up among the newest %s certificates; type two or more characters to search them all."},
	"browse.empty":           {"没有符合条件的证书。", "No certificate matches."},
	"browse.empty.hint":      {"请检查证书编号是否完整、名称是否有错别字；可只输入名称中的两三个字（如“宁波”），或清除部分筛选条件。未在本库登记的证书不能视为有效。", "Check that the number is complete and the name correctly spelled; try two or three characters of the name (e.g. 宁波), or clear some filters. A certificate not registered here cannot be taken as valid."},
	"browse.prev":            {"上一页", "Previous"},
	"browse.next":            {"下一页", "Next"},
	"browse.pages":           {"分页", "Pages"},
	"browse.results":         {"查询结果", "Results"},
	"browse.expires":         {"有效期至 %s", "valid until %s"},
	"browse.issued":          {"发证 %s", "issued %s"},
	"browse.feed":            {"订阅新发证书", "Follow newly issued certificates"},

	// Home.
	"home.search.title":  {"查询证书", "Check a certificate"},
	"home.search.help":   {"输入证书编号、获证组织名称（或其中两个以上的字）、或 18 位统一社会信用代码。", "Enter a certificate number, the holder's name (or two or more characters of it), or the 18-character unified social credit code."},
	"home.totals":        {"登记概况", "The registry at a glance"},
	"home.total.certs":   {"证书", "Certificates"},
	"home.total.valid":   {"有效证书", "Valid certificates"},
	"home.total.holders": {"获证组织", "Holders"},
	"home.total.bodies":  {"认证机构", "Certification bodies"},
	"home.by_level":      {"按等级", "By level"},
	"home.by_status":     {"按状态", "By status"},
	"home.recent":        {"最新发证", "Recently issued"},
	"home.changes":       {"最近暂停、撤销或注销", "Recently suspended, revoked or withdrawn"},
	"home.more":          {"更多", "More"},
	"home.none":          {"暂无。", "None yet."},

	// Holder.
	"holder.title":    {"获证组织 %s", "Holder %s"},
	"holder.certs":    {"该组织的证书（%d 张）", "Certificates of this holder (%d)"},
	"holder.notfound": {"没有以统一社会信用代码 %s 登记的证书。", "No certificate is registered under the unified social credit code %s."},

	// Bodies.
	"bodies.title":     {"认证机构", "Certification bodies"},
	"bodies.intro":     {"以下认证机构在本登记库发布证书。批准号由国家认监委（CNCA）颁发。", "These certification bodies publish certificates in this registry. Approval numbers are issued by CNCA."},
	"body.certs":       {"该机构发布的证书", "Certificates published by this body"},
	"body.counts":      {"证书统计", "Certificate counts"},
	"body.all":         {"查看该机构的全部证书", "All certificates of this body"},
	"body.feed.issued": {"订阅该机构新发证书", "Follow this body's new certificates"},
	"body.feed.status": {"订阅该机构的状态变更", "Follow this body's status changes"},
	"body.disabled":    {"该机构已停用。", "This body is disabled."},

	// Schemes.
	"schemes.title":   {"认证依据", "Certification schemes"},
	"schemes.intro":   {"登记库中的证书所依据的标准及其评级规则。", "The standards certificates in this registry are issued against, and how each grades."},
	"scheme.grading":  {"评级规则", "Grading"},
	"scheme.minscore": {"最低得分", "Minimum score"},
	"scheme.passfail": {"该依据不分等级：符合即通过。", "This scheme is pass/fail: a service that conforms is certified."},
	"scheme.below":    {"低于 %s 分不能获证。", "Below %s the service cannot be certified."},
	"scheme.certs":    {"按此依据发布的证书", "Certificates under this scheme"},

	// Statistics.
	"stats.title":       {"统计", "Statistics"},
	"stats.by_level":    {"按等级", "Certificates by level"},
	"stats.by_status":   {"按状态", "Certificates by status"},
	"stats.by_province": {"按省份", "Certificates by province"},
	"stats.by_year":     {"按发证年份", "Certificates issued per year"},
	"stats.table":       {"数据表", "Data table"},
	"stats.count":       {"证书数", "Certificates"},

	// Feeds.
	"feed.issued.title": {"新发证书", "Newly issued certificates"},
	"feed.status.title": {"证书状态变更", "Certificate status changes"},
	"feed.cert.title":   {"证书 %s 的变更", "Changes to certificate %s"},
	"feed.body.issued":  {"%s：新发证书", "%s: newly issued certificates"},
	"feed.body.status":  {"%s：状态变更", "%s: status changes"},
	"feed.entry":        {"%s：%s（%s）", "%s: %s (%s)"},
	"feeds.title":       {"订阅（Atom）", "Feeds (Atom)"},

	// Open data.
	"data.title":    {"开放数据", "Open data"},
	"data.intro":    {"登记库的全部证书可自由下载、使用，格式为 CSV 和 NDJSON（每行一个 JSON 对象）。数据每次变更后即更新。", "Every certificate of the registry is free to download and reuse, as CSV and as NDJSON (one JSON object per line). The files follow every change."},
	"data.csv":      {"下载 CSV", "Download CSV"},
	"data.column":   {"%s：%s", "%s: %s"},
	"data.ndjson":   {"下载 NDJSON", "Download NDJSON"},
	"data.columns":  {"字段说明", "Column reference"},
	"data.col.name": {"字段", "Column"},
	"data.col.desc": {"说明", "Meaning"},
	"data.api":      {"另有 JSON 接口，见接口说明。", "There is also a JSON API: see the API page."},

	// API page.
	"api.title": {"数据接口", "API"},
	"api.intro": {"只读 JSON 接口，无需登录。筛选参数与证书查询页相同。", "A read-only JSON API, no sign-in needed. Filters are those of the certificate search page."},
}
