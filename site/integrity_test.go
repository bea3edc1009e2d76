package site

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"html"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
	"github.com/certreg/certreg/signing"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/translog"
	"github.com/certreg/certreg/views"
)

// lockedBuffer is a log destination the server's goroutines write to.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRowEditedBehindServerRefusesValid edits a certificate row on the
// database file while the server runs, as an insider would: a suspended
// certificate made valid again in its row alone. Its verdict page, its
// page, its API record and the verification API must not say valid; the
// failure is logged at error level and counted at /healthz. The
// certificate beside it is untouched.
func TestRowEditedBehindServerRefusesValid(t *testing.T) {
	store := newStore(t)
	good, bad := registrytest.SampleInput("SAC-2024-0001"), registrytest.SampleInput("SAC-2024-0002")
	registrytest.Put(t, store, good, bad)
	registrytest.Move(t, store, bad.Number, registry.StatusSuspended)

	var logs lockedBuffer
	s := New(store, Config{BaseURL: testBase, Keys: signing.NewMemoryKeys(), Limits: Limits{LookupBurst: 1000},
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	goodQR, badQR := qrURL(t, s, good.Number), qrURL(t, s, bad.Number)

	health := func() (n float64) {
		t.Helper()
		r := get(t, ts, "/healthz")
		var m map[string]any
		if err := json.Unmarshal([]byte(r.body), &m); err != nil || r.status != 200 {
			t.Fatalf("healthz: %d %s", r.status, r.body)
		}
		return m["integrity_failures"].(float64)
	}
	if r := get(t, ts, pathOf(badQR)); !strings.Contains(r.body, "verdict-panel verdict-suspended") {
		t.Fatalf("before the edit: %s", r.body)
	}
	if n := health(); n != 0 {
		t.Fatalf("integrity failures %v before any edit", n)
	}

	if _, err := registrytest.RawDB(t, store).Exec(`UPDATE certificates SET status = 'valid' WHERE number = ?`, bad.Number); err != nil {
		t.Fatal(err)
	}

	vd := registry.VerdictIntegrity
	for _, lang := range []i18n.Lang{i18n.ZH, i18n.EN} {
		r := get(t, ts, lang.Path(pathOf(badQR)))
		if r.status != 200 {
			t.Fatalf("%s verdict: %d", lang, r.status)
		}
		mustContain(t, string(lang)+" verdict", r.body, "verdict-panel verdict-integrity-failed", html.EscapeString(lang.Render(vd)),
			html.EscapeString(lang.Render(vd.Meaning())), html.EscapeString(lang.T("registry.record_failed_integrity")))
		if strings.Contains(r.body, "verdict-valid") || strings.Contains(r.body, ">"+lang.Render(registry.VerdictValid)+"<") || strings.Contains(r.body, "/qr/svg/") {
			t.Errorf("%s verdict page shows valid, or offers a fresh QR code for the edited row", lang)
		}

		r = get(t, ts, lang.Path(views.CertificatePath(bad.Number)))
		mustContain(t, string(lang)+" certificate page", r.body, "verdict-integrity-failed", html.EscapeString(lang.Render(vd)))
		if strings.Contains(r.body, "status-panel valid") {
			t.Errorf("%s certificate page shows the edited row as valid", lang)
		}
	}

	r := get(t, ts, views.APICertificatePath(bad.Number))
	var rec struct {
		Certificate struct {
			EffectiveStatus string `json:"effective_status"`
			Integrity       *struct {
				Verdict   string `json:"verdict"`
				MessageEN string `json:"message_en"`
			} `json:"integrity"`
		} `json:"certificate"`
	}
	if err := json.Unmarshal([]byte(r.body), &rec); err != nil || rec.Certificate.EffectiveStatus == "valid" ||
		rec.Certificate.Integrity == nil || rec.Certificate.Integrity.Verdict != "integrity-failed" {
		t.Errorf("API record of the edited row: %v %s", err, r.body)
	}

	pr := post(t, ts, "/api/v1/verify", "application/json", strings.NewReader(`{"number": "`+bad.Number+`", "holder": "`+bad.HolderCreditCode+`"}`))
	if !strings.Contains(pr.body, `"verdict": "integrity-failed"`) || strings.Contains(pr.body, `"status": "valid"`) {
		t.Errorf("verification API: %s", pr.body)
	}
	pr = post(t, ts, "/api/v1/verify", "application/json", strings.NewReader(`{"numbers": ["`+good.Number+`", "`+bad.Number+`"]}`))
	if !strings.Contains(pr.body, `"verdict": "integrity-failed"`) || !strings.Contains(pr.body, `"verdict": "valid"`) {
		t.Errorf("batch API: %s", pr.body)
	}

	// The untouched certificate is still VALID.
	if r := get(t, ts, pathOf(goodQR)); !strings.Contains(r.body, "verdict-panel verdict-valid") {
		t.Errorf("untouched certificate: %s", r.body)
	}

	if n := health(); n < 7 {
		t.Errorf("healthz counts %v integrity failures, want at least 7", n)
	}
	var errLines int
	for line := range strings.SplitSeq(logs.String(), "\n") {
		if strings.Contains(line, `"level":"ERROR"`) && strings.Contains(line, "integrity check") && strings.Contains(line, bad.Number) && strings.Contains(line, "status") {
			errLines++
		}
	}
	if errLines < 7 {
		t.Errorf("%d error log lines name %s and its field, want at least 7:\n%s", errLines, bad.Number, logs.String())
	}
	if strings.Contains(logs.String(), good.Number) && strings.Contains(logs.String(), `"number":"`+good.Number) {
		t.Errorf("the untouched certificate was logged as failing")
	}
}

// TestExportSkipsEditedRow: a static export of a registry with an edited
// row writes no signed QR code and no offline verdict for it, and its
// certificate page says it failed the check; the other certificate is
// exported as usual.
func TestExportSkipsEditedRow(t *testing.T) {
	store := newStore(t)
	good, bad := registrytest.SampleInput("SAC-2024-0001"), registrytest.SampleInput("SAC-2024-0002")
	registrytest.Put(t, store, good, bad)
	if _, err := registrytest.RawDB(t, store).Exec(`UPDATE certificates SET score = 99 WHERE number = ?`, bad.Number); err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	s := New(store, Config{BaseURL: testBase, Keys: signing.NewMemoryKeys(), Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	dir := t.TempDir()
	if _, err := s.Export(context.Background(), dir, ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	verdicts := map[string]bool{}
	filepath.WalkDir(filepath.Join(dir, "V"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "index.html" {
			rel, _ := filepath.Rel(dir, p)
			verdicts[filepath.Base(filepath.Dir(rel))] = true
		}
		return nil
	})
	if !verdicts[good.Number] || verdicts[bad.Number] {
		t.Errorf("offline verdict pages for %v; want %s and not %s", verdicts, good.Number, bad.Number)
	}
	page, err := os.ReadFile(filepath.Join(dir, "certificates", views.URLNumber(bad.Number), "index.html"))
	if err != nil || !strings.Contains(string(page), "verdict-integrity-failed") || strings.Contains(string(page), "status-panel valid") {
		t.Errorf("exported page of the edited row: %v", err)
	}
	if !strings.Contains(logs.String(), `"level":"ERROR"`) || !strings.Contains(logs.String(), bad.Number) {
		t.Errorf("the export did not log the failure: %s", logs.String())
	}
}

// TestEachEditRefusedWhileServing makes each edit of TestLogVerifyAuditsRows
// (translog) on the file of a running server: the verdict page of a manual
// check, in both languages, and the certificate page refuse VALID.
func TestEachEditRefusedWhileServing(t *testing.T) {
	for _, tc := range []struct {
		name, number string
		sql          []string
	}{
		{"edited-row", "SAC-2024-0001", []string{`UPDATE certificates SET score = 99 WHERE number = 'SAC-2024-0001'`}},
		{"edited-status", "SAC-2024-0002", []string{`UPDATE certificates SET status = 'valid' WHERE number = 'SAC-2024-0002'`}},
		{"edited-body", "SAC-2024-0001", []string{`UPDATE bodies SET name_zh = '冒名认证中心'`}},
		{"deleted-event", "SAC-2024-0002", []string{`DROP TRIGGER events_append_only_delete`,
			`DELETE FROM events WHERE id = (SELECT max(id) FROM events)`,
			// The row put back exactly as the issued event left it: only
			// the log still has the suspension.
			`UPDATE certificates SET status = 'valid', status_date = issue_date WHERE number = 'SAC-2024-0002'`}},
		{"inserted-row", "FAKE-0001", []string{`INSERT INTO certificates(number, number_key, holder_name, holder_credit_code, province, city, scheme, score, level, scope,
			first_issue_date, issue_date, expiry_date, body_id, status, status_date, created_at, updated_at)
			SELECT 'FAKE-0001', 'FAKE-0001', holder_name, holder_credit_code, province, city, scheme, 99, level, scope,
			first_issue_date, issue_date, expiry_date, body_id, status, status_date, created_at, updated_at FROM certificates WHERE number = 'SAC-2024-0001'`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := newStore(t)
			registrytest.Put(t, store, registrytest.SampleInput("SAC-2024-0001"), registrytest.SampleInput("SAC-2024-0002"))
			registrytest.Move(t, store, "SAC-2024-0002", registry.StatusSuspended)
			// The log holds every event, as a running server's sequencer
			// sees to within a second.
			_, priv, _ := ed25519.GenerateKey(rand.Reader)
			signer, err := translog.NoteSigner("certreg.test/log", priv)
			if err != nil {
				t.Fatal(err)
			}
			l, err := translog.New(store, "certreg.test/log", signer)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := l.Sequence(context.Background()); err != nil {
				t.Fatal(err)
			}
			s := New(store, Config{BaseURL: testBase, Keys: signing.NewMemoryKeys(), Limits: Limits{LookupBurst: 1000}, Log: l})
			ts := httptest.NewServer(s.Handler())
			t.Cleanup(ts.Close)
			db := registrytest.RawDB(t, store)
			for _, q := range tc.sql {
				if _, err := db.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			for _, lang := range []i18n.Lang{i18n.ZH, i18n.EN} {
				r := get(t, ts, lang.Path("/verify/check")+"?number="+tc.number+"&holder=914403001922038216")
				mustContain(t, string(lang)+" verdict", r.body, "verdict-panel verdict-integrity-failed", html.EscapeString(lang.Render(registry.VerdictIntegrity)))
				if strings.Contains(r.body, "verdict-valid") {
					t.Errorf("%s: the verdict page shows valid", lang)
				}
			}
			r := get(t, ts, views.CertificatePath(tc.number))
			if !strings.Contains(r.body, "verdict-integrity-failed") || strings.Contains(r.body, "status-panel valid") {
				t.Errorf("certificate page of %s does not refuse VALID (%d)", tc.number, r.status)
			}
			if s.integrityFailures.Load() < 3 {
				t.Errorf("integrity failures counted: %d", s.integrityFailures.Load())
			}
		})
	}
}
