package registry_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/certreg/certreg/demo"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
)

// syntheticSource is n demo rows numbered by line, with change applied to
// each before it is returned.
func syntheticSource(n int, change func(line int, in *registry.Input)) func() (registry.Input, error) {
	next := demo.SyntheticRows(registry.Today(registrytest.Now), n)
	line := 1 // the header
	return func() (registry.Input, error) {
		in, err := next()
		if err != nil {
			return in, err
		}
		line++
		in.Line = line
		if change != nil {
			change(line, &in)
		}
		return in, nil
	}
}

// dump is every row of the tables an import writes, in id order, as text.
func dump(t *testing.T, db string) map[string][]string {
	t.Helper()
	s, err := registry.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out := map[string][]string{}
	for _, table := range []string{"certificates", "events", "bodies"} {
		rows, err := s.DB().Query(`SELECT * FROM ` + table + ` ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out[table] = append(out[table], fmt.Sprint(vals...))
		}
		rows.Close()
	}
	return out
}

// TestCreateByImportMatchesImport creates a registry by its first import
// and checks that it holds exactly what Import writes into an empty
// registry (every column of every certificate, event and body: the same
// history and snapshots), that the new file is an ordinary registry
// (WAL once opened, indexes present, integrity_check ok), that search
// finds its rows, and that nothing is left beside it.
func TestCreateByImportMatchesImport(t *testing.T) {
	const n = 3000
	registry.SetCreateClock(t, func() time.Time { return registrytest.Now })
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref.db")
	s, err := registry.Open(ref)
	if err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return registrytest.Now }
	want, err := s.Import(context.Background(), registrytest.CLI, syntheticSource(n, nil), registry.ImportOptions{CreateBodies: true})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}

	created := filepath.Join(dir, "created.db")
	got, err := registry.CreateByImport(context.Background(), created, registrytest.CLI, syntheticSource(n, nil), registry.ImportOptions{CreateBodies: true})
	if err != nil {
		t.Fatal(err)
	}
	if got.Created != n || got.Created != want.Created || len(got.Warnings) != len(want.Warnings) {
		t.Fatalf("created %d with %d warnings, want %d with %d", got.Created, len(got.Warnings), want.Created, len(want.Warnings))
	}
	a, b := dump(t, ref), dump(t, created)
	for _, table := range []string{"certificates", "events", "bodies"} {
		if len(a[table]) == 0 || len(a[table]) != len(b[table]) {
			t.Fatalf("%s: %d rows created, want %d", table, len(b[table]), len(a[table]))
		}
		for i := range a[table] {
			if a[table][i] != b[table][i] {
				t.Fatalf("%s row %d:\n got %s\nwant %s", table, i+1, b[table][i], a[table][i])
			}
		}
	}
	if _, err := os.Stat(created + ".creating"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the unfinished file is still there: %v", err)
	}

	s, err = registry.Open(created)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var mode, check string
	s.DB().QueryRow(`PRAGMA journal_mode`).Scan(&mode)
	s.DB().QueryRow(`PRAGMA integrity_check`).Scan(&check)
	if mode != "wal" || check != "ok" {
		t.Errorf("journal mode %q, integrity_check %q", mode, check)
	}
	for _, fts := range []string{"holder_fts", "holder_bigram_fts", "number_fts"} {
		if _, err := s.DB().Exec(`INSERT INTO ` + fts + `(` + fts + `) VALUES ('integrity-check')`); err != nil {
			t.Errorf("%s: %v", fts, err)
		}
	}
	var indexes int
	s.DB().QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'certificates' AND sql IS NOT NULL`).Scan(&indexes)
	if indexes < 10 {
		t.Errorf("%d indexes on certificates after the import", indexes)
	}
	// Search finds the rows, as it finds them in the registry Import made.
	ref2, err := registry.Open(ref)
	if err != nil {
		t.Fatal(err)
	}
	defer ref2.Close()
	var name, number string
	s.DB().QueryRow(`SELECT holder_name, number FROM certificates WHERE id = 1234`).Scan(&name, &number)
	for _, q := range []string{string([]rune(name)[:6]), number, string([]rune(name)[:3]), string([]rune(name)[:2])} {
		res, err := s.Search(context.Background(), registry.Filter{Query: q})
		if err != nil {
			t.Fatal(err)
		}
		res2, err := ref2.Search(context.Background(), registry.Filter{Query: q})
		if err != nil {
			t.Fatal(err)
		}
		page := func(r *registry.SearchResult) (out []string) {
			for _, c := range append(r.Exact, r.Certificates...) {
				out = append(out, c.Number)
			}
			return out
		}
		if got, want := page(res), page(res2); len(got) == 0 || res.Total != res2.Total || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("search %q: %d found, %v; Import's registry: %d, %v", q, res.Total, got, res2.Total, want)
		}
	}
	// The new registry takes ordinary writes afterwards.
	if res, err := s.PutCertificates(context.Background(), registrytest.CLI, []registry.Input{registrytest.SampleInput("SAC-2024-0001")}, registry.ImportOptions{CreateBodies: true}); err != nil || res.Created != 1 {
		t.Fatalf("a write after the import: %+v %v", res, err)
	}
}

