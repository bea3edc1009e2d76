// Package fileformat reads and writes certificates as files: CSV (UTF-8 or
// GB18030, comma or tab), XLSX and NDJSON in, CSV and NDJSON out, the
// import templates, and the number lists of a batch check. Every reader
// bounds what it reads before it allocates, and names the line and
// column of every problem in both languages.
package fileformat

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"

	"github.com/certreg/certreg/registry"
)

// fieldByHeader maps every header an import accepts (normalised by
// headerKey) to its field's index in registry.Fields: the English name, the
// Chinese header and the aliases.
var fieldByHeader = func() map[string]int {
	m := map[string]int{}
	for i, f := range registry.Fields {
		for _, h := range append([]string{f.Name, f.ZH}, f.Aliases...) {
			m[headerKey(h)] = i
		}
	}
	return m
}()

var headerSeparators = strings.NewReplacer(" ", "", "_", "", "-", "")

func headerKey(h string) string {
	h = strings.ToLower(strings.TrimSpace(registry.FoldWidth(strings.TrimPrefix(h, "\ufeff"))))
	return headerSeparators.Replace(h)
}

// Limits on import files.
const (
	MaxXLSXBytes  = 100 << 20 // an XLSX is read into memory; larger files go as CSV
	maxLineBytes  = 1 << 20
	sniffBytes    = 64 << 10
	maxImportCols = 64
)

// RowReader reads certificate rows from a CSV or XLSX file, one at a time,
// so that memory stays bounded however large a CSV file is.
type RowReader struct {
	name    string
	cols    []int // column index in the file → index in registry.Fields, -1 for none
	dates   []bool
	xlsx    bool
	next    func() ([]string, int, error)
	closeFn func() error
	width   int
	headers map[string]string // field key → header as written

	nextInput func() (registry.Input, error) // NDJSON, as export-data writes it
}

// OpenRows reads the header of a CSV (UTF-8 with or without BOM, or
// GB18030/GBK as Excel on Chinese Windows saves it), XLSX or NDJSON
// (as export-data writes it) file and
// returns a reader of its rows. A file that cannot be read as either, or
// whose header is wrong, gives an *registry.ImportError that names every problem.
// It reads within ImportLimits.
func OpenRows(name string, r io.Reader) (*RowReader, error) {
	return ImportLimits.OpenRows(name, r)
}

// OpenRows is OpenRows within the limits l. An *os.File (at its start) is
// read in place, without being copied into memory.
func (l Limits) OpenRows(name string, r io.Reader) (*RowReader, error) {
	file, _ := r.(*os.File)
	if file != nil {
		if at, err := file.Seek(0, io.SeekCurrent); err != nil || at != 0 {
			file = nil
		}
	}
	br := bufio.NewReaderSize(r, sniffBytes)
	head, err := br.Peek(sniffBytes)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	switch {
	case len(bytes.TrimSpace(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")))) == 0:
		return nil, fileErr("file.file_empty", name)
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return l.openXLSX(name, br, file)
	case bytes.HasPrefix(head, []byte("\xd0\xcf\x11\xe0")):
		return nil, fileErr("file.file_old_excel_xls", name)
	case bytes.HasPrefix(bytes.TrimSpace(head), []byte("{")):
		return &RowReader{name: name, nextInput: NDJSONRows(br)}, nil
	case bytes.IndexByte(head, 0) >= 0 || bytes.HasPrefix(head, []byte("%PDF")):
		return nil, fileErr("file.file_not_csv_xlsx", name)
	}
	return l.openCSV(name, br, head)
}

func (l Limits) openCSV(name string, br *bufio.Reader, head []byte) (*RowReader, error) {
	var src io.Reader = br
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
		head = head[3:]
	}
	gbk := !looksUTF8(head)
	if gbk {
		src = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
	}
	src = &lineLimiter{r: src}
	cr := csv.NewReader(src)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	firstLine := head
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		firstLine = head[:i]
	}
	if !bytes.ContainsRune(firstLine, ',') && bytes.ContainsRune(firstLine, '\t') {
		cr.Comma = '\t'
	}
	rr := &RowReader{name: name}
	rr.next = func() ([]string, int, error) {
		rec, err := cr.Read()
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
				err = &registry.RowError{FieldError: fieldErr("", "file.line_not_valid_csv", pe.Line, pe.Err)}
			}
			var le *lineTooLong
			if errors.As(err, &le) {
				err = &registry.ImportError{Errors: registry.ValidationErrors{fieldErr("", "file.line_file_longer_than")}, Total: 1}
			}
			return nil, line, err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) > l.Fields {
			return nil, line, &registry.RowError{FieldError: fieldErr("", "file.line_has_too_many_fields", line, len(rec), l.Fields)}
		}
		if err := l.cellTooLong(line, rec); err != nil {
			return nil, line, err
		}
		if gbk {
			for _, f := range rec {
				if strings.ContainsRune(f, utf8.RuneError) {
					return nil, line, &registry.RowError{FieldError: fieldErr("", "file.line_has_bytes_neither", line)}
				}
			}
		}
		return rec, line, nil
	}
	if err := rr.readHeader(); err != nil {
		return nil, err
	}
	return rr, nil
}

