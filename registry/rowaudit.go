package registry

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// The pages, the API and the verdicts read the certificates table; the
// transparency log records the events. Every write keeps, in its event, the
// certificate's record after it (the snapshot), so a row that differs from
// the snapshot of its latest event was changed behind the store's back (an
// UPDATE on the file, a stolen and edited copy): the fraud the log exists
// to expose. This file compares the two, for one certificate while serving
// and for every certificate in `certreg log verify`.

// RowMismatch says how a certificate row differs from the record its
// latest event keeps.
type RowMismatch struct {
	CertificateID int64
	Number        string
	// EventID is the certificate's latest event with a record; 0 when the
	// row has no event at all (a row inserted behind the store's back).
	EventID int64
	// Fields are the record's fields (JSON names, in the record's order)
	// whose value in the row differs from the event's.
	Fields []string
	// Deleted is the id of a logged event of the certificate whose row is
	// gone from the events table (0 when none is): the row may then match
	// an older event while the log holds a newer one.
	Deleted int64
}

// recordKeys are the JSON names of Record's fields, in its order.
var recordKeys = func() []string {
	t := reflect.TypeFor[Record]()
	out := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	return out
}()

// RecordDiff compares a record as the row gives it (row, as json.Marshal
// writes a Record) with the snapshot an event kept, and returns the fields
// that differ, nil when none does. The common case, byte-equal JSON, costs
// one comparison; otherwise both are decoded and compared field by field,
// so that a snapshot written by an older encoder is not a false alarm.
func RecordDiff(row []byte, snapshot string) []string {
	if string(row) == snapshot {
		return nil
	}
	var logged, shown Record
	if json.Unmarshal([]byte(snapshot), &logged) != nil || json.Unmarshal(row, &shown) != nil {
		return []string{"record"}
	}
	if logged.BodyName == "" {
		// Before 2026-12 an import row that named only the body's approval
		// number left the body's name out of the snapshot; the approval
		// number is still compared.
		logged.BodyName = shown.BodyName
	}
	lb, err := json.Marshal(&logged)
	if err != nil {
		return []string{"record"}
	}
	if bytes.Equal(row, lb) {
		return nil
	}
	var a, b map[string]json.RawMessage
	if json.Unmarshal(row, &a) != nil || json.Unmarshal(lb, &b) != nil {
		return []string{"record"}
	}
	var out []string
	for _, k := range recordKeys {
		if !bytes.Equal(a[k], b[k]) {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		out = []string{"record"}
	}
	return out
}

// latestSnapshot is the query of a certificate's latest event with a record
// (one read of the events_certificate index) and of the newest logged event
// of the certificate whose events row is gone, if any (the certificate's
// few leaves after that event, through translog_leaves_certificate).
const latestSnapshot = `SELECT e.id, e.snapshot,
	coalesce((SELECT max(l.event_id) FROM translog_leaves l WHERE l.certificate_id = e.certificate_id AND l.event_id > e.id
		AND NOT EXISTS (SELECT 1 FROM events x WHERE x.id = l.event_id)), 0)
	FROM events e WHERE e.certificate_id = ? AND e.snapshot <> '' ORDER BY e.id DESC LIMIT 1`

// CheckRow compares certificate c, as just read for a page, an API answer
// or a verdict, with the record kept by its latest event (logged or still
// pending): nil when they agree. A mismatch is read again in one snapshot
// of the database before it is reported, so that a write landing between
// the two reads is not taken for tampering.
func (s *Store) CheckRow(ctx context.Context, c *Certificate) (*RowMismatch, error) {
	row, err := json.Marshal(c.Record(s.schemes))
	if err != nil {
		return nil, fmt.Errorf("check certificate %s: %w", c.Number, err)
	}
	// A prepared statement: this runs before every page of a certificate.
	rows, err := s.query(ctx, latestSnapshot, c.ID)
	if err != nil {
		return nil, fmt.Errorf("check certificate %s: %w", c.Number, err)
	}
	var id, deleted int64
	var snap string
	found := rows.Next()
	if found {
		err = rows.Scan(&id, &snap, &deleted)
	}
	rows.Close()
	if err == nil {
		err = rows.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("check certificate %s: %w", c.Number, err)
	}
	if found && deleted == 0 && RecordDiff(row, snap) == nil {
		return nil, nil
	}
	return s.recheckRow(ctx, c.ID)
}

// CheckRowRead is CheckRow for a certificate read with its latest record
// in one statement (CertificatePage): no second read unless they differ,
// and then, as CheckRow, the two are read again in one snapshot.
func (s *Store) CheckRowRead(ctx context.Context, c *Certificate, latest LatestRecord) (*RowMismatch, error) {
	row, err := json.Marshal(c.Record(s.schemes))
	if err != nil {
		return nil, fmt.Errorf("check certificate %s: %w", c.Number, err)
	}
	if latest.Found && latest.Deleted == 0 && RecordDiff(row, latest.Snapshot) == nil {
		return nil, nil
	}
	return s.recheckRow(ctx, c.ID)
}

// recheckRow reads a certificate's row and its latest record in one
// snapshot and compares them.
func (s *Store) recheckRow(ctx context.Context, certID int64) (*RowMismatch, error) {
	var out *RowMismatch
	err := s.ReadLogSnapshot(ctx, func(r *LogSnapshot) error {
		c, err := scanCertificate(r.conn.QueryRowContext(ctx, `SELECT `+auditColumns+auditFrom+` WHERE c.id = ?`, certID))
		if errors.Is(err, sql.ErrNoRows) {
			return nil // gone: nothing to compare (certificates are never deleted; log verify says so)
		}
		if err != nil {
			return err
		}
		row, err := json.Marshal(c.Record(s.schemes))
		if err != nil {
			return err
		}
		var id, deleted int64
		var snap string
		err = r.conn.QueryRowContext(ctx, latestSnapshot, certID).Scan(&id, &snap, &deleted)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			out = &RowMismatch{CertificateID: certID, Number: c.Number}
		case err != nil:
			return err
		default:
			if f := RecordDiff(row, snap); f != nil || deleted != 0 {
				out = &RowMismatch{CertificateID: certID, Number: c.Number, EventID: id, Fields: f, Deleted: deleted}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("check certificate %d: %w", certID, err)
	}
	return out, nil
}

// auditColumns are certColumns with a missing body read as empty, so that
// a certificate whose body row was deleted is compared (and differs)
// rather than silently left out of the join.
var auditColumns = strings.NewReplacer(
	"b.approval", "coalesce(b.approval, '')",
	"b.name_zh", "coalesce(b.name_zh, '')",
	"b.name_en", "coalesce(b.name_en, '')",
).Replace(certColumns)

const auditFrom = ` FROM certificates c LEFT JOIN bodies b ON b.id = c.body_id`

// EachRowMismatch compares every certificate row of the snapshot, with
// its body, with the record its latest event keeps, and calls fn for each
// that differs or has no event. It is one pass over the certificates table,
// with one indexed read of the events per row.
func (r *LogSnapshot) EachRowMismatch(fn func(RowMismatch) error) (checked int64, err error) {
	rows, err := r.conn.QueryContext(r.ctx, `SELECT `+auditColumns+`,
		coalesce(e.id, 0), coalesce(e.snapshot, '')`+auditFrom+`
		LEFT JOIN events e ON e.id = (SELECT max(id) FROM events WHERE certificate_id = c.id AND snapshot <> '')
		ORDER BY c.id`)
	if err != nil {
		return 0, fmt.Errorf("audit certificate rows: %w", err)
	}
	defer rows.Close()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for rows.Next() {
		var eventID int64
		var snap string
		c, err := scanCertificate(scanPlus{rows, []any{&eventID, &snap}})
		if err != nil {
			return checked, fmt.Errorf("audit certificate rows: %w", err)
		}
		checked++
		if eventID == 0 {
			if err := fn(RowMismatch{CertificateID: c.ID, Number: c.Number}); err != nil {
				return checked, err
			}
			continue
		}
		buf.Reset()
		if err := enc.Encode(c.Record(r.schemes)); err != nil {
			return checked, err
		}
		row := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		if f := RecordDiff(row, snap); f != nil {
			if err := fn(RowMismatch{CertificateID: c.ID, Number: c.Number, EventID: eventID, Fields: f}); err != nil {
				return checked, err
			}
		}
	}
	return checked, rows.Err()
}

// scanPlus scans the certificate columns and then more.
type scanPlus struct {
	r    scanner
	more []any
}

func (s scanPlus) Scan(dest ...any) error { return s.r.Scan(append(dest, s.more...)...) }
