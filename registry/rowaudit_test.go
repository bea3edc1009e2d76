package registry_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"

	"github.com/certreg/certreg/demo"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
)

// TestSnapshotNamesRegisteredBody imports a row that names only the body's
// approval number (and one that misspells its name): each event's record
// names the body as registered, which is what the pages show, so the row
// passes its integrity check.
func TestSnapshotNamesRegisteredBody(t *testing.T) {
	s := registrytest.Open(t)
	ctx := context.Background()
	registrytest.Put(t, s, registrytest.SampleInput("SAC-1"))
	only, typo := registrytest.SampleInput("SAC-2"), registrytest.SampleInput("SAC-3")
	only.BodyName, typo.BodyName = "", "示例认证中心（错字）"
	registrytest.Put(t, s, only, typo)
	for _, n := range []string{"SAC-1", "SAC-2", "SAC-3"} {
		c, err := s.Certificate(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		var snap string
		if err := registrytest.RawDB(t, s).QueryRow(`SELECT snapshot FROM events WHERE certificate_id = ? ORDER BY id DESC LIMIT 1`, c.ID).Scan(&snap); err != nil {
			t.Fatal(err)
		}
		var r registry.Record
		if err := json.Unmarshal([]byte(snap), &r); err != nil || r.BodyName != "示例认证中心" {
			t.Errorf("%s: snapshot names body %q (%v)", n, r.BodyName, err)
		}
		if m, err := s.CheckRow(ctx, c); m != nil || err != nil {
			t.Errorf("%s: integrity check %+v %v", n, m, err)
		}
	}
}

func TestRecordDiff(t *testing.T) {
	score := 96.0
	logged := registry.Record{Number: "A-1", HolderName: "甲", Scheme: "AS", Level: "five-star", Score: &score, Status: "suspended", BodyApproval: "CNCA-R-2002-001", BodyName: "示例认证中心"}
	lb, _ := json.Marshal(logged)
	shown := logged
	if f := registry.RecordDiff(lb, string(lb)); f != nil {
		t.Fatalf("same record: %q", f)
	}
	raised := 99.0
	shown.Score, shown.Status, shown.BodyName = &raised, "valid", "别的机构"
	sb, _ := json.Marshal(shown)
	if f := registry.RecordDiff(sb, string(lb)); !slices.Equal(f, []string{"score", "body_name", "status"}) {
		t.Errorf("diff %q, want score, body_name, status (the record's order)", f)
	}
	// Spacing and key order of an older encoder are no difference.
	var m map[string]any
	json.Unmarshal(lb, &m)
	indented, _ := json.MarshalIndent(m, "", "  ")
	if f := registry.RecordDiff(lb, string(indented)); f != nil {
		t.Errorf("re-encoded snapshot: %q", f)
	}
	// A snapshot that left the body's name out (older imports) is
	// compared on the approval number alone.
	old := logged
	old.BodyName = ""
	ob, _ := json.Marshal(old)
	if f := registry.RecordDiff(lb, string(ob)); f != nil {
		t.Errorf("snapshot without body name: %q", f)
	}
	if f := registry.RecordDiff(lb, "not json"); !slices.Equal(f, []string{"record"}) {
		t.Errorf("broken snapshot: %q", f)
	}
}

// BenchmarkCheckRow compares reading a certificate with reading it and
// checking its row against its latest event (what serve does before every
// certificate page, API record and verdict), in a registry of 100,000.
func BenchmarkCheckRow(b *testing.B) {
	s, err := registry.Open(filepath.Join(b.TempDir(), "r.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := demo.LoadSynthetic(ctx, s, 100_000); err != nil {
		b.Fatal(err)
	}
	var numbers []string
	rows, _ := s.DB().Query(`SELECT number FROM certificates ORDER BY random() LIMIT 1000`)
	for rows.Next() {
		var n string
		rows.Scan(&n)
		numbers = append(numbers, n)
	}
	rows.Close()
	b.Run("lookup", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := s.Certificate(ctx, numbers[i%len(numbers)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("lookup+check", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			c, err := s.Certificate(ctx, numbers[i%len(numbers)])
			if err != nil {
				b.Fatal(err)
			}
			if m, err := s.CheckRow(ctx, c); m != nil || err != nil {
				b.Fatal(m, err)
			}
		}
	})
}
