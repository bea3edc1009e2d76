package fileformat_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/certreg/certreg/demo"
	"github.com/certreg/certreg/fileformat"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
)

// bombPart is a zip part of head, body n times, and tail, deflated as a
// bomb's maker would: each piece compressed once and flushed to a byte
// boundary, so that body's stream repeats as it is. Making a gigabyte
// part takes milliseconds.
type bombPart struct {
	name             string
	head, body, tail string
	n                int
}

// bombXLSX is a one-sheet workbook made by excelize with parts replaced
// by bombs.
func bombXLSX(t testing.TB, parts ...bombPart) []byte {
	t.Helper()
	f := excelize.NewFile()
	f.SetCellStr("Sheet1", "A1", "证书编号")
	var base bytes.Buffer
	if err := f.Write(&base); err != nil {
		t.Fatal(err)
	}
	zr, _ := zip.NewReader(bytes.NewReader(base.Bytes()), int64(base.Len()))
	replaced := map[string]bool{}
	for _, p := range parts {
		replaced[p.name] = true
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
		if replaced[zf.Name] {
			continue
		}
		rc, _ := zf.Open()
		w, _ := zw.Create(zf.Name)
		io.Copy(w, rc)
		rc.Close()
	}
	deflate := func(s string, final bool) []byte {
		var b bytes.Buffer
		fw, _ := flate.NewWriter(&b, flate.BestCompression)
		fw.Write([]byte(s))
		if final {
			fw.Close()
		} else {
			fw.Flush()
		}
		return b.Bytes()
	}
	for _, p := range parts {
		h, b, tl := deflate(p.head, false), deflate(p.body, false), deflate(p.tail, true)
		crc := crc32.ChecksumIEEE([]byte(p.head))
		for range p.n {
			crc = crc32.Update(crc, crc32.IEEETable, []byte(p.body))
		}
		crc = crc32.Update(crc, crc32.IEEETable, []byte(p.tail))
		w, err := zw.CreateRaw(&zip.FileHeader{Name: p.name, Method: zip.Deflate, CRC32: crc,
			CompressedSize64:   uint64(len(h) + p.n*len(b) + len(tl)),
			UncompressedSize64: uint64(len(p.head) + p.n*len(p.body) + len(p.tail))})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(h)
		for range p.n {
			w.Write(b)
		}
		w.Write(tl)
	}
	zw.Close()
	return out.Bytes()
}

const xmlHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

// stylesBomb is styles.xml of mib mebibytes, mostly white space.
func stylesBomb(mib int) bombPart {
	return bombPart{"xl/styles.xml",
		xmlHead + `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>`,
		strings.Repeat(" ", 1<<20-18) + `<xf numFmtId="0"/>`, `</cellXfs></styleSheet>`, mib}
}

