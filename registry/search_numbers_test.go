package registry_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
)

// likeParts is the definition of a part match (issue 11), read the slow
// way: the numbers holding part after their first character and not
// starting with it, in number order, up to one more than a page lists.
func likeParts(t *testing.T, db *sql.DB, part string) []string {
	t.Helper()
	rows, err := db.Query(`SELECT number FROM certificates WHERE number_key LIKE ? AND number_key NOT LIKE ? ORDER BY number_key LIMIT ?`,
		"_%"+part+"%", part+"%", registry.NumberMatchMax+1)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// checkParts asserts that the number search finds, for each part, what
// the definition finds: the same numbers in the same order, and More when
// there are more than a page.
func checkParts(t *testing.T, s *registry.Store, db *sql.DB, parts ...string) {
	t.Helper()
	for _, q := range parts {
		m, err := registry.FindNumbers(s, context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		want := likeParts(t, db, q)
		more := len(want) > registry.NumberMatchMax
		if more {
			want = want[:registry.NumberMatchMax]
		}
		if got := numbers(m.Part); got != strings.Join(want, " ") || more && !m.More {
			t.Errorf("%s: part %q more %v, want %q more %v", q, got, m.More, strings.Join(want, " "), more)
		}
	}
}

// The number-part index follows every write: a number is found by its
// part after an import, still found (once) after an update or a status
// change, and never found after an import that was rolled back or only
// tried; certificates cannot be deleted, so no deletion can leave it
// behind; and a stale or forged index entry never shows as a match.
func TestNumberPartIndexFollowsWrites(t *testing.T) {
	s := registrytest.Open(t)
	db := registrytest.RawDB(t, s)
	ctx := context.Background()
	registrytest.Put(t, s,
		registrytest.SampleInput("AS-2024-00067"),
		registrytest.SampleInput("CL-2024-100067"),
		registrytest.SampleInput("00067-X/1"),
		registrytest.SampleInput("BB-2025-00068"))
	find := func(q string) registry.NumberMatches {
		t.Helper()
		m, err := registry.FindNumbers(s, ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := find("00067"); numbers(m.Part) != "AS-2024-00067 CL-2024-100067" || numbers(m.Prefix) != "00067-X/1" || m.More {
		t.Errorf("after import: part %q prefix %q", numbers(m.Part), numbers(m.Prefix))
	}
	checkParts(t, s, db, "00067", "-2024-", "2024", "0006", "LT09", "ZZ99Q", "-X/1")

	up := registrytest.SampleInput("AS-2024-00067")
	up.HolderName, up.Score = "宁波改名电器有限公司", "91"
	registrytest.Put(t, s, up)
	registrytest.Move(t, s, "CL-2024-100067", registry.StatusSuspended)
	if m := find("00067"); numbers(m.Part) != "AS-2024-00067 CL-2024-100067" {
		t.Errorf("after update and suspension: part %q", numbers(m.Part))
	}
	if m := find("2024-00067"); numbers(m.Part) != "AS-2024-00067" || m.Part[0].HolderName != "宁波改名电器有限公司" {
		t.Errorf("after update: part %q", numbers(m.Part))
	}

	// An import with a bad row writes nothing; a dry run writes nothing.
	bad := registrytest.SampleInput("BAD-1")
	bad.IssueDate = "2024-13-45"
	_, err := s.PutCertificates(ctx, registrytest.CLI, []registry.Input{registrytest.SampleInput("NEW-00067"), bad}, registry.ImportOptions{CreateBodies: true})
	if err == nil {
		t.Fatal("import with a bad row succeeded")
	}
	if _, err := s.PutCertificates(ctx, registrytest.CLI, []registry.Input{registrytest.SampleInput("DRY-00067")}, registry.ImportOptions{CreateBodies: true, DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if m := find("00067"); numbers(m.Part) != "AS-2024-00067 CL-2024-100067" {
		t.Errorf("after a failed import and a dry run: part %q", numbers(m.Part))
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM number_fts WHERE number_fts MATCH '"00067"'`).Scan(&n); err != nil || n != 2 {
		t.Errorf("index holds %d entries for 00067 (%v), want 2: one per certificate", n, err)
	}

	if _, err := db.Exec(`DELETE FROM certificates WHERE number = 'AS-2024-00067'`); err == nil {
		t.Error("a certificate was deleted")
	}
	// A forged entry: the certificate's number does not hold ZZ99Q, and
	// the search checks each hit against the number itself.
	if _, err := db.Exec(`INSERT INTO number_fts(rowid, tail) SELECT id + 1000, 'S-ZZ99Q' FROM certificates WHERE number = 'AS-2024-00067'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM number_fts WHERE rowid = (SELECT id FROM certificates WHERE number = 'BB-2025-00068')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO number_fts(rowid, tail) SELECT id, 'B-ZZ99Q' FROM certificates WHERE number = 'BB-2025-00068'`); err != nil {
		t.Fatal(err)
	}
	if m := find("ZZ99Q"); len(m.All()) != 0 {
		t.Errorf("forged entries found %q", numbers(m.All()))
	}
}

// A registry made before the index gets it filled when it is opened.
func TestNumberPartMigrationFillsIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.db")
	s, err := registry.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	registrytest.Put(t, s, registrytest.SampleInput("AS-2024-00067"), registrytest.SampleInput("00067-X/1"))
	db := registrytest.RawDB(t, s)
	if _, err := db.Exec(`DROP TABLE number_fts; DELETE FROM schema_migrations WHERE name = 'migrations/0015_number_trigram.sql'`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = registry.Open(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m, err := registry.FindNumbers(s, context.Background(), "00067")
	if err != nil {
		t.Fatal(err)
	}
	if numbers(m.Part) != "AS-2024-00067" || numbers(m.Prefix) != "00067-X/1" {
		t.Errorf("after migration: part %q prefix %q", numbers(m.Part), numbers(m.Prefix))
	}
}

// A part more numbers hold than the index's candidates are read for
// lists the same first page, in number order, with More; so does a part
// with more matches than a page but fewer than that bound.
func TestNumberPartCommonAndRare(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 1,050 certificates")
	}
	s := registrytest.Open(t)
	var ins []registry.Input
	for i := range 1050 {
		// Numbers not in id order, so that the index's order (ids) is not
		// the page's (numbers).
		n := fmt.Sprintf("N%04d-2024", (i*389)%1050)
		if i%40 == 0 {
			n += "-RARE7"
		}
		ins = append(ins, registrytest.SampleInput(n))
	}
	ins = append(ins, registrytest.SampleInput("2024-FIRST"), registrytest.SampleInput("RARE7-FIRST"))
	registrytest.Put(t, s, ins...)
	checkParts(t, s, registrytest.RawDB(t, s), "2024", "-2024", "RARE7", "0001", "N000")
	m, err := registry.FindNumbers(s, context.Background(), "2024")
	if err != nil {
		t.Fatal(err)
	}
	if !m.More || len(m.Part) != registry.NumberMatchMax || m.Part[0].Number != "N0000-2024-RARE7" {
		t.Errorf("common part: %d listed, more %v, first %q", len(m.Part), m.More, numbers(m.Part[:1]))
	}
}

// When a common part's first matches lie beyond the window of the number
// index that is read, the list is still only of matches, in number order,
// begins with the window's matches, and says More.
func TestNumberPartBeyondWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 1,050 certificates")
	}
	s := registrytest.Open(t)
	var ins []registry.Input
	for i := range 1050 {
		ins = append(ins, registrytest.SampleInput(fmt.Sprintf("N%04d-2024", (i*389)%1050)))
	}
	registrytest.Put(t, s, ins...)
	want := likeParts(t, registrytest.RawDB(t, s), "2024")
	registry.SetPartWindow(t, 10)
	m, err := registry.FindNumbers(s, context.Background(), "2024")
	if err != nil {
		t.Fatal(err)
	}
	if !m.More || len(m.Part) != registry.NumberMatchMax || numbers(m.Part[:10]) != strings.Join(want[:10], " ") {
		t.Errorf("%d listed, more %v, first %q, want first %q", len(m.Part), m.More, numbers(m.Part[:10]), strings.Join(want[:10], " "))
	}
	for i, c := range m.Part {
		if !strings.Contains(c.Number[1:], "2024") || strings.HasPrefix(c.Number, "2024") || i > 0 && c.Number <= m.Part[i-1].Number {
			t.Errorf("result %d %s out of place", i, c.Number)
		}
	}
}
