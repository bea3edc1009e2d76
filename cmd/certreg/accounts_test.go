package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certreg/certreg/accounts"
	"github.com/certreg/certreg/registry"
)

// runCLIWithStdin runs certreg with stdin.
func runCLIWithStdin(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, getenv: func(k string) string {
		if k == "USER" {
			return "tester"
		}
		return ""
	}}
	err = run(context.Background(), e, args)
	return out.String(), errOut.String(), err
}

func TestBodyUserAPIKeyCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	const pw = "operator-Pass-2026!"
	must := func(stdin string, args ...string) string {
		t.Helper()
		out, errOut, err := runCLIWithStdin(t, stdin, args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errOut)
		}
		return out
	}
	// No password, no account: there is no default.
	if _, _, err := runCLIWithStdin(t, "", "user", "add", "--db", db, "--role", "operator", "root"); err == nil {
		t.Fatal("user add without a password on stdin succeeded")
	}
	if _, _, err := runCLIWithStdin(t, "short\n", "user", "add", "--db", db, "--role", "operator", "root"); err == nil || !strings.Contains(err.Error(), "at least 12") {
		t.Fatalf("short password: %v", err)
	}
	must(pw+"\n", "user", "add", "--db", db, "--role", "operator", "root")
	must("", "body", "add", "--db", db, "--approval", "CNCA-R-2002-001", "--name", "甲认证中心")
	if out := must("", "body", "list", "--db", db); !strings.Contains(out, "CNCA-R-2002-001  active") {
		t.Fatalf("body list: %q", out)
	}
	must("publisher-Pass-2026\n", "user", "add", "--db", db, "--role", "publisher", "--body", "CNCA-R-2002-001", "alice")
	if out := must("", "user", "list", "--db", db); !strings.Contains(out, "alice") || !strings.Contains(out, "CNCA-R-2002-001") {
		t.Fatalf("user list: %q", out)
	}
	key := strings.TrimSpace(must("", "apikey", "create", "--db", db, "--body", "CNCA-R-2002-001", "--name", "ERP", "--days", "30"))
	if !strings.HasPrefix(key, accounts.APIKeyPrefix) {
		t.Fatalf("apikey create printed %q", key)
	}
	out := must("", "apikey", "list", "--db", db)
	if !strings.Contains(out, "live") || strings.Contains(out, key) {
		t.Fatalf("apikey list shows the key or no live key: %q", out)
	}
	must("", "apikey", "revoke", "--db", db, "1")
	if out := must("", "apikey", "list", "--db", db); !strings.Contains(out, "revoked") {
		t.Fatalf("after revoke: %q", out)
	}
	must("another-Pass-2026\n", "user", "reset-password", "--db", db, "alice")
	must("", "user", "disable", "--db", db, "alice")
	must("", "body", "disable", "--db", db, "CNCA-R-2002-001")

	out = must("", "audit", "--db", db, "--kind", "user.", "--actor", "tester")
	if !strings.Contains(out, "user.created") || !strings.Contains(out, "user.disabled") || strings.Contains(out, "apikey.created") {
		t.Fatalf("audit --kind user.: %q", out)
	}
	if out := must("", "audit", "--db", db, "--body", "CNCA-R-2002-001", "--source", "cli"); !strings.Contains(out, "body.disabled") {
		t.Fatalf("audit --body: %q", out)
	}
	s, err := registry.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, _, err := accounts.New(s).Login(context.Background(), "root", pw, "", "127.0.0.1"); err != nil {
		t.Fatalf("the operator made by the CLI cannot sign in: %v", err)
	}
	evs, _ := s.AuditEvents(context.Background(), registry.AuditFilter{Actor: "tester"})
	kinds := map[string]bool{}
	for _, e := range evs {
		kinds[e.Kind] = e.Source == "cli"
	}
	for _, k := range []string{"user.created", "body.created", "apikey.created", "apikey.revoked", "user.password", "user.disabled", "body.disabled"} {
		if !kinds[k] {
			t.Errorf("no %s event by tester from the cli: %v", k, kinds)
		}
	}
	s.Close()
	b, _ := os.ReadFile(db)
	wal, _ := os.ReadFile(db + "-wal")
	for _, secret := range []string{pw, "publisher-Pass-2026", "another-Pass-2026", key} {
		if bytes.Contains(b, []byte(secret)) || bytes.Contains(wal, []byte(secret)) {
			t.Errorf("the database holds %q in the clear", secret)
		}
	}
}
