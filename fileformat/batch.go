package fileformat

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"

	"github.com/certreg/certreg/registry"
)

// MaxBatchBytes bounds an uploaded batch file: 1,000 lines of number
// and credit code fit in far less.
const MaxBatchBytes = 2 << 20

// ReadBatch reads an uploaded batch check named name: an XLSX workbook
// (first sheet, number in the first column, credit code in the second),
// within BatchLimits, or a CSV or text file in UTF-8 or GBK (as Excel on
// Chinese Windows saves it).
func ReadBatch(name string, b []byte) ([]registry.BatchLine, error) {
	badFile := registry.Errorf(registry.EINVALID, "file", "file.uploaded_file_cannot_read")
	if len(b) > MaxBatchBytes {
		return nil, registry.Errorf(registry.EINVALID, "file", "file.uploaded_file_too_large", MaxBatchBytes>>20)
	}
	if bytes.HasPrefix(b, []byte("PK\x03\x04")) {
		return readBatchXLSX(name, b)
	}
	if bytes.IndexByte(b, 0) >= 0 || bytes.HasPrefix(b, []byte("%PDF")) {
		return nil, badFile // a binary file: an image, a PDF, an .xls
	}
	if !utf8.Valid(b) {
		d, err := io.ReadAll(transform.NewReader(bytes.NewReader(b), simplifiedchinese.GB18030.NewDecoder()))
		if err != nil {
			return nil, badFile
		}
		b = d
	}
	return registry.ParseBatch(string(b))
}

// readBatchXLSX reads a batch workbook within BatchLimits: its zip
// directory is checked before anything is unzipped, and its rows are
// read as a stream, at most MaxBatch of them.
func readBatchXLSX(name string, b []byte) ([]registry.BatchLine, error) {
	badFile := registry.Errorf(registry.EINVALID, "file", "file.uploaded_file_cannot_read")
	lim := BatchLimits
	if _, err := lim.checkZip(name, bytes.NewReader(b), int64(len(b))); err != nil {
		var ie *registry.ImportError
		if TooLarge(err) && errors.As(err, &ie) {
			// A limit: say which, with a status that says so.
			m := ie.Errors[0].Message
			return nil, registry.Errorf(registry.ETOOLARGE, "file", m.Key, m.Args...)
		}
		return nil, badFile
	}
	f, err := excelize.OpenReader(bytes.NewReader(b), lim.excelizeOptions())
	if err != nil {
		return nil, badFile
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, badFile
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, badFile
	}
	defer rows.Close()
	var text strings.Builder
	for n := 0; rows.Next(); n++ {
		if n > registry.MaxBatch+1 {
			return nil, registry.Errorf(registry.EINVALID, "lines", "file.at_most_lines_can", registry.MaxBatch)
		}
		cols, err := rows.Columns()
		if err != nil {
			return nil, badFile
		}
		if len(cols) > 2 {
			cols = cols[:2]
		}
		for _, c := range cols {
			if len(c) > lim.CellBytes {
				return nil, registry.Errorf(registry.EINVALID, "file", "file.cell_too_long", n+1, lim.CellBytes>>10)
			}
		}
		text.WriteString(strings.Join(cols, ",") + "\n")
	}
	if rows.Error() != nil {
		return nil, badFile
	}
	return registry.ParseBatch(text.String())
}
