package fileformat_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/certreg/certreg/fileformat"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
)

func TestSpreadsheetCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"宁波某某电器有限公司", "宁波某某电器有限公司"},
		{"=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"},
		{"+86 574 1234", "'+86 574 1234"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"'=1", "''=1"},   // an apostrophe the holder typed survives the round trip
		{"''+1", "'''+1"}, // and so do two
		{"'plain", "'plain"},
		{"a=b", "a=b"},
	} {
		if got := fileformat.SpreadsheetCell(tc.in); got != tc.want {
			t.Errorf("SpreadsheetCell(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if back := fileformat.PlainCell(fileformat.SpreadsheetCell(tc.in)); back != tc.in {
			t.Errorf("PlainCell(SpreadsheetCell(%q)) = %q", tc.in, back)
		}
	}
}

// TestCSVNeutralisesFormulas writes certificates whose holder, scope and
// address begin with formula characters: in the CSV every such cell starts
// with an apostrophe, and the CSV imports back to exactly the same records.
func TestCSVNeutralisesFormulas(t *testing.T) {
	ctx := context.Background()
	src := registrytest.Open(t)
	hostile := []struct{ holder, scope, address string }{
		{"=HYPERLINK(\"http://evil.example/\",\"点击\")", "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0"},
		{"-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"},
		{"'=already quoted", "普通范围", "宁波市"},
	}
	for i, h := range hostile {
		in := registrytest.SampleInput("CR-FORMULA-" + string(rune('1'+i)))
		in.HolderName, in.Scope, in.HolderAddress = h.holder, h.scope, h.address
		registrytest.Put(t, src, in)
	}
	var out bytes.Buffer
	if _, err := fileformat.WriteCSV(ctx, src, &out, 0); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(out.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	cells := 0
	for _, rec := range recs[1:] {
		for _, c := range rec {
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				t.Errorf("cell %q would run as a formula", c)
			}
			if strings.HasPrefix(c, "'") {
				cells++
			}
		}
	}
	if cells < 7 {
		t.Errorf("%d neutralised cells, want at least 7:\n%s", cells, out.String())
	}
	var want, again bytes.Buffer
	if _, err := fileformat.WriteNDJSON(ctx, src, &want, 0); err != nil {
		t.Fatal(err)
	}
	dst := registrytest.Open(t)
	if _, err := importString(t, dst, out.String(), registry.ImportOptions{CreateBodies: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := fileformat.WriteNDJSON(ctx, dst, &again, 0); err != nil {
		t.Fatal(err)
	}
	if again.String() != want.String() {
		t.Errorf("the CSV did not import back unchanged:\nwant %s\ngot  %s", want.String(), again.String())
	}
}