// looksUTF8 reports whether a file's first bytes are UTF-8 rather than
// GB18030: valid UTF-8, or mostly so (a stray bad byte later is reported on
// its row, not taken as a sign of another encoding).
func looksUTF8(b []byte) bool {
	if utf8.Valid(b) {
		return true
	}
	var good, bad int
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			if len(b) < utf8.UTFMax && !utf8.FullRune(b) {
				break // cut at the end of the sample
			}
			bad++
		} else if n > 1 {
			good++
		}
		b = b[n:]
	}
	return good > 4*bad
}

type lineTooLong struct{}

func (*lineTooLong) Error() string { return "line too long" }

// lineLimiter fails a read once more than maxLineBytes pass without a
// newline, so that a file with no line breaks cannot exhaust memory.
type lineLimiter struct {
	r   io.Reader
	run int
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, c := range p[:n] {
		if c == '\n' {
			l.run = 0
		} else {
			l.run++
		}
	}
	if l.run > maxLineBytes {
		return n, &lineTooLong{}
	}
	return n, err
}

// openXLSX opens a workbook after checking its zip directory against l:
// from file in place when there is one, else read into memory from r.
func (l Limits) openXLSX(name string, r io.Reader, file *os.File) (*RowReader, error) {
	var f *excelize.File
	if file != nil {
		st, err := file.Stat()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		if st.Size() > l.FileBytes {
			return nil, limitErr("file.xlsx_file_larger_than", name)
		}
		zr, err := l.checkZip(name, file, st.Size())
		if err != nil {
			return nil, err
		}
		if err := refuseFormulas(name, zr); err != nil {
			return nil, err
		}
		if f, err = excelize.OpenFile(file.Name(), l.excelizeOptions()); err != nil {
			return nil, fileErr("file.file_not_valid_xlsx", name, err)
		}
	} else {
		b, err := io.ReadAll(io.LimitReader(r, l.FileBytes+1))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		if int64(len(b)) > l.FileBytes {
			return nil, limitErr("file.xlsx_file_larger_than", name)
		}
		zr, err := l.checkZip(name, bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return nil, err
		}
		if err := refuseFormulas(name, zr); err != nil {
			return nil, err
		}
		if f, err = excelize.OpenReader(bytes.NewReader(b), l.excelizeOptions()); err != nil {
			return nil, fileErr("file.file_not_valid_xlsx", name, err)
		}
	}
	sheets := f.GetSheetList()
	if len(sheets) != 1 {
		f.Close()
		return nil, fileErr("file.workbook_has_sheets_keep", len(sheets), strings.Join(sheets, ", "))
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		f.Close()
		return nil, fileErr("file.cannot_read_sheet", sheets[0], err)
	}
	line := 0
	rr := &RowReader{name: name, xlsx: true, closeFn: func() error { rows.Close(); return f.Close() }}
	rr.next = func() ([]string, int, error) {
		if !rows.Next() {
			if err := rows.Error(); err != nil {
				return nil, line, err
			}
			return nil, line, io.EOF
		}
		line++
		cols, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err == nil && len(cols) > l.Fields {
			err = &registry.RowError{FieldError: fieldErr("", "file.line_has_too_many_fields", line, len(cols), l.Fields)}
		}
		if err == nil {
			err = l.cellTooLong(line, cols)
		}
		return cols, line, err
	}
	if err := rr.readHeader(); err != nil {
		rr.Close()
		return nil, err
	}
	return rr, nil
}

// refuseFormulas refuses a workbook with a formula in any cell: its value
// would be whatever Excel last computed, or nothing.
func refuseFormulas(name string, zr *zip.Reader) error {
	if cell, err := findFormula(zr); err != nil {
		return fileErr("file.file_not_valid_xlsx", name, err)
	} else if cell != "" {
		return fileErr("file.cell_holds_formula_copy", cell)
	}
	return nil
}

// findFormula returns the reference of the first cell in the workbook that
// holds a formula, reading the sheets' XML as a stream (their sizes were
// checked on the zip's directory).
func findFormula(zr *zip.Reader) (string, error) {
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "xl/worksheets/") || !strings.HasSuffix(zf.Name, ".xml") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return "", err
		}
		d := xml.NewDecoder(rc)
		cell := ""
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				rc.Close()
				return "", err
			}
			if se, ok := tok.(xml.StartElement); ok {
				switch se.Name.Local {
				case "c":
					for _, a := range se.Attr {
						if a.Name.Local == "r" {
							cell = a.Value
						}
					}
				case "f":
					rc.Close()
					return cell, nil
				}
			}
		}
		rc.Close()
	}
	return "", nil
}

