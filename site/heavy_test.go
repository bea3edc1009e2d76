package site

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/certreg/certreg/signing"
)

// deepPNGBomb is the 4000×4000 16-bit RGBA PNG of issue 13: 128 MB of
// pixels in about 125 KB.
func deepPNGBomb(t testing.TB) []byte {
	t.Helper()
	var out bytes.Buffer
	chunk := func(typ string, data []byte) {
		binary.Write(&out, binary.BigEndian, uint32(len(data)))
		out.WriteString(typ)
		out.Write(data)
		binary.Write(&out, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	out.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 4000)
	binary.BigEndian.PutUint32(ihdr[4:], 4000)
	ihdr[8], ihdr[9] = 16, 6
	chunk("IHDR", ihdr)
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	row := make([]byte, 1+4000*8)
	for range 4000 {
		zw.Write(row)
	}
	zw.Close()
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}

// xlsxBomb is a zip holding part, of size bytes of filler: excelize never
// gets to see it whole.
func xlsxBomb(t testing.TB, part, head, filler, tail string, size int) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, p := range []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml"} {
		if p != part {
			w, _ := zw.Create(p)
			w.Write([]byte(`<?xml version="1.0"?><x/>`))
		}
	}
	w, _ := zw.Create(part)
	w.Write([]byte(head))
	chunk := []byte(strings.Repeat(filler, (1<<20)/len(filler)))
	for n := 0; n < size; n += len(chunk) {
		w.Write(chunk)
	}
	w.Write([]byte(tail))
	zw.Close()
	return b.Bytes()
}

// heapDuring returns how many bytes the process allocated while f ran.
func heapDuring(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// The bombs of issue 13 are refused over HTTP with 413 and a message in
// each language naming what is too large, taking little memory: the
// 16-bit PNG that took 271 MB, the batch workbook of a million shared
// strings that took 226 MB.
func TestBombUploadsRefusedIn413(t *testing.T) {
	_, ts := verifySite(t, demoRegistry(t), Limits{LookupBurst: 1000, BatchBurst: 1000})
	png := deepPNGBomb(t)
	sst := xlsxBomb(t, "xl/sharedStrings.xml", `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`, `<si><t>a</t></si>`, `</sst>`, 16<<20)
	for _, tc := range []struct {
		path, field string
		file        []byte
		zh, en      string
	}{
		{"/verify/image", "image", png, "解码需要约 138 MB 内存，超过上限 80 MB", "would take about 138 MB of memory to decode, over the limit of 80 MB"},
		{"/verify/batch", "file", sst, "xl/sharedStrings.xml 解压后有 17 MB，超过 8 MB", "xl/sharedStrings.xml unpacks to 17 MB, more than 8 MB"},
	} {
		for _, lang := range []string{"", "/en"} {
			var r response
			used := heapDuring(func() { r = upload(t, ts, lang+tc.path, tc.field, "bomb", tc.file) })
			want := tc.zh
			if lang != "" {
				want = tc.en
			}
			if r.status != http.StatusRequestEntityTooLarge || !strings.Contains(r.body, want) {
				t.Errorf("%s%s: %d, want 413 with %q", lang, tc.path, r.status, want)
			}
			if used > 24<<20 {
				t.Errorf("%s%s: the refusal allocated %d MiB", lang, tc.path, used>>20)
			}
		}
	}
}

// Decoding takes turns within a memory budget: while every turn is
// taken, or the memory is, a QR image waits briefly and is then answered
// 503 with Retry-After; one client's second upload while its first is in
// hand is 429; once the work is done, the same image is read.
func TestHeavyWorkTakesTurns(t *testing.T) {
	store := demoRegistry(t)
	s := New(store, Config{BaseURL: testBase, Keys: signing.NewMemoryKeys(), Limits: Limits{LookupBurst: 1000},
		Heavy: Heavy{Images: 1, Memory: 64 << 20, Wait: 50 * time.Millisecond}})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	n := sampleNumber(t, "valid")
	img := qrPNG(t, qrURL(t, s, n))
	read := func(want int, says string) {
		t.Helper()
		r := upload(t, ts, "/en/verify/image", "image", "qr.png", img)
		if r.status != want || !strings.Contains(r.body, says) {
			t.Fatalf("%d, want %d saying %q", r.status, want, says)
		}
		if want != 200 && r.header.Get("Retry-After") == "" {
			t.Errorf("%d without Retry-After", r.status)
		}
	}
	read(200, n)

	ctx := context.Background()
	s.heavy.images.Acquire(ctx, 1) // another image is being decoded
	read(503, "the server is processing as many files as it takes at once")
	s.heavy.images.Release(1)
	s.heavy.memory.Acquire(ctx, 64<<20) // other work holds the memory
	read(503, "try again in 1 seconds")
	s.heavy.memory.Release(64 << 20)

	req := httptest.NewRequest("POST", "/verify/image", nil)
	req.RemoteAddr = "127.0.0.1:1234" // the test client's address
	j, err := s.heavy.admit(httptest.NewRecorder(), req, 0)
	if err != nil {
		t.Fatal(err)
	}
	read(429, "your previous file is still being processed")
	j.done()
	read(200, n)
}

// A publisher's workbook whose styles unpack a thousandfold is refused
// with 413 in the console, naming the part, and nothing is kept for
// confirmation.
func TestConsoleUploadBombRefused(t *testing.T) {
	f := newConsoleFixture(t)
	b := f.signedIn(t, "alice", alicePass)
	bomb := xlsxBomb(t, "xl/styles.xml", `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`, " ", `</styleSheet>`, 64<<20)
	var r response
	used := heapDuring(func() { r = b.upload("certificates.xlsx", bomb) })
	if r.status != http.StatusRequestEntityTooLarge || !strings.Contains(r.body, "xl/styles.xml 解压后有 65 MB，超过 8 MB") {
		t.Errorf("%d: %s", r.status, r.body)
	}
	if strings.Contains(r.body, "/confirm") {
		t.Error("a refused file can be confirmed")
	}
	if used > 32<<20 {
		t.Errorf("the refusal allocated %d MiB", used>>20)
	}
}
