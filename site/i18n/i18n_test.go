package i18n

import (
	"strings"
	"testing"
	"time"
)

// Every message exists in both languages (Register refuses otherwise) and
// the two take the same format arguments, so that a translation cannot drop
// or add a value.
func TestCatalogueBothLanguages(t *testing.T) {
	if len(Keys()) < 20 {
		t.Fatalf("catalogue has only %d keys", len(Keys()))
	}
	for _, k := range Keys() {
		m, _ := Lookup(k)
		if strings.TrimSpace(m.ZH) == "" || strings.TrimSpace(m.EN) == "" {
			t.Errorf("%s: empty in one language: %+v", k, m)
		}
		if vz, ve := verbs(m.ZH), verbs(m.EN); vz != ve {
			t.Errorf("%s: format verbs differ: zh %q, en %q", k, vz, ve)
		}
	}
}

// verbs returns the fmt verbs of s in order, without explicit indexes.
func verbs(s string) string {
	var out []string
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+1 >= len(s) {
			continue
		}
		if s[i+1] == '%' {
			i++
			continue
		}
		out = append(out, s[i+1:i+2])
	}
	return strings.Join(out, ",")
}

func TestMergeRejectsHalfMessages(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("merge accepted a message without English")
		}
	}()
	merge(map[string]Msg{"test.half": {ZH: "只有中文"}})
}

func TestMissingKeyIsVisible(t *testing.T) {
	if got := ZH.T("no.such.key"); got != "[no.such.key]" {
		t.Fatalf("missing key shows as %q", got)
	}
}

func TestDates(t *testing.T) {
	d := time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		l    Lang
		want string
	}{{ZH, "2024年3月5日"}, {EN, "2024-03-05"}} {
		if got := tc.l.Date(d); got != tc.want {
			t.Errorf("%s: Date = %q, want %q", tc.l, got, tc.want)
		}
	}
	if ZH.Date(time.Time{}) != "—" {
		t.Error("zero date not shown as a dash")
	}
	// 23:30 UTC is already the next day in Beijing.
	at := time.Date(2024, 3, 5, 23, 30, 0, 0, time.UTC)
	if got := ZH.DateTime(at); got != "2024年3月6日 07:30（北京时间）" {
		t.Errorf("zh DateTime = %q", got)
	}
	if got := EN.DateTime(at); got != "2024-03-06 07:30 (UTC+8)" {
		t.Errorf("en DateTime = %q", got)
	}
}

func TestPathsAndNumbers(t *testing.T) {
	for _, tc := range []struct {
		in   string
		lang Lang
		rest string
	}{{"/", ZH, "/"}, {"/en/", EN, "/"}, {"/en", EN, "/"}, {"/en/certificates", EN, "/certificates"}, {"/certificates", ZH, "/certificates"}, {"/english", ZH, "/english"}} {
		l, rest := Split(tc.in)
		if l != tc.lang || rest != tc.rest {
			t.Errorf("Split(%q) = %s %q", tc.in, l, rest)
		}
		if back := l.Path(rest); tc.in != "/en" && back != tc.in {
			t.Errorf("Path(Split(%q)) = %q", tc.in, back)
		}
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1000: "-1,000"} {
		if got := EN.Int(n); got != want {
			t.Errorf("Int(%d) = %q", n, got)
		}
	}
}