// sheetBomb is a worksheet of mib mebibytes of rows.
func sheetBomb(mib int) bombPart {
	row := `<row><c t="inlineStr"><is><t>SAC-2024-0001</t></is></c></row>`
	return bombPart{"xl/worksheets/sheet1.xml",
		xmlHead + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`,
		strings.Repeat(" ", 1<<20-len(row)) + row, `</sheetData></worksheet>`, mib}
}

// sharedStringsBomb is a shared-strings table of about mib mebibytes of
// one-letter strings: 64,000 of them a mebibyte.
func sharedStringsBomb(mib int) bombPart {
	return bombPart{"xl/sharedStrings.xml",
		xmlHead + `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`,
		strings.Repeat(`<si><t>a</t></si>`, 1<<16), `</sst>`, mib}
}

// heapUsed returns how many bytes f allocates on the heap.
func heapUsed(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func english(err error) string {
	var ie *registry.ImportError
	var re *registry.Error
	switch {
	case errors.As(err, &ie) && len(ie.Errors) > 0:
		return i18n.EN.Render(ie.Errors[0])
	case errors.As(err, &re):
		return i18n.EN.Render(re)
	}
	return fmt.Sprint(err)
}

// Workbooks that unpack far beyond their size are refused from their zip
// directory, each with the part and the limit it passes, before a byte is
// unzipped: the heap hardly moves, where reading them took gigabytes (a
// 997 KB file whose styles.xml unpacks to 1 GB took 3,068 MB) or most of
// a minute of CPU (a sheet of 1.2 GB).
func TestXLSXBombsRefusedBeforeUnzipping(t *testing.T) {
	manyParts := func() []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for i := range 2000 {
			zw.Create(fmt.Sprintf("xl/media/x%d.xml", i))
		}
		zw.Close()
		return b.Bytes()
	}()
	for _, tc := range []struct {
		name string
		file []byte
		msg  string
	}{
		{"styles.xml of 1 GB", bombXLSX(t, stylesBomb(1024)), "xl/styles.xml unpacks to 1025 MB, more than 8 MB"},
		{"styles.xml of 6 MB", bombXLSX(t, stylesBomb(6)), "xl/styles.xml unpacks to 956 times its zipped size, more than 100 times"}, // under the part limit
		{"sheet of 1.2 GB", bombXLSX(t, sheetBomb(1200)), "xl/worksheets/sheet1.xml unpacks to 1201 MB, more than 256 MB"},
		{"sheet of 200 MB", bombXLSX(t, sheetBomb(200)), "times its zipped size, more than 100 times"},
		{"2,000 parts", manyParts, "holds 2000 parts, more than 1000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			used := heapUsed(func() { _, err = fileformat.OpenRows("bomb.xlsx", bytes.NewReader(tc.file)) })
			if !fileformat.TooLarge(err) || !strings.Contains(english(err), tc.msg) {
				t.Errorf("%d KB file: %q (too large: %v), want %q", len(tc.file)>>10, english(err), fileformat.TooLarge(err), tc.msg)
			}
			// The file itself is read into memory (no *os.File here), twice
			// at most; nothing is unzipped.
			if limit := uint64(2*len(tc.file)) + 2<<20; used > limit {
				t.Errorf("refusing it took %d KiB of heap", used>>10)
			}
		})
	}
	// Batch files have smaller limits: a million shared strings (18 MB
	// from 45 KB; 226 MB of excelize's structures) are refused.
	sst := bombXLSX(t, sharedStringsBomb(16)) // 16 × 65,536 strings of 18 bytes
	var err error
	used := heapUsed(func() { _, err = fileformat.ReadBatch("list.xlsx", sst) })
	if registry.ErrorCode(err) != registry.ETOOLARGE || !strings.Contains(english(err), "xl/sharedStrings.xml unpacks to 18 MB, more than 8 MB") {
		t.Errorf("shared strings bomb: %v %q", registry.ErrorCode(err), english(err))
	}
	if used > 4<<20 {
		t.Errorf("refusing the batch bomb took %d KiB of heap", used>>10)
	}
}

// A real workbook of 8,000 certificates is well within the limits, read
// from a file in place (without copying it into memory) and from a
// stream alike; a line (CSV or XLSX) of too many fields, or with a cell
// too long, is refused on its line.
func TestLimitsLetRealFilesThrough(t *testing.T) {
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	header := fileformat.CSVHeader()
	hrow := make([]any, len(header))
	for i, h := range header {
		hrow[i] = h
	}
	sw.SetRow("A1", hrow)
	next := demo.SyntheticRows(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), 8_000)
	for i := 2; ; i++ {
		in, err := next()
		if err != nil {
			break
		}
		row := make([]any, len(registry.Fields))
		for j, fd := range registry.Fields {
			row[j] = fd.Value(&in)
		}
		cell, _ := excelize.CoordinatesToCellName(1, i)
		sw.SetRow(cell, row)
	}
	sw.Flush()
	path := filepath.Join(t.TempDir(), "certificates.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	count := func(rr *fileformat.RowReader, err error) int {
		t.Helper()
		if err != nil {
			t.Fatalf("%s", english(err))
		}
		defer rr.Close()
		n := 0
		for {
			_, err := rr.Next()
			if err == io.EOF {
				return n
			}
			if err != nil {
				t.Fatalf("row %d: %s", n+1, english(err))
			}
			n++
		}
	}
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if n := count(fileformat.OpenRows("certificates.xlsx", file)); n != 8_000 {
		t.Errorf("from the file: %d rows", n)
	}
	b, _ := os.ReadFile(path)
	if n := count(fileformat.OpenRows("certificates.xlsx", bytes.NewReader(b))); n != 8_000 {
		t.Errorf("from a stream: %d rows", n)
	}

	wide := make([]any, 1100)
	for i := range wide {
		wide[i] = "x"
	}
	for name, tc := range map[string]struct {
		rows [][]any
		msg  string
	}{
		"xlsx fields": {[][]any{hrow, wide}, "line 2 has 1100 fields, more than 1024"},
		"xlsx cell":   {[][]any{hrow, {strings.Repeat("很", 12<<10)}}, "line 2 has a cell longer than 32 KB"},
	} {
		rr, err := fileformat.OpenRows("x.xlsx", strings.NewReader(writeXLSX(t, tc.rows, nil)))
		if err == nil {
			_, err = rr.Next()
			rr.Close()
		}
		var re *registry.RowError
		if !errors.As(err, &re) || !strings.Contains(i18n.EN.Render(re.FieldError), tc.msg) {
			t.Errorf("%s: %v, want %q", name, err, tc.msg)
		}
	}
	for name, tc := range map[string]struct{ line, msg string }{
		"fields": {strings.Repeat(",", 2000), "line 2 has 2001 fields, more than 1024"},
		"cell":   {goodRow[:len(goodRow)-1] + strings.Repeat("很", 12<<10) + "\n", "line 2 has a cell longer than 32 KB"},
	} {
		rr, err := fileformat.OpenRows("x.csv", strings.NewReader(csvHeaderZH+tc.line))
		if err == nil {
			_, err = rr.Next()
		}
		var re *registry.RowError
		if !errors.As(err, &re) || !strings.Contains(i18n.EN.Render(re.FieldError), tc.msg) {
			t.Errorf("%s: %v, want %q", name, err, tc.msg)
		}
	}
}
