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
