package registry

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// A certificate's QR code carries the registry's signature over the claims
// printed on the paper, inside an upper-case https URL on the registry's
// canonical base URL (docs/verification.md gives the format byte by byte):
//
//	HTTPS://HOST/V/<base32 of key id ‖ signature>/<NUMBER>
//
// Upper case keeps the whole URL in the QR code's alphanumeric mode (5.5
// bits a character instead of 8). The claims themselves are not in the QR
// code: an Ed25519 signature alone takes 103 of the 178 characters a
// version-7 code holds at level M, and a Chinese holder name would not fit
// beside it. They are printed on the paper, kept by the registry and
// published with every certificate, so a verifier rebuilds the signed
// message from the record (online) or from the paper (offline) and checks
// it with the published key.

// ClaimsFormat is the first line of the signed message: its version.
const ClaimsFormat = "certreg-claims/1"

// QRPath is the path prefix of every QR code URL of format 1.
const QRPath = "/V/"

// qrBlobLen is the size of what the URL carries besides the number: the
// key id and the signature (67 bytes, 108 base32 characters).
const qrBlobLen = KeyIDBytes + ed25519.SignatureSize

// Claims are what a printed certificate states, as the registry signs them.
type Claims struct {
	Number       string // upper case (NumberKey): numbers compare case-insensitively
	CreditCode   string
	HolderName   string
	Scheme       string // scheme code, e.g. "AS"
	Level        string // level code, e.g. "five-star"
	IssueDate    time.Time
	ExpiryDate   time.Time
	BodyApproval string // CNCA-R-YYYY-NNN or CNCA-RF-YYYY-NN
}

// ClaimsOf returns the claims a certificate prints today.
func ClaimsOf(c *Certificate) Claims {
	return Claims{
		Number: NumberKey(c.Number), CreditCode: c.HolderCreditCode, HolderName: c.HolderName,
		Scheme: c.SchemeCode, Level: c.LevelCode,
		IssueDate: c.IssueDate, ExpiryDate: c.ExpiryDate, BodyApproval: c.BodyApproval,
	}
}

// ClaimsOfRecord returns the claims of a certificate record (an event
// snapshot, an open-data line or an API answer).
func ClaimsOfRecord(r *Record) Claims {
	issue, _ := time.Parse(DateLayout, r.IssueDate)
	expiry, _ := time.Parse(DateLayout, r.ExpiryDate)
	return Claims{
		Number: NumberKey(r.Number), CreditCode: r.HolderCreditCode, HolderName: r.HolderName,
		Scheme: r.Scheme, Level: r.Level, IssueDate: issue, ExpiryDate: expiry, BodyApproval: r.BodyApproval,
	}
}

// Message is the byte string the registry signs: UTF-8 lines "key=value"
// joined by "\n", no trailing newline, the holder name last (the only free
// text: whatever it holds cannot pose as another field).
func (cl *Claims) Message() []byte {
	var b bytes.Buffer
	b.WriteString(ClaimsFormat)
	for _, kv := range [][2]string{
		{"number", cl.Number},
		{"holder_credit_code", cl.CreditCode},
		{"scheme", cl.Scheme},
		{"level", cl.Level},
		{"issue_date", dateString(cl.IssueDate)},
		{"expiry_date", dateString(cl.ExpiryDate)},
		{"body_approval", cl.BodyApproval},
		{"holder_name", cl.HolderName},
	} {
		b.WriteString("\n" + kv[0] + "=" + kv[1])
	}
	return b.Bytes()
}

// Differences lists the claims that differ between printed and live, by
// field name (number, holder_credit_code, holder_name, scheme, level,
// issue_date, expiry_date, body_approval).
func (cl *Claims) Differences(live *Claims) []string {
	var out []string
	add := func(field string, a, b string) {
		if a != b {
			out = append(out, field)
		}
	}
	add("number", cl.Number, live.Number)
	add("holder_credit_code", cl.CreditCode, live.CreditCode)
	add("holder_name", cl.HolderName, live.HolderName)
	add("scheme", cl.Scheme, live.Scheme)
	add("level", cl.Level, live.Level)
	add("issue_date", dateString(cl.IssueDate), dateString(live.IssueDate))
	add("expiry_date", dateString(cl.ExpiryDate), dateString(live.ExpiryDate))
	add("body_approval", cl.BodyApproval, live.BodyApproval)
	return out
}

