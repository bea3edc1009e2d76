package i18n

// Messages of the static export's stand-ins for the server: the verdict
// page checked in the browser, and the search run from the exported index.
var offlineMessages = map[string]Msg{
	"offline.verdict.title": {"二维码核验（静态副本）", "QR code check (static copy)"},
	"offline.sig.title":     {"签名核验", "Signature check"},
	"offline.nojs":          {"此页面是登记库的静态副本，二维码签名由浏览器中的脚本核验，但脚本未运行。请到在线登记库核验（见下方网址）。", "This page is a static copy of the registry; the QR code's signature is checked by a script in your browser, which did not run. Check it on the live registry (address below)."},
	"offline.checking":      {"正在浏览器中核验签名……", "Checking the signature in your browser…"},
	"offline.good":          {"签名有效：二维码由登记库签发，与下表登记信息一致。", "Signature good: the registry signed this QR code for the record below."},
	"offline.bad":           {"签名无效：二维码伪造或被篡改，或证书信息已变更。不要接受，请到在线登记库核验。", "Signature BAD: the QR code is forged or altered, or the certificate has changed since it was printed. Do not accept it; check on the live registry."},
	"offline.unknown_key":   {"签名无效：二维码所用密钥未由登记库公布（伪造）。", "Signature BAD: the QR code names a key the registry never published (forged)."},
	"offline.damaged":       {"二维码网址不完整或已损坏：不是登记库签发的二维码。", "The QR code address is incomplete or damaged: not a code the registry issued."},
	"offline.missing":       {"本副本中没有此证书编号：可能是伪造的证书，请到在线登记库核验。", "This copy holds no certificate with this number: possibly forged; check on the live registry."},
	"offline.nocrypto":      {"此浏览器不支持 Ed25519 签名核验，请到在线登记库核验。", "This browser cannot check Ed25519 signatures; check on the live registry."},
	"offline.status_as_of":  {"截至导出时间 %s 的状态：", "Status as of the export, %s:"},
	"offline.static_note":   {"静态副本只能显示导出时的状态，不能查看证书的历史版本、记录核验次数或出具核验回执。", "A static copy shows the status as of its export; it cannot try a certificate's earlier versions, count checks or issue receipts."},
	"offline.live":          {"在线登记库（最新状态）：", "Live registry (current status):"},
	"offline.claims":        {"登记信息（导出时）", "Registered claims (as exported)"},
}
