package registry_test

import (
	"strings"
	"testing"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
)

// FuzzNormalizeNumber checks that a normalized number is always in the
// allowed alphabet and length, and that normalizing is idempotent.
func FuzzNormalizeNumber(f *testing.F) {
	for _, s := range []string{"00114E22766R2L/3502", "ＳＡＣ－２０２４", " abc-1 ", "a..b", "/abc", "长城-0001", "ABCD"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, fe := registry.NormalizeNumber(s)
		if fe != nil {
			if i18n.ZH.Render(fe) == "" || i18n.EN.Render(fe) == "" {
				t.Fatalf("error without message for %q", s)
			}
			return
		}
		if len(n) < 4 || len(n) > 40 || strings.Trim(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-/.") != "" {
			t.Fatalf("NormalizeNumber(%q) = %q, outside the alphabet or length", s, n)
		}
		if again, fe := registry.NormalizeNumber(n); fe != nil || again != n {
			t.Fatalf("not idempotent: %q → %q → %q %v", s, n, again, fe)
		}
	})
}

// FuzzCreditCode checks the credit-code check against its definition: a
// code accepted with a good check character stays good, and changing any one
// character of it to another valid one breaks the check (a weighted sum mod
// 31 with weights coprime to 31 catches every single substitution).
func FuzzCreditCode(f *testing.F) {
	for _, s := range []string{"914403001922038216", "91440300708461136T", "91371323760038087M", "91350100M0001TGQXM", "9144030070846113", "91440300708461136I"} {
		f.Add(s, uint8(3))
	}
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	f.Fuzz(func(t *testing.T, s string, pos uint8) {
		code, ok, fe := registry.NormalizeCreditCode(s)
		if fe != nil {
			return
		}
		if len(code) != 18 {
			t.Fatalf("accepted %q of length %d", code, len(code))
		}
		if !ok {
			return
		}
		i := int(pos) % 17
		j := (strings.IndexByte(alphabet, code[i]) + 1 + int(pos)%30) % 31
		mutated := code[:i] + string(alphabet[j]) + code[i+1:]
		if _, ok2, fe := registry.NormalizeCreditCode(mutated); fe != nil || ok2 {
			t.Fatalf("mutated %q → %q still passes the check (err %v)", code, mutated, fe)
		}
	})
}
