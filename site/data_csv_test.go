package site

import (
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/certreg/certreg/registry"
)

// TestOpenDataCSVNeutralisesFormulas: a holder named like a formula shows
// as text when /data/certificates.csv is opened in a spreadsheet, while
// the NDJSON keeps the name exactly.
func TestOpenDataCSVNeutralisesFormulas(t *testing.T) {
	f := newPublishFixture(t)
	in := certInput("A-2025-0900", approvalA)
	in.HolderName = `=HYPERLINK("http://evil.example/","宁波示例")`
	in.Scope = "@SUM(1+1)"
	if _, err := f.store.PutCertificates(context.Background(), registry.Actor{Name: "setup", Source: "cli"}, []registry.Input{in}, registry.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	r := get(t, f.ts, "/data/certificates.csv")
	recs, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil || r.status != 200 {
		t.Fatalf("%d %v", r.status, err)
	}
	found := 0
	for _, rec := range recs[1:] {
		for _, c := range rec {
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				t.Errorf("cell %q would run as a formula", c)
			}
			if c == "'"+in.HolderName || c == "'"+in.Scope {
				found++
			}
		}
	}
	if found != 2 {
		t.Errorf("%d neutralised cells found, want 2:\n%s", found, r.body)
	}
	nd := get(t, f.ts, "/data/certificates.ndjson")
	if !strings.Contains(nd.body, `"holder_name":"=HYPERLINK(\"http://evil.example/\",\"宁波示例\")"`) {
		t.Errorf("the NDJSON does not keep the exact name:\n%s", nd.body)
	}
}
