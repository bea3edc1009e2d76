package main

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
	"github.com/certreg/certreg/signing"
	"github.com/certreg/certreg/site"
	"github.com/certreg/certreg/views"
)

// verifyFixture is a registry with keys, a valid and a revoked certificate,
// their QR URLs, the published key set, and the record of the valid one
// in every shape the registry publishes, fetched from a real server.
type verifyFixture struct {
	db, keySet, url, revokedURL  string
	number                       string
	api, apiPretty, bare, ndjson string
}

func newVerifyFixture(t *testing.T) *verifyFixture {
	t.Helper()
	dir := t.TempDir()
	// The printed expiry (2027-03-04) is checked against this day.
	old := timeNow
	timeNow = func() time.Time { return registrytest.Now }
	t.Cleanup(func() { timeNow = old })
	f := &verifyFixture{db: filepath.Join(dir, "r.db")}
	store, err := registry.Open(f.db)
	if err != nil {
		t.Fatal(err)
	}
	valid, revoked := registrytest.SampleInput("SAC-2024-0001"), registrytest.SampleInput("SAC-2024-0002")
	registrytest.Put(t, store, valid, revoked)
	registrytest.Move(t, store, revoked.Number, registry.StatusRevoked)
	store.Close()
	if _, _, err := runCLI(t, "keys", "--db", f.db, "create"); err != nil {
		t.Fatal(err)
	}
	pub, _, err := runCLI(t, "keys", "--db", f.db, "public")
	if err != nil {
		t.Fatal(err)
	}
	f.keySet = filepath.Join(dir, "certreg-keys.json")
	os.WriteFile(f.keySet, []byte(pub), 0o644)
	f.number = valid.Number
	for n, dst := range map[string]*string{valid.Number: &f.url, revoked.Number: &f.revokedURL} {
		out, _, err := runCLI(t, "qr", "--db", f.db, "--base-url", "https://certreg.example.cn", n)
		if err != nil {
			t.Fatal(err)
		}
		*dst = strings.TrimSpace(out)
	}

	// The API answer, as a procurement script saves it.
	store, err = registry.Open(f.db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	kr, err := signing.LoadKeys(signing.KeysDir(f.db))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(site.New(store, site.Config{BaseURL: "https://certreg.example.cn", Keys: kr}).Handler())
	defer ts.Close()
	resp, err := ts.Client().Get(ts.URL + views.APICertificatePath(valid.Number))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"as_of"`) {
		t.Fatalf("API: %d %s", resp.StatusCode, body)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	f.apiPretty = write("api.json", body)
	var compact struct {
		Certificate json.RawMessage `json:"certificate"`
		AsOf        string          `json:"as_of"`
	}
	if err := json.Unmarshal(body, &compact); err != nil {
		t.Fatal(err)
	}
	one, _ := json.Marshal(compact)
	f.api = write("api-compact.json", one)
	f.bare = write("certificate.json", compact.Certificate)
	// The open data: every certificate, one line each.
	if _, _, err := runCLI(t, "export-data", "--db", f.db, "--out", dir); err != nil {
		t.Fatal(err)
	}
	f.ndjson = filepath.Join(dir, "certificates.ndjson")
	return f
}

// TestVerifyExitCodes runs `certreg verify` in every case of its exit-code
// table (verifyHelp), and reads every record shape the registry publishes.
func TestVerifyExitCodes(t *testing.T) {
	f := newVerifyFixture(t)
	base := []string{"verify", "--key-set", f.keySet, "--base-url", "https://certreg.example.cn"}
	tampered := tamper(f.url)
	dir := t.TempDir()
	notJSON := filepath.Join(dir, "not.json")
	os.WriteFile(notJSON, []byte("<html>not a record</html>\n"), 0o644)
	otherRec := filepath.Join(dir, "other.json")
	os.WriteFile(otherRec, []byte(`{"certificate": {"number": "NOPE-1", "holder_name": "x"}, "as_of": "2026-01-01T00:00:00Z"}`), 0o644)
	bomb := filepath.Join(dir, "big.json")
	os.WriteFile(bomb, []byte(`{"certificate": {"number": "`+strings.Repeat("A", 2<<20)+`"}}`), 0o644)

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"API answer with its wrapper", append(base, "--record", f.api, f.url), 0, "Signature:      GOOD"},
		{"API answer as served (indented)", append(base, "--record", f.apiPretty, f.url), 0, "GENUINE AS PRINTED"},
		{"the certificate object alone", append(base, "--record", f.bare, f.url), 0, "Signature:      GOOD"},
		{"the open data's NDJSON", append(base, "--record", f.ndjson, f.url), 0, "Signature:      GOOD"},
		{"printed fields", append(base, "--holder-name", "宁波示例电器有限公司", "--credit-code", "914403001922038216", "--scheme", "GB/T 27922-2011",
			"--level", "五星级", "--issue-date", "2024年3月5日", "--expiry-date", "2027-03-04", "--body", "CNCA-R-2002-001", f.url), 0, "Signature:      GOOD"},
		{"registry verdict VALID", []string{"verify", "--db", f.db, "--base-url", "https://certreg.example.cn", f.url}, 0, "Verdict:        VALID"},

		{"tampered signature with the API record", append(base, "--record", f.api, tampered), 1, ""},
		{"tampered signature with the open data", append(base, "--record", f.ndjson, tampered), 1, ""},
		{"altered claims", append(base, "--holder-name", "别的公司", "--credit-code", "914403001922038216", "--scheme", "AS",
			"--level", "五星级", "--issue-date", "2024-03-05", "--expiry-date", "2027-03-04", "--body", "CNCA-R-2002-001", f.url), 1, "Signature:      BAD"},
		{"foreign domain", append(base, "--record", f.api, strings.Replace(f.url, "CERTREG.EXAMPLE.CN", "CERTREG-EXAMPLE.CN", 1)), 1, "NOT the registry's domain"},
		{"foreign domain, no claims", append(base, strings.Replace(f.url, "CERTREG.EXAMPLE.CN", "CERTREG-EXAMPLE.CN", 1)), 1, "NOT the registry's domain"},
		{"not a certificate QR code", append(base, "https://example.com/hello"), 1, "NOT A CERTIFICATE QR CODE"},
		{"registry verdict REVOKED", []string{"verify", "--db", f.db, "--base-url", "https://certreg.example.cn", f.revokedURL}, 1, "REVOKED"},

		{"no argument", []string{"verify", "--key-set", f.keySet}, 2, ""},
		{"unknown flag", append(base, "--nope", f.url), 2, ""},
		{"no keys", []string{"verify", f.url}, 2, ""},
		{"record file missing", append(base, "--record", filepath.Join(dir, "missing.json"), f.url), 2, ""},
		{"record not JSON", append(base, "--record", notJSON, f.url), 2, ""},
		{"record of another certificate", append(base, "--record", otherRec, f.url), 2, ""},
		{"record over 1 MB", append(base, "--record", bomb, f.url), 2, ""},

		{"no claims", append(base, f.url), 3, "NOT CHECKED"},
		{"no --base-url", []string{"verify", "--key-set", f.keySet, "--record", f.api, f.url}, 3, "domain was not checked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, err := runCLI(t, tc.args...)
			if got := status(err); got != tc.code || (err == nil) != (tc.code == 0) {
				t.Fatalf("exit %d (%v), want %d\n%s%s", got, err, tc.code, out, stderr)
			}
			if !strings.Contains(out, tc.want) {
				t.Fatalf("output lacks %q:\n%s", tc.want, out)
			}
			if tc.code == 0 && strings.Contains(out, "WARNING") {
				t.Fatalf("exit 0 with a warning:\n%s", out)
			}
		})
	}
}

// status is the process's exit status for err, as main sets it.
func status(err error) int {
	if err == nil {
		return 0
	}
	return exitCode(err)
}

// tamper changes one character of a QR URL's signature.
func tamper(url string) string {
	i := strings.Index(url, "/V/") + 20
	repl := "A"
	if url[i] == 'A' {
		repl = "B"
	}
	return url[:i] + repl + url[i+1:]
}

func TestVerifyJSONAndHelp(t *testing.T) {
	f := newVerifyFixture(t)
	base := []string{"verify", "--json", "--key-set", f.keySet, "--base-url", "https://certreg.example.cn"}
	for _, tc := range []struct {
		url, record string
		code        int
		verdict     string
		signature   string
	}{
		{f.url, f.api, 0, "genuine", "good"},
		{tamper(f.url), f.api, 1, "forged", ""},
		{f.url, "", 3, "not-checked", "not-checked"},
	} {
		args := append([]string(nil), base...)
		if tc.record != "" {
			args = append(args, "--record", tc.record)
		}
		out, _, err := runCLI(t, append(args, tc.url)...)
		var res verifyResult
		if jerr := json.Unmarshal([]byte(out), &res); jerr != nil {
			t.Fatalf("--json output is not one JSON object: %v\n%s", jerr, out)
		}
		if status(err) != tc.code || res.ExitCode != tc.code || res.Verdict != tc.verdict || (tc.signature != "" && res.Signature != tc.signature) {
			t.Errorf("%s: exit %d, JSON %+v; want %d %s %s", tc.url, status(err), res, tc.code, tc.verdict, tc.signature)
		}
		if tc.code == 0 && (res.DomainCheck != "registry" || res.Printed == nil || res.Printed.Number != f.number) {
			t.Errorf("genuine: %+v", res)
		}
	}
	out, _, err := runCLI(t, "verify", "--help")
	for _, want := range []string{"Exit status:", "0  GENUINE", "1  FORGED", "2  usage", "3  NOT CHECKED", "--json"} {
		if !strings.Contains(out, want) {
			t.Errorf("verify --help lacks %q (%v):\n%s", want, err, out)
		}
	}
}

// TestQRRefusesEditedRow: `certreg qr` signs no QR code for a row edited
// behind the registry's back, so a forger with the file and the command
// gets no genuine code for forged claims.
func TestQRRefusesEditedRow(t *testing.T) {
	f := newVerifyFixture(t)
	store, err := registry.Open(f.db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := registrytest.RawDB(t, store).Exec(`UPDATE certificates SET holder_name = '冒名公司' WHERE number = ?`, f.number); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, "qr", "--db", f.db, "--base-url", "https://certreg.example.cn", f.number)
	if err == nil || out != "" || !strings.Contains(err.Error(), "integrity check") || !strings.Contains(err.Error(), "holder_name") {
		t.Fatalf("qr of an edited row: %q %v", out, err)
	}

	// The revoked certificate made valid in its row alone: its QR code's
	// claims (which leave out the status) still match, but `verify --db`
	// does not say VALID.
	if _, err := registrytest.RawDB(t, store).Exec(`UPDATE certificates SET status = 'valid' WHERE number = 'SAC-2024-0002'`); err != nil {
		t.Fatal(err)
	}
	out, _, err = runCLI(t, "verify", "--db", f.db, "--base-url", "https://certreg.example.cn", f.revokedURL)
	if status(err) != 1 || !strings.Contains(out, "RECORD FAILED ITS INTEGRITY CHECK") || strings.Contains(out, "Verdict:        VALID") {
		t.Fatalf("verify --db of an edited row: exit %d\n%s", status(err), out)
	}
}