// TestCreateByImportBadRowWritesNothing: a bad row in the middle of the
// file (and one near the end) is reported with its line, as Import
// reports it, and no registry is created.
func TestCreateByImportBadRowWritesNothing(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	bad := func(line int, in *registry.Input) {
		switch line {
		case 1500:
			in.Score = "65"
		case 2900:
			in.IssueDate = "2024-13-01"
		}
	}
	_, err := registry.CreateByImport(context.Background(), db, registrytest.CLI, syntheticSource(3000, bad), registry.ImportOptions{CreateBodies: true})
	var ie *registry.ImportError
	if !errors.As(err, &ie) || ie.Total != 2 || ie.Rows != 3000 || ie.Errors[0].Line != 1500 || ie.Errors[1].Line != 2900 {
		t.Fatalf("got %v", err)
	}
	// The same file through Import reports the same problems.
	s := registrytest.Open(t)
	_, err2 := s.Import(context.Background(), registrytest.CLI, syntheticSource(3000, bad), registry.ImportOptions{CreateBodies: true})
	if err2 == nil || err2.Error() != err.Error() {
		t.Fatalf("CreateByImport says\n%v\nImport says\n%v", err, err2)
	}
	for _, p := range []string{db, db + ".creating", db + "-wal", db + "-journal"} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s exists after a failed import (%v)", filepath.Base(p), err)
		}
	}
}

// TestCreateByImportLeavesOthersFiles: an existing registry is never
// replaced, whether it was there before (even empty) or appeared while
// the import ran (a server started on the path); and a second import of
// the same path while one runs is refused.
func TestCreateByImportLeavesOthersFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.db")
	os.WriteFile(existing, []byte("someone's file"), 0o644)
	if _, err := registry.CreateByImport(ctx, existing, registrytest.CLI, syntheticSource(10, nil), registry.ImportOptions{CreateBodies: true}); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("import over an existing file: %v", err)
	}

	raced := filepath.Join(dir, "raced.db")
	registry.SetBeforeLink(t, func(string) error {
		return os.WriteFile(raced, []byte("created meanwhile"), 0o644)
	})
	if _, err := registry.CreateByImport(ctx, raced, registrytest.CLI, syntheticSource(10, nil), registry.ImportOptions{CreateBodies: true}); err == nil || !strings.Contains(err.Error(), "appeared while importing") {
		t.Fatalf("import racing another file: %v", err)
	}
	for p, want := range map[string]string{existing: "someone's file", raced: "created meanwhile"} {
		if b, _ := os.ReadFile(p); string(b) != want {
			t.Errorf("%s now holds %d bytes, want %q", filepath.Base(p), len(b), want)
		}
	}
	if _, err := os.Stat(raced + ".creating"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the unfinished file is still there: %v", err)
	}

	busy := filepath.Join(dir, "busy.db")
	f, err := os.Create(busy + ".creating")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	registry.SetBeforeLink(t, nil)
	if _, err := registry.CreateByImport(ctx, busy, registrytest.CLI, syntheticSource(10, nil), registry.ImportOptions{CreateBodies: true}); err == nil || !strings.Contains(err.Error(), "another import is creating") {
		t.Fatalf("second import of one path: %v", err)
	}
	if _, err := os.Stat(busy); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the second import created the registry: %v", err)
	}
}

// TestCreateByImportCrashBeforeLink kills an import (a child process
// that exits at once) when its registry is complete but not yet named:
// no registry exists afterwards, the unfinished file is there, and the
// next import of the path removes it and creates the registry.
func TestCreateByImportCrashBeforeLink(t *testing.T) {
	if db := os.Getenv("CERTREG_TEST_CRASH_DB"); db != "" {
		registry.SetBeforeLink(t, func(string) error { os.Exit(3); return nil })
		registry.CreateByImport(context.Background(), db, registrytest.CLI, syntheticSource(500, nil), registry.ImportOptions{CreateBodies: true})
		t.Fatal("the import was not interrupted")
	}
	db := filepath.Join(t.TempDir(), "r.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCreateByImportCrashBeforeLink$")
	cmd.Env = append(os.Environ(), "CERTREG_TEST_CRASH_DB="+db)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a crashed import left a registry: %v", err)
	}
	if fi, err := os.Stat(db + ".creating"); err != nil || fi.Size() == 0 {
		t.Fatalf("the crashed import's file: %v", err)
	}
	res, err := registry.CreateByImport(context.Background(), db, registrytest.CLI, syntheticSource(200, nil), registry.ImportOptions{CreateBodies: true})
	if err != nil || res.Created != 200 {
		t.Fatalf("import after the crash: %+v %v", res, err)
	}
	if _, err := os.Stat(db + ".creating"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the crashed import's file is still there: %v", err)
	}
	s, err := registry.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var certs, events int
	s.DB().QueryRow(`SELECT count(*) FROM certificates`).Scan(&certs)
	s.DB().QueryRow(`SELECT count(*) FROM events WHERE certificate_id IS NOT NULL AND kind = 'issued'`).Scan(&events)
	if certs != 200 || events != 200 {
		t.Fatalf("%d certificates and %d issue events, want 200 of each (nothing of the crashed import)", certs, events)
	}
}
