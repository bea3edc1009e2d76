package registry

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// The claims of a certificate are what its paper states and its QR code
// signs: the number, the holder, the scheme and level, the dates and the
// body. Their message (Claims.Message) is the byte string the registry
// signs (docs/verification.md gives it byte by byte); package signing
// holds the keys and the QR code URL that carries the signature.

// ClaimsFormat is the first line of the signed message: its version.
const ClaimsFormat = "certreg-claims/1"

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

// SigCheck is the outcome of checking a QR code's signature.
type SigCheck string

// sigKeys are the message keys of what each outcome means to a reader.
var sigKeys = map[SigCheck]string{
	SigGood:       "verify.sig.good",
	SigBad:        "verify.sig.bad",
	SigUnknownKey: "verify.sig.unknown-key",
	SigNone:       "verify.sig.none",
	SigUnchecked:  "verify.sig.unchecked",
}

// MessageKey is the message key of what the outcome means to a reader.
func (c SigCheck) MessageKey() string { return sigKeys[c] }

// Signature outcomes.
const (
	SigGood       SigCheck = "good"        // the registry signed exactly these claims
	SigBad        SigCheck = "bad"         // the claims or the signature were altered, or forged
	SigUnknownKey SigCheck = "unknown-key" // signed by a key the registry never published
	SigNone       SigCheck = "none"        // nothing was signed (a manual check)
)

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
	cl.HolderName, fe = cleanText("holder_name", "column.holder_name", in.HolderName, maxHolderName, true)
	add(fe)
	if sc, ok := schemes.Find(strings.TrimSpace(in.Scheme)); ok {
		cl.Scheme = sc.Code
		if l, ok := findLevel(sc, strings.TrimSpace(in.Level)); ok {
			cl.Level = l.Code
		} else {
			add(ptr(fieldErr("level", "registry.level_unknown", in.Level)))
		}
	} else {
		add(ptr(fieldErr("scheme", "registry.unknown_scheme", in.Scheme)))
	}
	cl.IssueDate, fe = parseDateField("issue_date", "column.issue_date", in.IssueDate, true)
	add(fe)
	cl.ExpiryDate, fe = parseDateField("expiry_date", "column.expiry_date", in.ExpiryDate, true)
	add(fe)
	cl.BodyApproval, fe = NormalizeApproval(in.BodyApproval)
	add(fe)
	if len(errs) > 0 {
		return cl, errs
	}
	return cl, nil
}
