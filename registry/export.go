package registry

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// EachCertificate calls fn for every certificate in registration order,
// reading in pages so that memory stays bounded. bodyID > 0 limits it to one
// body's certificates.
func (s *Store) EachCertificate(ctx context.Context, bodyID int64, fn func(*Certificate) error) error {
	var after int64
	for {
		q := `SELECT ` + certColumns + certFrom + ` WHERE c.id > ?`
		args := []any{after}
		if bodyID > 0 {
			q += ` AND c.body_id = ?`
			args = append(args, bodyID)
		}
		page, err := s.queryCertificates(ctx, q+` ORDER BY c.id LIMIT 1000`, args...)
		if err != nil {
			return fmt.Errorf("read certificates: %w", err)
		}
		for _, c := range page {
			if err := fn(c); err != nil {
				return err
			}
		}
		if len(page) < 1000 {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

// ExportTime is the moment a static export states its data "as of": the
// later of the registry's last event and the start of today (China time).
// Nothing changed between it and now, so the statement is true; and two
// exports of an unchanged registry on the same day give the same pages,
// which keeps an incremental export small. Expiry, derived from the day,
// still moves on at midnight.
func (s *Store) ExportTime(ctx context.Context, now time.Time) (time.Time, error) {
	t := Today(now)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, chinaTime).UTC()
	var last sql.NullString
	if err := s.db.QueryRowContext(ctx, `SELECT max(at) FROM events`).Scan(&last); err != nil {
		return time.Time{}, fmt.Errorf("export time: %w", err)
	}
	if at := parseTime(last.String); at.After(day) && !at.After(now) {
		return at, nil
	}
	return day, nil
}

// ExportPosition is where the registry's history stands, as an
// incremental static export records it: the last event's id and the size
// of the log's latest checkpoint (0 without one).
func (s *Store) ExportPosition(ctx context.Context) (lastEvent, logSize int64, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT coalesce((SELECT max(id) FROM events), 0),
		coalesce((SELECT size FROM translog_checkpoints ORDER BY id DESC LIMIT 1), 0)`).Scan(&lastEvent, &logSize)
	if err != nil {
		return 0, 0, fmt.Errorf("export position: %w", err)
	}
	return lastEvent, logSize, nil
}

// ExportChanged returns, in id order, the ids of the certificates whose
// public files may differ from an export made at an earlier position:
// those with an event after afterEvent, those with a log entry among
// leaves [fromLog, toLog) (logged since), and those whose expiry date is
// in [fromDay, toDay): valid on fromDay, expired on toDay, without any
// event. Each part is an indexed range read (events by id, leaves by
// index, certificates_expiry), so the cost follows the changes, not the
// registry's size.
func (s *Store) ExportChanged(ctx context.Context, afterEvent, fromLog, toLog int64, fromDay, toDay time.Time) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT certificate_id FROM events WHERE id > ? AND certificate_id IS NOT NULL
		UNION SELECT certificate_id FROM translog_leaves WHERE idx >= ? AND idx < ?
		UNION SELECT id FROM certificates WHERE expiry_date >= ? AND expiry_date < ?
		ORDER BY 1`,
		afterEvent, fromLog, toLog, fromDay.Format(DateLayout), toDay.Format(DateLayout))
	if err != nil {
		return nil, fmt.Errorf("export changes: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("export changes: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("export changes: %w", err)
	}
	return ids, nil
}

// EachSearchRow calls fn for every certificate in registration order
// with only what a static export's search index reads filled in: id,
// number, holder name and credit code, status, scheme, level, province,
// city, issue and expiry dates, and the body's approval number. One
// narrow read of the table: several times cheaper than EachCertificate,
// which decodes every column.
func (s *Store) EachSearchRow(ctx context.Context, fn func(*Certificate) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT c.id, c.number, c.holder_name, c.holder_credit_code, c.status, c.scheme, c.level,
		c.province, c.city, c.issue_date, c.expiry_date, b.approval
		FROM certificates c JOIN bodies b ON b.id = c.body_id ORDER BY c.id`)
	if err != nil {
		return fmt.Errorf("read certificates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c Certificate
		var st, issue, expiry string
		if err := rows.Scan(&c.ID, &c.Number, &c.HolderName, &c.HolderCreditCode, &st, &c.SchemeCode, &c.LevelCode,
			&c.Province, &c.City, &issue, &expiry, &c.BodyApproval); err != nil {
			return fmt.Errorf("read certificates: %w", err)
		}
		c.Status = Status(st)
		if c.IssueDate, err = time.Parse(DateLayout, issue); err != nil {
			return fmt.Errorf("certificate %s: issue date %q: %w", c.Number, issue, err)
		}
		if c.ExpiryDate, err = time.Parse(DateLayout, expiry); err != nil {
			return fmt.Errorf("certificate %s: expiry date %q: %w", c.Number, expiry, err)
		}
		if err := fn(&c); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read certificates: %w", err)
	}
	return nil
}
