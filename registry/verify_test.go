package registry_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/certreg/certreg/demo"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
	"github.com/certreg/certreg/site/i18n"
)

func TestVerifyManual(t *testing.T) {
	ctx := context.Background()
	s := registrytest.Open(t)
	registrytest.Put(t, s, registrytest.SampleInput("AS-1"))
	in2 := registrytest.SampleInput("AS-2")
	in2.HolderName = "宁波示例电器（宁波）有限公司"
	registrytest.Put(t, s, in2)
	for _, tc := range []struct {
		number, holder string
		want           registry.Verdict
	}{
		{"AS-1", "宁波示例电器有限公司", registry.VerdictValid},
		{"as-1", " 宁波示例电器 有限公司 ", registry.VerdictValid},
		{"AS-1", "914403001922038216", registry.VerdictValid},
		{"AS-1", "９１４４０３００１９２２０３８２１６", registry.VerdictValid},
		{"AS-1", "宁波示例电器有限公", registry.VerdictMismatch},
		{"AS-1", "91440300708461136T", registry.VerdictMismatch},
		{"AS-9", "宁波示例电器有限公司", registry.VerdictNotRegistered},
	} {
		v, err := s.VerifyManual(ctx, tc.number, tc.holder)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.number, tc.holder, err)
		}
		if v.Verdict != tc.want {
			t.Errorf("%s + %q: %s, want %s", tc.number, tc.holder, v.Verdict, tc.want)
		}
		if v.Verdict == registry.VerdictMismatch && (v.Live != nil || v.Certificate != nil || v.Note != nil && strings.Contains(i18n.ZH.Render(v.Note)+i18n.EN.Render(v.Note), "示例")) {
			t.Errorf("mismatch leaks the record: %+v", v)
		}
	}
	// The number alone: its verdict, and a note that the holder was not
	// checked.
	v, err := s.VerifyManual(ctx, "as-1", "  ")
	if err != nil || v.Live == nil || v.Note == nil || v.Note.Key != "registry.holder_not_checked" {
		t.Errorf("number alone: %+v %v", v, err)
	}
	for _, tc := range [][2]string{{"", "x"}, {"A<script>", "x"}, {strings.Repeat("A", 41), "x"}, {"AS-1", strings.Repeat("名", 900)}} {
		if _, err := s.VerifyManual(ctx, tc[0], tc[1]); registry.ErrorCode(err) != registry.EINVALID {
			t.Errorf("VerifyManual(%q, %q): %v, want EINVALID", tc[0], tc[1], err)
		}
	}
}

func TestVerifyBatch(t *testing.T) {
	ctx := context.Background()
	s := registrytest.Open(t)
	if _, err := demo.Load(ctx, s); err != nil {
		t.Fatal(err)
	}
	rows, err := s.DB().QueryContext(ctx, `SELECT number, holder_credit_code FROM certificates ORDER BY id LIMIT 990`)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	text.WriteString("证书编号,统一社会信用代码\n")
	want := map[int]registry.Verdict{}
	line := 1
	for rows.Next() {
		var n, cc string
		rows.Scan(&n, &cc)
		line++
		if line%7 == 0 {
			fmt.Fprintf(&text, "%s,91440300708461136T\n", strings.ToLower(n)) // wrong holder
			want[line] = registry.VerdictMismatch
		} else if line%2 == 0 {
			fmt.Fprintf(&text, "%s\t%s\n", n, cc)
		} else {
			fmt.Fprintf(&text, "%s\n", n)
		}
	}
	rows.Close()
	for i := 0; i < 8; i++ {
		line++
		fmt.Fprintf(&text, "NOPE-%04d\n", i)
		want[line] = registry.VerdictNotRegistered
	}
	line++
	text.WriteString("<bad number>\n")
	want[line] = registry.VerdictNotRegistered
	lines, err := registry.ParseBatch(text.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 999 {
		t.Fatalf("parsed %d lines, want 999", len(lines))
	}
	res, err := s.VerifyBatch(ctx, lines)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[registry.Verdict]int{}
	for _, r := range res {
		counts[r.Verdict]++
		if w, ok := want[r.Line]; ok && r.Verdict != w {
			t.Errorf("line %d (%s): %s, want %s", r.Line, r.Input, r.Verdict, w)
		}
		if _, ok := want[r.Line]; !ok {
			// Check against the single lookup.
			c, err := s.Certificate(ctx, r.Input)
			if err != nil {
				t.Fatal(err)
			}
			if st := c.EffectiveStatus(s.Now()); string(st) != string(r.Verdict) {
				t.Errorf("line %d: %s, certificate status %s", r.Line, r.Verdict, st)
			}
		}
	}
	for _, v := range []registry.Verdict{registry.VerdictValid, registry.VerdictExpired, registry.VerdictMismatch, registry.VerdictNotRegistered, registry.VerdictRevoked} {
		if counts[v] == 0 {
			t.Errorf("no %s in the batch: %v", v, counts)
		}
	}
	t.Logf("verdicts: %v", counts)

	if _, err := registry.ParseBatch(strings.Repeat("AS-1\n", 1001)); registry.ErrorCode(err) != registry.EINVALID {
		t.Errorf("1001 lines: %v, want EINVALID", err)
	}
	if _, err := registry.ParseBatch("\n \n"); registry.ErrorCode(err) != registry.EINVALID {
		t.Errorf("empty batch: %v, want EINVALID", err)
	}
}
