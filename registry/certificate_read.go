package registry

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// genericFields are the fields stored in a column of their own, named as
// the field, and read and written by the table's accessors alone.
var genericFields = func() []*Field {
	var out []*Field
	for i := range Fields {
		if Fields[i].Generic() {
			out = append(out, &Fields[i])
		}
	}
	return out
}()

// certColumns is the column list every certificate read selects, in the
// order scanCertificate reads: the columns with rules of their own, then
// the generic fields' columns.
var certColumns = func() string {
	cols := `c.id, c.number, c.holder_credit_code, c.credit_code_warning, c.scheme, c.score, c.level,
	c.body_id, b.approval, b.name_zh, b.name_en, c.status, c.surveillance, c.created_at, c.updated_at, c.version`
	for _, f := range genericFields {
		cols += ", c." + f.Name
	}
	return cols
}()

const certFrom = ` FROM certificates c JOIN bodies b ON b.id = c.body_id`

type scanner interface{ Scan(dest ...any) error }

// fixedColumns is how many of certColumns come before the generic fields'.
const fixedColumns = 16

func scanCertificate(r scanner) (*Certificate, error) {
	var (
		c                          Certificate
		warn                       int
		score                      sql.NullFloat64
		surv, created, updated, st string
		texts                      = make([]sql.NullString, len(genericFields))
		nums                       = make([]sql.NullFloat64, len(genericFields))
	)
	d := make([]any, 0, fixedColumns+len(genericFields))
	d = append(d, &c.ID, &c.Number, &c.HolderCreditCode, &warn, &c.SchemeCode, &score, &c.LevelCode,
		&c.BodyID, &c.BodyApproval, &c.BodyNameZH, &c.BodyNameEN, &st, &surv, &created, &updated, &c.Version)
	for i, f := range genericFields {
		if f.num != nil {
			d = append(d, &nums[i])
		} else {
			d = append(d, &texts[i])
		}
	}
	if err := r.Scan(d...); err != nil {
		return nil, err
	}
	c.CreditCodeWarning = warn != 0
	c.Score, c.HasScore = score.Float64, score.Valid
	c.Status = Status(st)
	c.CreatedAt, c.UpdatedAt = parseTime(created), parseTime(updated)
	for i, f := range genericFields {
		switch {
		case f.text != nil:
			*f.text(&c) = texts[i].String
		case f.date != nil:
			*f.date(&c) = parseStoredDate(texts[i])
		case f.num != nil:
			v, has := f.num(&c)
			*v, *has = nums[i].Float64, nums[i].Valid
		}
	}
	if surv != "" && surv != "[]" {
		if err := json.Unmarshal([]byte(surv), &c.Surveillance); err != nil {
			return nil, fmt.Errorf("certificate %s: surveillance: %w", c.Number, err)
		}
	}
	return &c, nil
}

