package registry

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
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

// CSVHeader is the header export-data writes: the import columns' English
// keys, so that the file imports back unchanged.
func CSVHeader() []string {
	h := make([]string, len(Columns))
	for i, c := range Columns {
		h[i] = c.Key
	}
	return h
}

// CSVRow is a record as a row under CSVHeader.
func (r *Record) CSVRow() []string {
	in := r.Input()
	row := make([]string, len(Columns))
	for i, c := range Columns {
		row[i] = inputField(&in, c.Key)
	}
	return row
}

func inputField(in *Input, key string) string {
	switch key {
	case "number":
		return in.Number
	case "holder_name":
		return in.HolderName
	case "holder_credit_code":
		return in.HolderCreditCode
	case "holder_address":
		return in.HolderAddress
	case "province":
		return in.Province
	case "city":
		return in.City
	case "scheme":
		return in.Scheme
	case "score":
		return in.Score
	case "level":
		return in.Level
	case "scope":
		return in.Scope
	case "first_issue_date":
		return in.FirstIssueDate
	case "issue_date":
		return in.IssueDate
	case "expiry_date":
		return in.ExpiryDate
	case "status":
		return in.Status
	case "status_date":
		return in.StatusDate
	case "status_reason":
		return in.StatusReason
	case "body_approval":
		return in.BodyApproval
	case "body_name":
		return in.BodyName
	case "stage1_date":
		return in.Stage1Date
	case "stage2_date":
		return in.Stage2Date
	case "cpsq":
		return in.CPSQ
	case "surveillance":
		return in.Surveillance
	}
	panic("registry: no input field for column " + strconv.Quote(key))
}

// ExportCSV writes every certificate (of one body when bodyID > 0) as CSV
// in UTF-8 with the import format's English header.
func (s *Store) ExportCSV(ctx context.Context, w io.Writer, bodyID int64) (int, error) {
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	if err := cw.Write(CSVHeader()); err != nil {
		return 0, err
	}
	n := 0
	err := s.EachCertificate(ctx, bodyID, func(c *Certificate) error {
		r := c.Record(s.schemes)
		n++
		return cw.Write(r.CSVRow())
	})
	if err != nil {
		return n, err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// ExportNDJSON writes every certificate (of one body when bodyID > 0) as
// one JSON Record a line.
func (s *Store) ExportNDJSON(ctx context.Context, w io.Writer, bodyID int64) (int, error) {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	n := 0
	err := s.EachCertificate(ctx, bodyID, func(c *Certificate) error {
		n++
		return enc.Encode(c.Record(s.schemes))
	})
	if err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// NDJSONRows reads records written by ExportNDJSON as import inputs.
func NDJSONRows(r io.Reader) func() (Input, error) {
	dec := json.NewDecoder(bufio.NewReader(r))
	line := 0
	return func() (Input, error) {
		var rec Record
		line++
		if err := dec.Decode(&rec); err != nil {
			if err == io.EOF {
				return Input{}, io.EOF
			}
			return Input{}, &ImportError{Errors: ValidationErrors{{Line: line, ZH: fmt.Sprintf("第 %d 条记录不是有效的 JSON：%v", line, err), EN: fmt.Sprintf("record %d is not valid JSON: %v", line, err)}}, Total: 1}
		}
		in := rec.Input()
		in.Line = line
		return in, nil
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