// QRSignature is what a QR code carries: which certificate, which key, and
// the signature over that certificate's printed claims.
type QRSignature struct {
	Number    string // upper case
	KeyID     string
	Signature []byte
}

// SignClaims signs cl with the ring's current key.
func (kr *KeyRing) SignClaims(cl Claims) (*QRSignature, error) {
	id, sig, err := kr.Sign(cl.Message())
	if err != nil {
		return nil, err
	}
	return &QRSignature{Number: cl.Number, KeyID: id, Signature: sig}, nil
}

// SigCheck is the outcome of checking a QR code's signature.
type SigCheck string

// Signature outcomes.
const (
	SigGood       SigCheck = "good"        // the registry signed exactly these claims
	SigBad        SigCheck = "bad"         // the claims or the signature were altered, or forged
	SigUnknownKey SigCheck = "unknown-key" // signed by a key the registry never published
	SigNone       SigCheck = "none"        // nothing was signed (a manual check)
)

// VerifyClaims checks that qs signs cl, with any of the ring's keys,
// current or retired.
func (kr *KeyRing) VerifyClaims(qs *QRSignature, cl *Claims) SigCheck {
	k, ok := kr.Key(qs.KeyID)
	if !ok {
		return SigUnknownKey
	}
	if qs.Number != cl.Number || len(qs.Signature) != ed25519.SignatureSize {
		return SigBad
	}
	if !ed25519.Verify(k.Public, cl.Message(), qs.Signature) {
		return SigBad
	}
	return SigGood
}

// URL returns the QR code's URL on base (the registry's canonical base URL,
// e.g. "https://certreg.example.cn").
func (qs *QRSignature) URL(base string) string {
	return QRBase(base) + QRPath + qs.Token() + "/" + qs.Number
}

// Token is the base32 text of key id ‖ signature, as the URL carries it.
func (qs *QRSignature) Token() string {
	kid, _ := b32.DecodeString(qs.KeyID)
	return b32.EncodeToString(append(kid, qs.Signature...))
}

// QRBase returns base as QR URLs start: scheme and host upper-cased (they
// are case-insensitive, and upper case stays in the QR code's alphanumeric
// mode), no trailing slash. A path in base is kept as it is.
func QRBase(base string) string {
	base = strings.TrimRight(strings.TrimSpace(base), "/")
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return strings.ToUpper(base)
	}
	return strings.ToUpper(u.Scheme+"://"+u.Host) + u.EscapedPath()
}

// ParsedQR is a QR code URL taken apart.
type ParsedQR struct {
	Origin    string // "https://host", lower case, as the QR code names it
	Signature *QRSignature
}

// maxQRURL bounds the URL a parser accepts.
const maxQRURL = 512

