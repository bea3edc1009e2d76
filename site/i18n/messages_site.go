package i18n

// The public site's messages: layout, errors, home, browse, certificate,
// holder, body, scheme, statistics, feeds and open data pages.
func init() {
	Register(map[string]Msg{
		// Layout.
		"site.name":          {"服务认证证书登记库", "Service Certification Registry"},
		"site.tagline":       {"售后服务等服务认证证书的公开登记与查询", "Public register of after-sales and other service certificates"},
		"site.skip":          {"跳到正文", "Skip to content"},
		"nav.label":          {"主导航", "Main navigation"},
		"nav.home":           {"首页", "Home"},
		"nav.certificates":   {"证书查询", "Certificates"},
		"nav.bodies":         {"认证机构", "Certification bodies"},
		"nav.schemes":        {"认证依据", "Schemes"},
		"nav.statistics":     {"统计", "Statistics"},
		"nav.data":           {"开放数据", "Open data"},
		"nav.api":            {"接口", "API"},
		"nav.feeds":          {"订阅", "Feeds"},
		"lang.switch":        {"English", "中文"},
		"search.label":       {"证书编号、获证组织名称或统一社会信用代码", "Certificate number, holder name or credit code"},
		"search.placeholder": {"证书编号、组织名称或信用代码", "Number, name or credit code"},
		"search.button":      {"查询", "Search"},
		"footer.canonical":   {"本登记库的唯一官方网址是 %s。请核对浏览器地址栏中的域名：仿冒网站常用相似的域名。", "The only official address of this registry is %s. Check the domain in your browser's address bar: fake sites use look-alike domains."},
		"footer.data":        {"数据可自由下载使用", "The data is free to download and reuse"},
		"footer.asof":        {"数据截至 %s", "Data as of %s"},

		// Error pages.
		"error.notfound.title":     {"未找到", "Not found"},
		"error.notfound.page":      {"没有这个页面。", "There is no such page."},
		"error.invalid.title":      {"请求有误", "Bad request"},
		"error.conflict.title":     {"冲突", "Conflict"},
		"error.forbidden.title":    {"无权访问", "Forbidden"},
		"error.unauthorized.title": {"需要登录", "Sign-in required"},
		"error.internal.title":     {"内部错误", "Internal error"},
		"error.toomany.title":      {"请求过于频繁", "Too many requests"},
		"error.back":               {"返回首页", "Back to the home page"},
		"error.search":             {"查询证书", "Search certificates"},
		"error.method":             {"不支持此请求方法。", "This request method is not allowed."},
	})
}
