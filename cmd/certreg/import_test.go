package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/translog"
)

// TestImportCreatesRegistry imports a file into a registry that does not
// exist yet (the path CreateByImport takes), then logs its events and
// checks with `log verify` that every row matches its log entry, and that
// search finds the imported rows.
func TestImportCreatesRegistry(t *testing.T) {
	dir := t.TempDir()
	demoDB := filepath.Join(dir, "demo.db")
	if _, _, err := runCLI(t, "demo", "--db", demoDB); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, "export-data", "--db", demoDB, "--out", filepath.Join(dir, "open")); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "new", "registry.db")
	out, stderr, err := runCLI(t, "import", "--db", db, filepath.Join(dir, "open", "certificates.csv"))
	if err != nil || !strings.Contains(out, "3000 created") {
		t.Fatalf("import: %q %q %v", out, stderr, err)
	}
	if _, err := os.Stat(db + ".creating"); err == nil {
		t.Error("the unfinished file is still there")
	}
	s, err := registry.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	key := newLogKey(t)
	l, err := translog.New(s, "certreg.test/log", key.signer)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := l.Sequence(context.Background())
	if err != nil || cp.Size < 3000 {
		t.Fatalf("sequence: %+v %v", cp, err)
	}
	if out, err := runCmd("log", "verify", "--db", db, "--key", key.vkey); err != nil {
		t.Fatalf("log verify: %v\n%s", err, out)
	}
	for _, q := range []string{"电器", "宁波", "有限公司"} {
		res, err := s.Search(context.Background(), registry.Filter{Query: q})
		if err != nil || len(res.Certificates) == 0 || !strings.Contains(res.Certificates[0].HolderName, q) {
			t.Fatalf("search %s: %+v %v", q, res, err)
		}
	}
	// A second import into the registry, now existing, updates it.
	out, _, err = runCLI(t, "import", "--db", db, filepath.Join(dir, "open", "certificates.csv"))
	if err != nil || !strings.Contains(out, "3000 unchanged") {
		t.Fatalf("second import: %q %v", out, err)
	}
}
