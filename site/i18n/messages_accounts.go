package i18n

// Messages of package accounts: signing in, sessions and API keys.
var accountsMessages = map[string]Msg{
	"account.enter_6_digit_code":          {"请输入验证器应用显示的 6 位动态码", "enter the 6-digit code shown by your authenticator app"},
	"account.wrong_user_name_password":    {"用户名或密码不正确", "wrong user name or password"},
	"account.account_disabled":            {"此账户已停用", "this account is disabled"},
	"account.code_wrong_was_already":      {"动态码不正确或已使用过", "the code is wrong or was already used"},
	"account.please_sign_session_expired": {"请先登录（会话已过期或已结束）", "please sign in (the session expired or ended)"},
	"account.api_key_invalid_expired":     {"接口密钥无效、已过期或已吊销", "the API key is invalid, expired or revoked"},
	"account.throttled":                   {"登录失败次数过多，请 %d 分钟后再试。", "Too many failed sign-in attempts. Try again in %d minutes."},
	"account.totp_off_needs_proof":        {"要停用动态码，请输入当前密码或验证器应用中的 6 位动态码", "to turn the codes off, enter your current password or the 6-digit code of your app"},
	"account.totp_wrong":                  {"动态码不正确：请核对手机时间并重新输入", "the code is wrong: check your phone's clock and try again"},
	"account.password_not_utf8":           {"密码不是有效的 UTF-8 文本", "the password is not valid UTF-8 text"},
	"account.password_too_short":          {"密码至少 %d 个字符", "the password must have at least %d characters"},
	"account.password_too_long":           {"密码最多 %d 个字符", "the password may have at most %d characters"},
}