// readHeader maps the header row's columns and rejects unknown, duplicate
// and missing ones.
func (rr *RowReader) readHeader() error {
	var header []string
	var err error
	for {
		header, _, err = rr.next()
		if err == io.EOF {
			return &registry.ImportError{Errors: registry.ValidationErrors{fieldErr("", "file.file_empty", rr.name)}, Total: 1}
		}
		var rowErr *registry.RowError
		if errors.As(err, &rowErr) {
			return &registry.ImportError{Errors: registry.ValidationErrors{rowErr.FieldError}, Total: 1}
		}
		if err != nil {
			return err
		}
		if !blankRow(header) {
			break
		}
	}
	var errs registry.ValidationErrors
	if len(header) > maxImportCols {
		errs = append(errs, fieldErr("", "file.header_has_columns_more", len(header), maxImportCols))
		return &registry.ImportError{Errors: errs, Total: len(errs)}
	}
	seen := map[int]string{}
	rr.cols = make([]int, len(header))
	rr.dates = make([]bool, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		if h == "" && i == len(header)-1 {
			rr.cols[i] = -1
			continue
		}
		idx, ok := fieldByHeader[headerKey(h)]
		if !ok {
			fe := fieldErr("", "file.unknown_column_use_template", h)
			fe.Line, fe.Column = 1, h
			errs = append(errs, fe)
			rr.cols[i] = -1
			continue
		}
		if prev, dup := seen[idx]; dup {
			fe := fieldErr("", "file.column_repeats", h, prev)
			fe.Line, fe.Column = 1, h
			errs = append(errs, fe)
		}
		seen[idx] = h
		if rr.headers == nil {
			rr.headers = map[string]string{}
		}
		rr.headers[registry.Fields[idx].Name] = h
		rr.cols[i] = idx
		rr.dates[i] = registry.Fields[idx].Kind == registry.KindDate
	}
	for idx, f := range registry.Fields {
		if _, ok := seen[idx]; f.Required && !ok {
			fe := fieldErr("", "file.required_column_missing", f.ZH, f.Name)
			fe.Line, fe.Column = 1, f.Name
			errs = append(errs, fe)
		}
	}
	rr.width = len(header)
	if len(errs) > 0 {
		return &registry.ImportError{Errors: errs, Total: len(errs)}
	}
	return nil
}

func blankRow(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// Next returns the next row as an registry.Input, a *registry.RowError for a row that cannot
// be read (collected by Import with the other errors), or io.EOF.
func (rr *RowReader) Next() (registry.Input, error) {
	if rr.nextInput != nil {
		return rr.nextInput()
	}
	for {
		rec, line, err := rr.next()
		if err != nil {
			return registry.Input{}, err
		}
		if blankRow(rec) {
			continue
		}
		in := registry.Input{Line: line, Headers: rr.headers}
		if len(rec) > rr.width {
			extra := rec[rr.width:]
			if !blankRow(extra) {
				return registry.Input{}, &registry.RowError{FieldError: registry.FieldError{Line: line, Message: registry.Message{Key: "file.too_many_fields", Args: []any{line, len(rec), rr.width}}}}
			}
		}
		for i, v := range rec {
			if i >= len(rr.cols) || rr.cols[i] < 0 {
				continue
			}
			if rr.xlsx && rr.dates[i] {
				v = excelDate(v)
			}
			// A cell the registry's own CSV neutralised reads as its value.
			v = PlainCell(v)
			registry.Fields[rr.cols[i]].Set(&in, v)
		}
		return in, nil
	}
}

// excelDate turns an Excel date serial (days since 1899-12-30, as a raw
// date cell holds) into YYYY-MM-DD, and leaves any other text alone.
func excelDate(v string) string {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f < 1 || f > 2958465 || strings.ContainsAny(v, "-/年") {
		return v
	}
	d := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(math.Floor(f)))
	return d.Format(registry.DateLayout)
}

// Close releases the file.
func (rr *RowReader) Close() error {
	if rr.closeFn != nil {
		return rr.closeFn()
	}
	return nil
}

// fileErr is a problem of the whole file: nothing of it is imported.
func fileErr(key string, args ...any) error {
	return &registry.ImportError{Errors: registry.ValidationErrors{fieldErr("", key, args...)}, Total: 1}
}

// fieldErr is a problem of the file: a message of the catalogue.
func fieldErr(field, key string, args ...any) registry.FieldError {
	return registry.FieldError{Field: field, Message: registry.Message{Key: key, Args: args}}
}
