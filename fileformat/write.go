package fileformat

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"

	"github.com/certreg/certreg/registry"
)

// CSVHeader is the header export-data writes: the fields' English names,
// so that the file imports back unchanged.
func CSVHeader() []string {
	h := make([]string, len(registry.Fields))
	for i, f := range registry.Fields {
		h[i] = f.Name
	}
	return h
}

// CSVRow is a record as a row under CSVHeader.
func CSVRow(r *registry.Record) []string {
	in := r.Input()
	row := make([]string, len(registry.Fields))
	for i, f := range registry.Fields {
		row[i] = f.Value(&in)
	}
	return row
}

// WriteCSV writes every certificate of s (of one body when bodyID > 0) as CSV
// in UTF-8 with the import format's English header, each cell safe to open
// in a spreadsheet (SpreadsheetCell); it imports back unchanged.
func WriteCSV(ctx context.Context, s *registry.Store, w io.Writer, bodyID int64) (int, error) {
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	if err := cw.Write(CSVHeader()); err != nil {
		return 0, err
	}
	n := 0
	err := s.EachCertificate(ctx, bodyID, func(c *registry.Certificate) error {
		r := c.Record(s.Schemes())
		n++
		row := CSVRow(&r)
		for i := range row {
			row[i] = SpreadsheetCell(row[i])
		}
		return cw.Write(row)
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

// WriteNDJSON writes every certificate of s (of one body when bodyID > 0) as
// one JSON Record a line.
func WriteNDJSON(ctx context.Context, s *registry.Store, w io.Writer, bodyID int64) (int, error) {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	n := 0
	err := s.EachCertificate(ctx, bodyID, func(c *registry.Certificate) error {
		n++
		return enc.Encode(c.Record(s.Schemes()))
	})
	if err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// NDJSONRows reads records written by WriteNDJSON as import inputs.
func NDJSONRows(r io.Reader) func() (registry.Input, error) {
	dec := json.NewDecoder(bufio.NewReader(r))
	line := 0
	return func() (registry.Input, error) {
		var rec registry.Record
		line++
		if err := dec.Decode(&rec); err != nil {
			if err == io.EOF {
				return registry.Input{}, io.EOF
			}
			return registry.Input{}, &registry.ImportError{Errors: registry.ValidationErrors{{Line: line, Message: registry.Message{Key: "file.record_not_json", Args: []any{line, err}}}}, Total: 1}
		}
		in := rec.Input()
		in.Line = line
		return in, nil
	}
}