// ParseQRURL reads a QR code URL. It checks neither the signature (see
// KeyRing.VerifyClaims) nor whose domain the URL names: Origin is returned
// for the caller to compare with its own. Text that is not a certificate QR
// code URL gives an EINVALID error with a message for the reader; Origin is
// set whenever the text was a web address.
func ParseQRURL(raw string) (*ParsedQR, error) {
	raw = strings.TrimSpace(raw)
	if len(raw) > maxQRURL {
		return nil, Errorf(EINVALID, "url", "二维码内容过长（%d 字节）：不是证书二维码", "the QR code's content is too long (%d bytes): it is not a certificate QR code", len(raw))
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (!strings.EqualFold(u.Scheme, "https") && !strings.EqualFold(u.Scheme, "http")) {
		return nil, Errorf(EINVALID, "url", "二维码内容不是网址：不是证书二维码", "the QR code does not hold a web address: it is not a certificate QR code")
	}
	p := &ParsedQR{Origin: strings.ToLower(u.Scheme + "://" + u.Host)}
	path := u.EscapedPath()
	i := strings.Index(strings.ToUpper(path), QRPath)
	if i < 0 {
		return p, Errorf(EINVALID, "url", "网址 %s 不是证书二维码网址（应含 /V/）", "the address %s is not a certificate QR code address (it should contain /V/)", p.Origin+path)
	}
	qs, err := ParseQRPath(path[i+len(QRPath):])
	if err != nil {
		return p, err
	}
	p.Signature = qs
	return p, nil
}

// ParseQRPath reads what follows /V/ in a QR code URL: "<token>/<number>".
// Letters may come in either case.
func ParseQRPath(rest string) (*QRSignature, error) {
	bad := func(zh, en string) error {
		return &Error{Code: EINVALID, Field: "url", ZH: "证书二维码网址不完整或已损坏：" + zh, EN: "the certificate QR code address is incomplete or damaged: " + en}
	}
	if len(rest) > maxQRURL {
		return nil, bad("过长", "it is too long")
	}
	token, number, ok := strings.Cut(rest, "/")
	if !ok {
		return nil, bad("缺少证书编号", "the certificate number is missing")
	}
	token = strings.ToUpper(token)
	blob, err := b32.DecodeString(token)
	// Base32 of 67 bytes leaves 4 unused bits in the last character; a
	// token whose unused bits are set is not the one the registry printed.
	if err != nil || len(blob) != qrBlobLen || b32.EncodeToString(blob) != token {
		return nil, bad("签名部分的长度或字符不对", "the signature part has the wrong length or characters")
	}
	n, fe := NormalizeNumber(number)
	if fe != nil {
		return nil, bad("证书编号无效（"+fe.ZH+"）", "the certificate number is invalid ("+fe.EN+")")
	}
	return &QRSignature{
		Number:    NumberKey(n),
		KeyID:     b32.EncodeToString(blob[:KeyIDBytes]),
		Signature: bytes.Clone(blob[KeyIDBytes:]),
	}, nil
}

// ParseClaimsMessage reads a signed message back into claims (for offline
// verification from a saved message).
func ParseClaimsMessage(m []byte) (Claims, error) {
	lines := strings.SplitN(string(m), "\n", 9)
	if len(lines) != 9 || lines[0] != ClaimsFormat {
		return Claims{}, fmt.Errorf("claims message: not %s", ClaimsFormat)
	}
	keys := []string{"number", "holder_credit_code", "scheme", "level", "issue_date", "expiry_date", "body_approval", "holder_name"}
	vals := make([]string, len(keys))
	for i, k := range keys {
		v, ok := strings.CutPrefix(lines[i+1], k+"=")
		if !ok {
			return Claims{}, fmt.Errorf("claims message: line %d should start with %s=", i+2, k)
		}
		vals[i] = v
	}
	issue, err1 := time.Parse(DateLayout, vals[4])
	expiry, err2 := time.Parse(DateLayout, vals[5])
	if err1 != nil || err2 != nil {
		return Claims{}, fmt.Errorf("claims message: bad date")
	}
	return Claims{Number: vals[0], CreditCode: vals[1], Scheme: vals[2], Level: vals[3], IssueDate: issue, ExpiryDate: expiry, BodyApproval: vals[6], HolderName: vals[7]}, nil
}

// ClaimsOfInput reads claims as a reviewer types them from the paper (or as
// a record file gives them): scheme by code or standard number, level by
// code or name in either language, dates in any form ParseDate reads. It
// is how a verifier without the registry's database rebuilds the signed
// message.
func ClaimsOfInput(in Input, schemes *Schemes) (Claims, error) {
	var errs ValidationErrors
	add := func(fe *FieldError) {
		if fe != nil {
			errs = append(errs, *fe)
		}
	}
	var cl Claims
	n, fe := NormalizeNumber(in.Number)
	add(fe)
	cl.Number = NumberKey(n)
	cl.CreditCode, _, fe = NormalizeCreditCode(in.HolderCreditCode)
	add(fe)
	cl.HolderName, fe = cleanText("holder_name", "获证组织名称", "holder name", in.HolderName, maxHolderName, true)
	add(fe)
	if sc, ok := schemes.Find(strings.TrimSpace(in.Scheme)); ok {
		cl.Scheme = sc.Code
		if l, ok := findLevel(sc, strings.TrimSpace(in.Level)); ok {
			cl.Level = l.Code
		} else {
			add(ptr(fieldErr("level", "未知的星级 %q", "unknown level %q", in.Level)))
		}
	} else {
		add(ptr(fieldErr("scheme", "未知的认证依据 %q", "unknown scheme %q", in.Scheme)))
	}
	cl.IssueDate, fe = parseDateField("issue_date", "发证日期", "issue date", in.IssueDate, true)
	add(fe)
	cl.ExpiryDate, fe = parseDateField("expiry_date", "有效期至", "expiry date", in.ExpiryDate, true)
	add(fe)
	cl.BodyApproval, fe = NormalizeApproval(in.BodyApproval)
	add(fe)
	if len(errs) > 0 {
		return cl, errs
	}
	return cl, nil
}
