package registry

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// CreditAlphabet is the alphabet of the unified social credit code
// (GB 32100-2015), each character valued by its index: no I, O, S, V, Z.
const CreditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// CreditCodeCheck returns the check character that GB 32100-2015 computes
// for the first 17 characters of code, which must be in the alphabet.
func CreditCodeCheck(first17 string) (byte, bool) {
	if len(first17) != 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(CreditAlphabet, first17[i])
		if v < 0 {
			return 0, false
		}
		sum += v * creditWeights[i]
	}
	return CreditAlphabet[(31-sum%31)%31], true
}

// NormalizeCreditCode folds full-width characters and case, trims space and
// checks a unified social credit code. A wrong length or a character outside
// the alphabet is an error. A check character that does not match is only a
// warning (checkOK false): codes from early pilot regions are legal yet fail
// the check, so the registry records the warning instead of rejecting.
func NormalizeCreditCode(s string) (code string, checkOK bool, err *FieldError) {
	code = strings.ToUpper(FoldWidth(strings.TrimSpace(s)))
	if code == "" {
		fe := fieldErr("holder_credit_code", "registry.credit_code_required")
		return "", false, &fe
	}
	if n := utf8.RuneCountInString(code); n != 18 {
		fe := fieldErr("holder_credit_code", "registry.credit_code_length", n)
		return "", false, &fe
	}
	for i := 0; i < len(code); i++ {
		if strings.IndexByte(CreditAlphabet, code[i]) < 0 {
			fe := fieldErr("holder_credit_code", "registry.character_unified_social_credit", i+1, string(code[i]))
			return "", false, &fe
		}
	}
	want, _ := CreditCodeCheck(code[:17])
	return code, code[17] == want, nil
}

// CreditCodeWarning is the warning recorded for a credit code whose check
// character does not match.
func CreditCodeWarning(code string) FieldError {
	want, _ := CreditCodeCheck(code[:17])
	fe := fieldErr("holder_credit_code", "registry.check_character_unified_social", code, want)
	fe.Warning = true
	return fe
}

var numberPattern = regexp.MustCompile(`^[A-Za-z0-9./-]{4,40}$`)

// NormalizeNumber turns a certificate number as typed or imported into the
// form the registry stores: trimmed, full-width characters folded to ASCII.
// Numbers are otherwise opaque: each body prints its own format. NumberKey
// gives the case-insensitive form used to compare them.
func NormalizeNumber(s string) (string, *FieldError) {
	n := FoldWidth(strings.TrimSpace(s))
	if n == "" {
		fe := fieldErr("number", "registry.certificate_number_required")
		return "", &fe
	}
	if !numberPattern.MatchString(n) {
		if c := utf8.RuneCountInString(n); c < 4 || c > 40 {
			fe := fieldErr("number", "registry.certificate_number_must_have", c)
			return "", &fe
		}
		for _, r := range n {
			if !(r < utf8.RuneSelf && (r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '/' || r == '.')) {
				fe := fieldErr("number", "registry.certificate_number_has_character", string(r))
				return "", &fe
			}
		}
	}
	if strings.Contains(n, "..") || n[0] == '.' || n[0] == '/' || n[len(n)-1] == '/' {
		fe := fieldErr("number", "registry.certificate_number_cannot_start")
		return "", &fe
	}
	return n, nil
}

// NumberKey is the case-insensitive key under which a normalized number is
// unique in the registry.
func NumberKey(n string) string { return strings.ToUpper(n) }

// FoldWidth maps full-width ASCII variants (U+FF01–U+FF5E) and the
// ideographic space to their ASCII forms, as Chinese input methods often
// produce them.
func FoldWidth(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r >= 0xFF01 && r <= 0xFF5E || r == 0x3000 }) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			return r - 0xFF01 + '!'
		case r == 0x3000:
			return ' '
		}
		return r
	}, s)
}

var approvalPattern = regexp.MustCompile(`^CNCA-(R-\d{4}-\d{3}|RF-\d{4}-\d{2})$`)

// NormalizeApproval checks a certification body's CNCA approval number
// (批准号): CNCA-R-YYYY-NNN for domestic bodies, CNCA-RF-YYYY-NN for
// foreign-invested ones.
func NormalizeApproval(s string) (string, *FieldError) {
	a := strings.ToUpper(FoldWidth(strings.TrimSpace(s)))
	if a == "" {
		fe := fieldErr("body_approval", "registry.approval_required")
		return "", &fe
	}
	if !approvalPattern.MatchString(a) {
		fe := fieldErr("body_approval", "registry.approval_malformed", s)
		return "", &fe
	}
	return a, nil
}
