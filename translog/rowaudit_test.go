package translog_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/certreg/certreg/registry/registrytest"
	"github.com/certreg/certreg/site/i18n"
)

// TestLogVerifyAuditsRows edits the rows the site serves, as an insider
// with the database file would, and expects `log verify` to name the
// certificate and the fields. Events: 1 body.created, 2..6 issued
// SAC-2024-00001..5, 7 suspended 00003.
func TestLogVerifyAuditsRows(t *testing.T) {
	t.Run("untouched", func(t *testing.T) {
		_, l, v := tamperSetup(t)
		audit := wantProblem(t, l, v, "")
		if audit.Rows != 5 {
			t.Fatalf("rows checked %d, want 5", audit.Rows)
		}
	})
	t.Run("edited-row", func(t *testing.T) {
		s, l, v := tamperSetup(t)
		attack(t, s, `UPDATE certificates SET score = 99, holder_address = '别处' WHERE number = 'SAC-2024-00002'`)
		audit := wantProblem(t, l, v, "SAC-2024-00002", "edited-row")
		p := audit.Problems[0]
		if !slices.Equal(p.Fields, []string{"holder_address", "score"}) || p.EventID != 3 {
			t.Fatalf("fields %q event %d, want holder_address, score of event 3", p.Fields, p.EventID)
		}
		if en := i18n.EN.Render(p); !strings.Contains(en, "holder_address, score") || !strings.Contains(en, "#3") {
			t.Fatalf("message %q does not name the fields and the event", en)
		}
	})
	t.Run("edited-status", func(t *testing.T) {
		s, l, v := tamperSetup(t)
		// The suspended certificate made valid again, its row alone.
		attack(t, s, `UPDATE certificates SET status = 'valid' WHERE number = 'SAC-2024-00003'`)
		audit := wantProblem(t, l, v, "SAC-2024-00003", "edited-row")
		if p := audit.Problems[0]; !slices.Equal(p.Fields, []string{"status"}) || p.EventID != 7 {
			t.Fatalf("fields %q event %d, want status of event 7", p.Fields, p.EventID)
		}
	})
	t.Run("edited-body", func(t *testing.T) {
		s, l, v := tamperSetup(t)
		// The body's name is part of every one of its certificates' records.
		attack(t, s, `UPDATE bodies SET name_zh = '冒名认证中心'`)
		audit := wantProblem(t, l, v, "SAC-2024-00001", "edited-row", "edited-row", "edited-row", "edited-row", "edited-row")
		for _, p := range audit.Problems {
			if !slices.Equal(p.Fields, []string{"body_name"}) {
				t.Fatalf("%s: fields %q, want body_name", p.Number, p.Fields)
			}
		}
	})
	t.Run("body deleted", func(t *testing.T) {
		s, l, v := tamperSetup(t)
		db := registrytest.RawDB(t, s)
		db.SetMaxOpenConns(1) // the pragma holds for one connection
		for _, q := range []string{`PRAGMA foreign_keys = OFF`, `UPDATE certificates SET body_id = 999 WHERE number = 'SAC-2024-00005'`} {
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		audit := wantProblem(t, l, v, "SAC-2024-00005", "edited-row")
		if p := audit.Problems[0]; !slices.Equal(p.Fields, []string{"body_approval", "body_name"}) {
			t.Fatalf("fields %q", p.Fields)
		}
	})
	t.Run("deleted-event", func(t *testing.T) {
		s, l, v := tamperSetup(t)
		// The suspension's event removed: the log misses it, and the row
		// (still suspended) no longer matches its latest event.
		attack(t, s, `DELETE FROM events WHERE id = 7`)
		audit := wantProblem(t, l, v, "SAC-2024-00003", "deleted", "edited-row")
		if p := audit.Problems[1]; p.Number != "SAC-2024-00003" || !slices.Equal(p.Fields, []string{"status", "status_date"}) {
			t.Fatalf("row problem %+v", p)
		}
	})
	t.Run("deleted-event, row put back", func(t *testing.T) {
		s, l, v := tamperSetup(t)
		// Hiding a suspension completely: the event gone and the row
		// valid again. The log still has it.
		attack(t, s, `DELETE FROM events WHERE id = 7`,
			`UPDATE certificates SET status = 'valid', status_date = issue_date WHERE number = 'SAC-2024-00003'`)
		wantProblem(t, l, v, "SAC-2024-00003", "deleted")
	})
	t.Run("inserted-row", func(t *testing.T) {
		s, l, v := tamperSetup(t)
		attack(t, s, `INSERT INTO certificates(number, number_key, holder_name, holder_credit_code, province, city, scheme, score, level, scope,
			first_issue_date, issue_date, expiry_date, body_id, status, status_date, created_at, updated_at)
			SELECT 'FAKE-0001', 'FAKE-0001', holder_name, holder_credit_code, province, city, scheme, 99, level, scope,
			first_issue_date, issue_date, expiry_date, body_id, status, status_date, created_at, updated_at FROM certificates WHERE number = 'SAC-2024-00001'`)
		wantProblem(t, l, v, "FAKE-0001", "inserted-row")
	})
	t.Run("legitimate writes after the checkpoint", func(t *testing.T) {
		s, l, v := tamperSetup(t)
		// Pending events count as the row's record: a change made through
		// the store and not logged yet is not a problem.
		in := registrytest.SampleInput("SAC-2024-00002")
		in.Score = "91"
		registrytest.Put(t, s, in)
		registrytest.Move(t, s, "SAC-2024-00004", "revoked")
		audit := wantProblem(t, l, v, "")
		if audit.Pending != 2 {
			t.Fatalf("pending %d, want 2", audit.Pending)
		}
	})
}
