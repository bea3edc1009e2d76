package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
)

func TestKeysQRAndOfflineVerify(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	if _, _, err := runCLI(t, "demo", "--db", db); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, "keys", "--db", db); err == nil || !strings.Contains(err.Error(), "keys create") {
		t.Fatalf("keys show before create: %v", err)
	}
	out, _, err := runCLI(t, "keys", "--db", db, "create")
	if err != nil || !strings.Contains(out, "created signing key") {
		t.Fatalf("keys create: %q %v", out, err)
	}
	fi, err := os.Stat(filepath.Join(dir, "keys", "keys.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}

	// A certificate's QR code, as PNG.
	store, err := registry.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	var number, name, code string
	registrytest.RawDB(t, store).QueryRow(`SELECT number, holder_name, holder_credit_code FROM certificates WHERE status = 'valid' AND expiry_date > '2027-06-01' LIMIT 1`).Scan(&number, &name, &code)
	c, err := store.Certificate(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := json.Marshal(c.Record(store.Schemes()))
	store.Close()
	png := filepath.Join(dir, "qr.png")
	out, _, err = runCLI(t, "qr", "--db", db, "--base-url", "https://certreg.example.cn", "--png", png, "--svg", filepath.Join(dir, "qr.svg"), number)
	if err != nil {
		t.Fatal(err)
	}
	url := strings.TrimSpace(out)
	if !strings.HasPrefix(url, "HTTPS://CERTREG.EXAMPLE.CN/V/") {
		t.Fatalf("qr printed %q", out)
	}

	// The published key set, then a rotation: the old QR code still verifies.
	pub, _, err := runCLI(t, "keys", "--db", db, "public")
	if err != nil || strings.Contains(pub, "private") {
		t.Fatalf("keys public: %q %v", pub, err)
	}
	if out, _, err := runCLI(t, "keys", "--db", db, "rotate"); err != nil || !strings.Contains(out, "retired") {
		t.Fatalf("rotate: %q %v", out, err)
	}
	pub, _, _ = runCLI(t, "keys", "--db", db, "public")
	keySet := filepath.Join(dir, "certreg-keys.json")
	os.WriteFile(keySet, []byte(pub), 0o644)

	printed := []string{"--holder-name", name, "--credit-code", code, "--scheme", "GB/T 27922-2011",
		"--level", levelName(t, c), "--issue-date", c.IssueDate.Format("2006年1月2日"), "--expiry-date", c.ExpiryDate.Format("2006/01/02"), "--body", c.BodyApproval}
	base := []string{"verify", "--key-set", keySet, "--base-url", "https://certreg.example.cn"}
	if c.SchemeCode != "AS" {
		printed[5] = c.SchemeCode
	}

	out, _, err = runCLI(t, append(append(base, printed...), png)...)
	if err != nil || !strings.Contains(out, "Signature:      GOOD") || !strings.Contains(out, "(retired") || !strings.Contains(out, "canonical domain") {
		t.Fatalf("verify PNG with printed claims: %v\n%s", err, out)
	}
	// The paper's level raised by one: the signature fails.
	edited := append([]string(nil), printed...)
	edited[7] = "五星级"
	if c.LevelCode == "five-star" {
		edited[7] = "四星级"
	}
	if c.SchemeCode == "AS" {
		out, _, err = runCLI(t, append(append(base, edited...), url)...)
		if err == nil || !strings.Contains(out, "Signature:      BAD") {
			t.Fatalf("verify edited level: %v\n%s", err, out)
		}
	}
	// The claims from a certificate record (as the API and open data give
	// it) instead of typed fields.
	recFile := filepath.Join(dir, "record.json")
	os.WriteFile(recFile, rec, 0o644)
	out, _, err = runCLI(t, append(base, "--record", recFile, url)...)
	if err != nil || !strings.Contains(out, "Signature:      GOOD") {
		t.Fatalf("verify --record: %v\n%s", err, out)
	}
	// No claims: the key is checked, the signature is not: exit 3.
	out, _, err = runCLI(t, append(base, url)...)
	if exitCode(err) != 3 || !strings.Contains(out, "NOT CHECKED") {
		t.Fatalf("verify without claims: %v\n%s", err, out)
	}
	// Another domain.
	other := strings.Replace(url, "CERTREG.EXAMPLE.CN", "CERTREG-EXAMPLE.CN", 1)
	out, _, err = runCLI(t, append(append(base, printed...), other)...)
	if err == nil || !strings.Contains(out, "NOT the registry's domain") {
		t.Fatalf("verify look-alike domain: %v\n%s", err, out)
	}
	// One character of the signature changed.
	i := strings.Index(url, "/V/") + 20
	repl := "A"
	if url[i] == 'A' {
		repl = "B"
	}
	tampered := url[:i] + repl + url[i+1:]
	out, _, err = runCLI(t, append(append(base, printed...), tampered)...)
	if err == nil || (!strings.Contains(out, "BAD") && !strings.Contains(out, "UNKNOWN")) {
		t.Fatalf("verify tampered: %v\n%s", err, out)
	}
	// With the database: the registry's verdict.
	out, _, err = runCLI(t, "verify", "--db", db, "--base-url", "https://certreg.example.cn", url)
	if err != nil || !strings.Contains(out, "Verdict:        VALID") {
		t.Fatalf("verify --db: %v\n%s", err, out)
	}
	// A PDF renamed .png.
	pdf := filepath.Join(dir, "fake.png")
	os.WriteFile(pdf, []byte("%PDF-1.7\n..."), 0o644)
	if _, _, err := runCLI(t, append(base, pdf)...); err == nil || !strings.Contains(err.Error(), "PDF") {
		t.Fatalf("verify a PDF: %v", err)
	}
}

func levelName(t *testing.T, c *registry.Certificate) string {
	switch c.LevelCode {
	case "five-star":
		return "五星级"
	case "four-star":
		return "four-star"
	case "three-star":
		return "三星级"
	}
	return c.LevelCode
}
