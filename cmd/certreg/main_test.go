package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs certreg in-process with args and returns what it printed.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
	err = run(context.Background(), e, args)
	return out.String(), errOut.String(), err
}

func TestDemoExportImportBackup(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	if out, _, err := runCLI(t, "demo", "--db", db); err != nil || !strings.Contains(out, "loaded 3000 sample certificates") {
		t.Fatalf("demo: %q %v", out, err)
	}
	if _, _, err := runCLI(t, "demo", "--db", db); err == nil || !strings.Contains(err.Error(), "already holds certificates") {
		t.Fatalf("second demo: %v", err)
	}
	out, _, err := runCLI(t, "export-data", "--db", db, "--out", filepath.Join(dir, "open"))
	if err != nil || strings.Count(out, "wrote 3000 certificates") != 2 {
		t.Fatalf("export-data: %q %v", out, err)
	}
	db2 := filepath.Join(dir, "r2.db")
	out, stderr, err := runCLI(t, "import", "--db", db2, filepath.Join(dir, "open", "certificates.csv"))
	if err != nil || !strings.Contains(out, "3000 created, 0 updated, 0 unchanged") {
		t.Fatalf("import: %q %q %v", out, stderr, err)
	}
	out, _, err = runCLI(t, "import", "--db", db2, filepath.Join(dir, "open", "certificates.ndjson"))
	if err != nil || !strings.Contains(out, "0 created, 0 updated, 3000 unchanged") {
		t.Fatalf("re-import of NDJSON: %q %v", out, err)
	}
	backup := filepath.Join(dir, "backup")
	if out, _, err := runCLI(t, "backup", "--db", db2, backup); err != nil || !strings.Contains(out, "integrity_check: ok") {
		t.Fatalf("backup: %q %v", out, err)
	}
	if _, _, err := runCLI(t, "backup", "--db", db2, backup); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("backup over an existing file: %v", err)
	}
}

func TestImportBadFileWritesNothing(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("证书编号,获证组织名称,统一社会信用代码,省份,认证依据,评价得分,认证范围,发证日期,有效期至,认证机构批准号,认证机构名称\n"+
		"A-0001,甲公司,914403001922038216,浙江,AS,88,范围,2024-01-01,2027-01-01,CNCA-R-2002-001,某认证\n"+
		"A-0002,乙公司,914403001922038216,浙江,AS,65,范围,2024-01-01,2027-01-01,CNCA-R-2002-001,某认证\n"), 0o644)
	_, stderr, err := runCLI(t, "import", "--db", db, bad)
	if err == nil || !strings.Contains(stderr, "line 3: column \"评价得分\": score 65 is below 70") || !strings.Contains(stderr, "nothing imported") {
		t.Fatalf("err %v, stderr %q", err, stderr)
	}
	out, _, err := runCLI(t, "export-data", "--db", db, "--out", dir)
	if err != nil || !strings.Contains(out, "wrote 0 certificates") {
		t.Fatalf("registry not empty after a failed import: %q %v", out, err)
	}
}

func TestUsage(t *testing.T) {
	out, _, err := runCLI(t, "help")
	if err != nil || !strings.Contains(out, "import") || !strings.Contains(out, "export-data") {
		t.Fatalf("help: %q %v", out, err)
	}
	if _, _, err := runCLI(t, "frobnicate"); exitCode(err) != 2 {
		t.Fatalf("unknown subcommand: %v", err)
	}
	out, _, err = runCLI(t, "import", "--help")
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out, "-dry-run") {
		t.Fatalf("import --help: %q %v", out, err)
	}
	if _, _, err := runCLI(t, "import"); exitCode(err) != 2 {
		t.Fatalf("import without files: %v", err)
	}
}