// Certificate returns the certificate with number (compared
// case-insensitively, full-width characters folded).
func (s *Store) Certificate(ctx context.Context, number string) (*Certificate, error) {
	n, fe := NormalizeNumber(number)
	if fe != nil {
		return nil, Errorf(ENOTFOUND, "number", "registry.not_registered_malformed", fe.Message)
	}
	c, err := scanCertificate(s.certByKey.QueryRowContext(ctx, NumberKey(n)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notRegistered(n)
	}
	if err != nil {
		return nil, fmt.Errorf("certificate %s: %w", n, err)
	}
	return c, nil
}

func notRegistered(n string) *Error {
	return Errorf(ENOTFOUND, "number", "registry.no_certificate_numbered_registered", n)
}

// CertificatesByCreditCode returns every certificate held by the
// organisation with the unified social credit code, newest first.
func (s *Store) CertificatesByCreditCode(ctx context.Context, code string) ([]*Certificate, error) {
	code = strings.ToUpper(FoldWidth(strings.TrimSpace(code)))
	return s.queryCertificates(ctx, `SELECT `+certColumns+certFrom+` WHERE c.holder_credit_code = ? ORDER BY c.issue_date DESC, c.id DESC LIMIT 1000`, code)
}

func (s *Store) queryCertificates(ctx context.Context, q string, args ...any) ([]*Certificate, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Certificate
	for rows.Next() {
		c, err := scanCertificate(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// History returns a certificate's events, oldest first.
func (s *Store) History(ctx context.Context, certificateID int64) ([]Event, error) {
	return s.queryEvents(ctx, `WHERE e.certificate_id = ? ORDER BY e.id`, certificateID)
}

const eventColumns = `SELECT e.id, coalesce(e.certificate_id, 0), coalesce(c.number, ''), coalesce(e.body_id, 0), e.kind,
	e.effective_date, e.reason, e.actor, e.source, e.remote_addr, e.at, e.changes
	FROM events e LEFT JOIN certificates c ON c.id = e.certificate_id `

func (s *Store) queryEvents(ctx context.Context, where string, args ...any) ([]Event, error) {
	rows, err := s.query(ctx, eventColumns+where, args...)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var (
			e       Event
			eff     sql.NullString
			at, chg string
		)
		if err := rows.Scan(&e.ID, &e.CertificateID, &e.Number, &e.BodyID, &e.Kind, &eff, &e.Reason, &e.Actor, &e.Source, &e.RemoteAddr, &at, &chg); err != nil {
			return nil, err
		}
		e.EffectiveDate = parseStoredDate(eff)
		e.At = parseTime(at)
		if chg != "" && chg != "[]" {
			if err := json.Unmarshal([]byte(chg), &e.Changes); err != nil {
				return nil, fmt.Errorf("event %d: %w", e.ID, err)
			}
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// RecentEvents returns the newest events of the given kinds (all kinds when
// none are given), optionally of one body (bodyID > 0), newest first.
func (s *Store) RecentEvents(ctx context.Context, bodyID int64, limit int, kinds ...string) ([]Event, error) {
	var where []string
	var args []any
	where = append(where, "e.certificate_id IS NOT NULL")
	if bodyID > 0 {
		where = append(where, "e.body_id = ?")
		args = append(args, bodyID)
	}
	if len(kinds) > 0 {
		where = append(where, "e.kind IN (?"+strings.Repeat(",?", len(kinds)-1)+")")
		for _, k := range kinds {
			args = append(args, k)
		}
	}
	args = append(args, limit)
	order := "e.id"
	if len(kinds) > 1 {
		// Several kinds: read each kind's events from its index and sort
		// the few found, rather than walk every event newest first looking
		// for them (+ keeps the planner from using the id order).
		order = "+e.id"
	}
	return s.queryEvents(ctx, "WHERE "+strings.Join(where, " AND ")+" ORDER BY "+order+" DESC LIMIT ?", args...)
}

// Body returns the body with the approval number.
func (s *Store) Body(ctx context.Context, approval string) (*Body, error) {
	a := strings.ToUpper(strings.TrimSpace(FoldWidth(approval)))
	bs, err := s.queryBodies(ctx, `WHERE approval = ?`, a)
	if err != nil {
		return nil, err
	}
	if len(bs) == 0 {
		return nil, Errorf(ENOTFOUND, "body_approval", "registry.no_body_with_approval", a)
	}
	return bs[0], nil
}

// BodyByID returns the body with id.
func (s *Store) BodyByID(ctx context.Context, id int64) (*Body, error) {
	bs, err := s.queryBodies(ctx, `WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(bs) == 0 {
		return nil, Errorf(ENOTFOUND, "body", "registry.no_such_certification_body")
	}
	return bs[0], nil
}

// Bodies returns every body, by approval number.
func (s *Store) Bodies(ctx context.Context) ([]*Body, error) {
	return s.queryBodies(ctx, `ORDER BY approval`)
}

func (s *Store) queryBodies(ctx context.Context, where string, args ...any) ([]*Body, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, approval, name_zh, name_en, website, province, city, contact, disabled, created FROM bodies `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("bodies: %w", err)
	}
	defer rows.Close()
	var out []*Body
	for rows.Next() {
		var b Body
		var dis int
		var created string
		if err := rows.Scan(&b.ID, &b.Approval, &b.NameZH, &b.NameEN, &b.Website, &b.Province, &b.City, &b.Contact, &dis, &created); err != nil {
			return nil, err
		}
		b.Disabled = dis != 0
		b.Created = parseTime(created)
		out = append(out, &b)
	}
	return out, rows.Err()
}

// CertificateWithHistory returns the certificate with number (as
// Certificate finds it) and its events, oldest first, in one indexed read:
// the number index finds the row, the events index its events, one row
// each. It is what a certificate's page shows.
func (s *Store) CertificateWithHistory(ctx context.Context, number string) (*Certificate, []Event, error) {
	p, err := s.certificateWithHistory(ctx, number, false)
	if err != nil {
		return nil, nil, err
	}
	return p.Certificate, p.Events, nil
}

// certificateWithHistory is CertificateWithHistory; withPage adds what
// CertificatePage reads besides.
func (s *Store) certificateWithHistory(ctx context.Context, number string, withPage bool) (*PageRead, error) {
	var p PageRead
	n, fe := NormalizeNumber(number)
	if fe != nil {
		return nil, Errorf(ENOTFOUND, "number", "registry.not_registered_malformed", fe.Message)
	}
	q := `SELECT ` + certColumns + `, e.id, e.body_id, e.kind, e.effective_date, e.reason, e.actor, e.source, e.remote_addr, e.at, e.changes`
	if withPage {
		// The symbol's row is found by the certificate's id (its rowid):
		// one more B-tree step in the same read. The events' records are
		// on the pages the history reads anyway; the newest logged event
		// of the certificate whose events row is gone (none, unless the
		// file was edited) is looked up in its few leaves.
		q += `, q.content_sum, q.modules, e.snapshot,
		(SELECT coalesce(max(l.event_id), 0) FROM translog_leaves l WHERE l.certificate_id = c.id
			AND NOT EXISTS (SELECT 1 FROM events x WHERE x.id = l.event_id)),
		(SELECT l.idx FROM translog_leaves l WHERE l.certificate_id = c.id
			AND l.idx < (SELECT size FROM translog_checkpoints ORDER BY id DESC LIMIT 1) ORDER BY l.idx DESC LIMIT 1)` +
			certFrom + ` LEFT JOIN qr_symbols q ON q.certificate_id = c.id`
	} else {
		q += `, NULL, NULL, NULL, 0, NULL` + certFrom
	}
	rows, err := s.query(ctx, q+` LEFT JOIN events e ON e.certificate_id = c.id WHERE c.number_key = ? ORDER BY e.id`, NumberKey(n))
	if err != nil {
		return nil, fmt.Errorf("certificate %s: %w", n, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			e                Event
			id, body         sql.NullInt64
			kind, eff, at    sql.NullString
			reason, actor    sql.NullString
			source, addr, ch sql.NullString
			sum, modules     []byte
			snapshot         sql.RawBytes
			deleted          int64
			logIndex         sql.NullInt64
		)
		row, err := scanCertificate(withExtra{rows, []any{&id, &body, &kind, &eff, &reason, &actor, &source, &addr, &at, &ch, &sum, &modules, &snapshot, &deleted, &logIndex}})
		if err != nil {
			return nil, fmt.Errorf("certificate %s: %w", n, err)
		}
		if p.Certificate == nil {
			p.Certificate = row
			p.QR = StoredQR{Sum: sum, Modules: modules}
			p.Latest.Deleted = deleted
			p.LogIndex, p.Logged = logIndex.Int64, logIndex.Valid
		}
		if !id.Valid {
			continue // a certificate without events (never, but for the LEFT JOIN)
		}
		c := p.Certificate
		if len(snapshot) > 0 { // events come oldest first: the last one wins
			p.Latest.EventID, p.Latest.Snapshot, p.Latest.Found = id.Int64, string(snapshot), true
		}
		e.ID, e.CertificateID, e.Number, e.BodyID, e.Kind = id.Int64, c.ID, c.Number, body.Int64, kind.String
		e.Reason, e.Actor, e.Source, e.RemoteAddr = reason.String, actor.String, source.String, addr.String
		e.EffectiveDate, e.At = parseStoredDate(eff), parseTime(at.String)
		if ch.String != "" && ch.String != "[]" {
			if err := json.Unmarshal([]byte(ch.String), &e.Changes); err != nil {
				return nil, fmt.Errorf("event %d: %w", e.ID, err)
			}
		}
		p.Events = append(p.Events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("certificate %s: %w", n, err)
	}
	if p.Certificate == nil {
		return nil, notRegistered(n)
	}
	if p.Latest.Deleted <= p.Latest.EventID {
		p.Latest.Deleted = 0 // only a logged event after the record counts (as CheckRow)
	}
	return &p, nil
}

// withExtra scans a row's leading columns into what the caller asks and
// the rest into extra.
type withExtra struct {
	rows  *sql.Rows
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.rows.Scan(append(dest, w.extra...)...) }
