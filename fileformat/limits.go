package fileformat

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"path"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/certreg/certreg/registry"
)

// Limits bounds what reading one spreadsheet may take. An XLSX file is a
// zip of XML parts that can unpack a thousandfold (a 997 KB file whose
// styles.xml unpacks to 1 GB), so its zip directory is checked against
// these limits before a byte is unzipped, and excelize is told them too.
// Worksheets and the shared strings are read as streams (from a temporary
// file when large); every other part is read whole into memory.
type Limits struct {
	FileBytes   int64 // the file as uploaded
	Parts       int   // entries in the zip
	SheetBytes  int64 // a worksheet or the shared strings, unzipped
	PartBytes   int64 // any other part, unzipped
	MemoryBytes int64 // the parts read whole into memory, together
	TotalBytes  int64 // every part, unzipped
	// Ratio is the most a part over a mebibyte may unpack to, as a
	// multiple of its zipped size. Spreadsheets unpack about tenfold;
	// Apache POI refuses beyond a hundredfold, and so does this.
	Ratio int64
	// CellBytes bounds one cell (or CSV field), Fields one CSV line's
	// fields.
	CellBytes int
	Fields    int
}

// Import files (the console's uploads and `certreg import`): a file of
// 100,000 certificates unpacks to about 100 MB.
var ImportLimits = Limits{
	FileBytes:   MaxXLSXBytes,
	Parts:       1000,
	SheetBytes:  256 << 20,
	PartBytes:   8 << 20,
	MemoryBytes: 32 << 20,
	TotalBytes:  320 << 20,
	Ratio:       100,
	CellBytes:   32 << 10,
	Fields:      1024,
}

// Batch-check files: 1,000 lines of a number and a credit code.
var BatchLimits = Limits{
	FileBytes:   MaxBatchBytes,
	Parts:       256,
	SheetBytes:  8 << 20,
	PartBytes:   4 << 20,
	MemoryBytes: 8 << 20,
	TotalBytes:  16 << 20,
	Ratio:       100,
	CellBytes:   1 << 10,
	Fields:      1024,
}

// streamedBytes is the size above which excelize unzips a worksheet or the
// shared strings to a temporary file and reads it from there, instead of
// holding it in memory.
const streamedBytes = 1 << 20

// excelizeOptions are the limits as excelize takes them.
func (l Limits) excelizeOptions() excelize.Options {
	return excelize.Options{UnzipSizeLimit: l.TotalBytes, UnzipXMLSizeLimit: streamedBytes}
}

// streamed reports whether excelize reads the part as a stream.
func streamed(name string) bool {
	n := strings.ToLower(strings.ReplaceAll(name, `\`, "/"))
	return strings.HasPrefix(n, "xl/worksheets/sheet") || n == "xl/sharedstrings.xml"
}

// checkZip checks an XLSX file's zip directory against l before anything
// is unzipped, and returns the opened zip. The end record is read first,
// so that a directory of a million entries is refused before the zip
// reader makes a million records of it; the sizes the directory declares
// are then trusted, since the zip reader fails a part that unpacks to
// more than its declared size.
func (l Limits) checkZip(name string, r io.ReaderAt, size int64) (*zip.Reader, error) {
	notXLSX := func(err any) error { return fileErr("file.file_not_valid_xlsx", name, err) }
	tail := min(size, 22+65535)
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil && err != io.EOF {
		return nil, notXLSX(err)
	}
	end := bytes.LastIndex(buf, []byte("PK\x05\x06"))
	if end < 0 || len(buf)-end < 22 {
		return nil, notXLSX(zip.ErrFormat)
	}
	rec := buf[end:]
	entries := int64(binary.LittleEndian.Uint16(rec[10:12]))
	dirSize := int64(binary.LittleEndian.Uint32(rec[12:16]))
	dirOffset := int64(binary.LittleEndian.Uint32(rec[16:20]))
	if entries == 0xffff || dirSize == 0xffffffff || dirOffset == 0xffffffff {
		// Zip64: only for more than 65,535 parts or 4 GB, never a workbook.
		return nil, limitErr("file.xlsx_too_many_parts", name, entries, l.Parts)
	}
	// A directory record is 46 bytes and a name; the zip reader reads
	// records up to the end record, so the directory must end there.
	if entries > int64(l.Parts) {
		return nil, limitErr("file.xlsx_too_many_parts", name, entries, l.Parts)
	}
	if dirSize > int64(l.Parts)*(46+1024) {
		return nil, limitErr("file.xlsx_too_many_parts", name, dirSize/(46+1024), l.Parts) // at least
	}
	if dirOffset+dirSize != size-tail+int64(end) {
		return nil, notXLSX("the zip directory does not end where the zip does")
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, notXLSX(err)
	}
	if len(zr.File) > l.Parts {
		return nil, limitErr("file.xlsx_too_many_parts", name, len(zr.File), l.Parts)
	}
	var total, inMemory uint64
	for _, f := range zr.File {
		n := f.UncompressedSize64
		part := path.Clean("/" + f.Name)[1:]
		limit := uint64(l.PartBytes)
		if streamed(f.Name) {
			limit = uint64(l.SheetBytes)
		}
		if n > limit {
			return nil, limitErr("file.xlsx_part_too_large", name, part, mib(n), mib(limit))
		}
		if n > 1<<20 && (f.CompressedSize64 == 0 || n/f.CompressedSize64 > uint64(l.Ratio)) {
			return nil, limitErr("file.xlsx_part_compressed_too_much", name, part, n/max(f.CompressedSize64, 1), l.Ratio)
		}
		total += n
		if total > uint64(l.TotalBytes) {
			return nil, limitErr("file.xlsx_unpacks_too_large", name, mib(total), mib(uint64(l.TotalBytes)))
		}
		if !streamed(f.Name) || n <= streamedBytes {
			inMemory += n
			if inMemory > uint64(l.MemoryBytes) {
				return nil, limitErr("file.xlsx_unpacks_too_large", name, mib(inMemory), mib(uint64(l.MemoryBytes)))
			}
		}
	}
	return zr, nil
}

// mib is n bytes in whole mebibytes, rounded up.
func mib(n uint64) uint64 { return (n + 1<<20 - 1) >> 20 }

// cellTooLong is the error of a row with a cell longer than l allows.
func (l Limits) cellTooLong(line int, row []string) error {
	for _, c := range row {
		if len(c) > l.CellBytes {
			return &registry.RowError{FieldError: fieldErr("", "file.cell_too_long", line, (l.CellBytes+1023)>>10)}
		}
	}
	return nil
}

// limitError is a file refused for one of its Limits before it was read.
type limitError struct{ *registry.ImportError }

func (e *limitError) Unwrap() error { return e.ImportError }

func limitErr(key string, args ...any) error {
	return &limitError{fileErr(key, args...).(*registry.ImportError)}
}

// TooLarge reports whether err refuses a file for being larger, once
// unpacked, than its Limits allow (HTTP 413), rather than for its content.
func TooLarge(err error) bool {
	var le *limitError
	return errors.As(err, &le)
}
