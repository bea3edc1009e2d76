package registry_test

import (
	"testing"

	"github.com/certreg/certreg/registry"
)

func TestCreditCode(t *testing.T) {
	tests := []struct {
		code    string
		checkOK bool
		err     bool
	}{
		{"914403001922038216", true, false}, // published codes
		{"91440300708461136T", true, false},
		{"91371323760038087M", true, false},
		{"９１４４０３００１９２２０３８２１６", true, false},  // full-width
		{"91440300708461136t", true, false},  // lower case
		{"914403001922038217", false, false}, // last digit changed: warning
		{"914403001922083216", false, false}, // two digits swapped
		{"91350100M0001TGQXM", false, false}, // legal pilot code that fails the check
		{"91440300708461136", false, true},   // 17 characters
		{"9144030070846113600", false, true}, // 19
		{"91440300708461136O", false, true},  // O is not in the alphabet
		{"91440300708461136S", false, true},
		{"", false, true},
	}
	for _, tt := range tests {
		_, ok, fe := registry.NormalizeCreditCode(tt.code)
		if (fe != nil) != tt.err || !tt.err && ok != tt.checkOK {
			t.Errorf("NormalizeCreditCode(%q) = ok %v, err %v; want ok %v, err %v", tt.code, ok, fe, tt.checkOK, tt.err)
		}
	}
}

func TestLevels(t *testing.T) {
	s, err := registry.Open(t.TempDir() + "/r.db")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	as, _ := s.Schemes().Get("AS")
	tests := []struct {
		score float64
		level string
	}{{69, ""}, {69.9, ""}, {70, "compliant"}, {79, "compliant"}, {80, "three-star"}, {89, "three-star"}, {90, "four-star"}, {94, "four-star"}, {95, "five-star"}, {100, "five-star"}, {100.5, ""}, {-1, ""}}
	for _, tt := range tests {
		l, fe := as.LevelFor(tt.score)
		if tt.level == "" {
			if fe == nil {
				t.Errorf("score %v: got level %s, want rejection", tt.score, l.Code)
			}
			continue
		}
		if fe != nil || l.Code != tt.level {
			t.Errorf("score %v: got %s %v, want %s", tt.score, l.Code, fe, tt.level)
		}
	}
	bb, _ := s.Schemes().Get("BB")
	if l, fe := bb.LevelFor(50); fe != nil || l.Code != "pass" {
		t.Errorf("pass/fail scheme: %v %v", l, fe)
	}
}

func TestStatusMoves(t *testing.T) {
	all := []registry.Status{registry.StatusValid, registry.StatusSuspended, registry.StatusRevoked, registry.StatusWithdrawn, registry.StatusExpired}
	allowed := map[[2]registry.Status]bool{
		{registry.StatusValid, registry.StatusSuspended}:     true,
		{registry.StatusSuspended, registry.StatusValid}:     true,
		{registry.StatusValid, registry.StatusRevoked}:       true,
		{registry.StatusValid, registry.StatusWithdrawn}:     true,
		{registry.StatusSuspended, registry.StatusRevoked}:   true,
		{registry.StatusSuspended, registry.StatusWithdrawn}: true,
	}
	for _, from := range all {
		for _, to := range all {
			if got := registry.CanMove(from, to); got != allowed[[2]registry.Status{from, to}] {
				t.Errorf("CanMove(%s, %s) = %v", from, to, got)
			}
		}
	}
}

func TestNormalizeNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"00114E22766R2L/3502", "00114E22766R2L/3502"},
		{" ＳＡＣ－２０２４－０１ ", "SAC-2024-01"},
		{"JSAC.2024.0001", "JSAC.2024.0001"},
		{"abc", ""}, {"a b c d", ""}, {"../etc", ""}, {"A/B/", ""}, {"证书0001", ""},
	}
	for _, tt := range tests {
		got, fe := registry.NormalizeNumber(tt.in)
		if tt.want == "" && fe == nil || tt.want != "" && got != tt.want {
			t.Errorf("NormalizeNumber(%q) = %q, %v; want %q", tt.in, got, fe, tt.want)
		}
	}
}

// The province table has the 34 provincial-level divisions, each with an
// English name, found by short or full name.
func TestProvinceNames(t *testing.T) {
	if n := registry.Provinces(); n != 34 {
		t.Errorf("%d provinces, want 34", n)
	}
	for stored, want := range map[string]string{"浙江": "Zhejiang", "浙江省": "Zhejiang", "内蒙古": "Inner Mongolia", "广西壮族自治区": "Guangxi", "香港": "Hong Kong", "陕西": "Shaanxi", "山西": "Shanxi", "火星": "火星"} {
		if got := registry.ProvinceName(stored, "en"); got != want {
			t.Errorf("ProvinceName(%q, en) = %q, want %q", stored, got, want)
		}
		if got := registry.ProvinceName(stored, "zh"); got != stored {
			t.Errorf("ProvinceName(%q, zh) = %q", stored, got)
		}
	}
}
