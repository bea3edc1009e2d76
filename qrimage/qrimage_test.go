package qrimage_test

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"runtime"
	"strings"
	"testing"

	"github.com/certreg/certreg/qrimage"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
)

const benchURL = "HTTPS://CERTREG.EXAMPLE.CN/V/5BAVSZLMRKO2RPUNDZWCOZDEFGZOTLFOMFOU2W2OHONJTOT5IXXTDVT6PWGCUNQ6CNCNZK6QQCPIM34YEB725TG2AHWH6NNXKTFMKQ2IOAAA/JSAC.2026.0007"

func BenchmarkQRPNG256(b *testing.B) {
	for b.Loop() {
		if _, err := qrimage.PNG(benchURL, 256); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkQRSVG(b *testing.B) {
	for b.Loop() {
		if _, err := qrimage.SVG(benchURL); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkQREncode is the symbol alone (Reed–Solomon and the mask),
// and BenchmarkQRDrawPNG256 the drawing of an encoded symbol: the two
// halves of BenchmarkQRPNG256.
func BenchmarkQREncode(b *testing.B) {
	for b.Loop() {
		if _, err := qrimage.Encode(benchURL); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkQRDrawPNG256(b *testing.B) {
	sym, err := qrimage.Encode(benchURL)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := sym.PNG(256); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkQRPNGCached is what serving a QR image costs once generated.
func BenchmarkQRPNGCached(b *testing.B) {
	c := qrimage.NewCache(1000)
	c.PNG(benchURL, 256)
	for b.Loop() {
		if _, err := c.PNG(benchURL, 256); err != nil {
			b.Fatal(err)
		}
	}
}

// A drawn QR code reads back to its content, from the PNG as uploaded; a
// file that is not one says why, each way with its own error code.
func TestDrawAndReadBack(t *testing.T) {
	png, err := qrimage.PNG(benchURL, 256)
	if err != nil {
		t.Fatal(err)
	}
	got, err := qrimage.DecodeUpload(png)
	if err != nil || got != benchURL {
		t.Fatalf("read back %q, %v; want %q", got, err, benchURL)
	}
	sym, err := qrimage.Encode(benchURL)
	if err != nil || len(sym) > 4*qrimage.MaxVersion+17+8 {
		t.Fatalf("symbol of %d modules: %v", len(sym), err)
	}
	for name, tc := range map[string]struct {
		b    []byte
		code string
	}{
		"empty":     {nil, registry.EINVALID},
		"too large": {make([]byte, qrimage.MaxUploadBytes+1), registry.ETOOLARGE},
		"pdf":       {[]byte("%PDF-1.7\n"), registry.EUNSUPPORTED},
		"text":      {[]byte("hello"), registry.EUNSUPPORTED},
		"truncated": {png[:60], registry.EUNREADABLE},
	} {
		if _, err := qrimage.DecodeUpload(tc.b); registry.ErrorCode(err) != tc.code {
			t.Errorf("%s: %v, want code %s", name, err, tc.code)
		}
	}
}

// bombPNG is a PNG of w×h pixels of one colour at the given depth and
// colour type: all zeros, so that it compresses about a thousandfold (a
// 4000×4000 16-bit RGBA image is about 125 KB), as a decompression bomb is.
func bombPNG(t testing.TB, w, h, depth int, colour byte, interlace byte) []byte {
	t.Helper()
	chunk := func(buf *bytes.Buffer, typ string, data []byte) {
		binary.Write(buf, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		buf.WriteString(typ)
		buf.Write(data)
		binary.Write(buf, binary.BigEndian, crc.Sum32())
	}
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9], ihdr[12] = byte(depth), colour, interlace
	chunk(&out, "IHDR", ihdr)
	channels := map[byte]int{0: 1, 2: 3, 4: 2, 6: 4}[colour]
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	row := make([]byte, 1+w*channels*depth/8)
	for range h {
		zw.Write(row)
	}
	zw.Close()
	chunk(&out, "IDAT", z.Bytes())
	chunk(&out, "IEND", nil)
	return out.Bytes()
}

// allocated returns how many bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A small file that declares a huge or deep image is refused from its
// header, with the size and depth it declares, before a pixel is decoded:
// the 129 KB 4000×4000 16-bit PNG that took 271 MB to decode now takes
// nothing.
func TestUploadBombsRefusedFromTheirHeader(t *testing.T) {
	jpegSOF := func(marker byte, w, h uint16, comps byte) []byte {
		b := []byte{0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, marker, 0, byte(8 + 3*int(comps)), 8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), comps}
		for i := range comps {
			b = append(b, i+1, 0x11, 0)
		}
		return append(b, 0xff, 0xd9)
	}
	for _, tc := range []struct {
		name string
		b    []byte
		code string
		msg  string
	}{
		{"16-bit RGBA 4000×4000", bombPNG(t, 4000, 4000, 16, 6, 0), registry.ETOOLARGE, "4000×4000 pixels, 16 bits a channel) would take about 138 MB"},
		{"8-bit RGB interlaced 4000×4000", bombPNG(t, 4000, 4000, 8, 2, 1), registry.ETOOLARGE, "about 138 MB of memory"},
		{"grey 5000×4000", bombPNG(t, 5000, 4000, 8, 0, 0), registry.ETOOLARGE, "5000×4000 pixels, at most 16 million"},
		{"progressive JPEG 4000×3000", jpegSOF(0xc2, 4000, 3000, 3), registry.ETOOLARGE, "not progressive"},
		{"lossless JPEG", jpegSOF(0xc3, 400, 300, 3), registry.EUNREADABLE, "damaged"},
		{"PNG of colour type 5", bombPNG(t, 40, 40, 8, 5, 0), registry.EUNREADABLE, "damaged"},
	} {
		var err error
		n := allocated(func() { _, err = qrimage.DecodeUpload(tc.b) })
		if registry.ErrorCode(err) != tc.code || !strings.Contains(english(err), tc.msg) {
			t.Errorf("%s (%d bytes): %v, want %s saying %q", tc.name, len(tc.b), english(err), tc.code, tc.msg)
		}
		if n > 1<<20 {
			t.Errorf("%s: refusing it allocated %d KiB", tc.name, n>>10)
		}
	}
}

// Images within the budget are read in every depth and colour model the
// decoders produce, a transparent background counting as white, and
// reading one takes no more memory than Inspect reserved for it.
func TestUploadsOfEveryDepthRead(t *testing.T) {
	sym, err := qrimage.Encode(benchURL)
	if err != nil {
		t.Fatal(err)
	}
	const scale = 8
	n := len(sym) * scale
	dark := func(x, y int) bool { return sym[y/scale][x/scale] }
	draw := map[string]image.Image{}
	g16 := image.NewGray16(image.Rect(0, 0, n, n))
	rgba64 := image.NewNRGBA64(image.Rect(0, 0, n, n))
	nrgba := image.NewNRGBA(image.Rect(0, 0, n, n))
	pal := image.NewPaletted(image.Rect(0, 0, n, n), color.Palette{color.White, color.Black})
	for y := range n {
		for x := range n {
			if dark(x, y) {
				g16.SetGray16(x, y, color.Gray16{0x1000})
				rgba64.SetNRGBA64(x, y, color.NRGBA64{0x2000, 0x1000, 0x3000, 0xffff})
				nrgba.SetNRGBA(x, y, color.NRGBA{0, 0, 40, 255}) // dark ink on a transparent page
				pal.SetColorIndex(x, y, 1)
			} else {
				g16.SetGray16(x, y, color.Gray16{0xf000})
				rgba64.SetNRGBA64(x, y, color.NRGBA64{0xffff, 0xffff, 0xffff, 0xffff})
			}
		}
	}
	draw["grey16.png"], draw["rgba64.png"], draw["transparent.png"], draw["palette.png"] = g16, rgba64, nrgba, pal
	draw["photo.jpg"] = rgba64
	for name, img := range draw {
		var buf bytes.Buffer
		if strings.HasSuffix(name, ".jpg") {
			jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
		} else {
			png.Encode(&buf, img)
		}
		h, err := qrimage.Inspect(buf.Bytes())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got string
		used := allocated(func() { got, err = qrimage.DecodeUpload(buf.Bytes()) })
		if err != nil || got != benchURL {
			t.Errorf("%s: read %q, %v", name, got, err)
		}
		// The QR reader's own tables (a bit matrix, black points) come on
		// top of the image: a few bytes a pixel at most.
		if limit := uint64(h.Cost) + uint64(n*n)/2 + 4<<20; used > limit {
			t.Errorf("%s: decoding took %d KiB, reserved %d KiB", name, used>>10, h.Cost>>10)
		}
	}
}

// english is err's message in English, as the site shows it.
func english(err error) string {
	var re *registry.Error
	if !errors.As(err, &re) {
		return fmt.Sprint(err)
	}
	return i18n.EN.Render(re)
}

// The PNG drawn by hand is the very file image/png writes for the same
// paletted image (so that the live site's and the export's images keep
// their bytes), at every size served and at odd sizes, and decodes to the
// symbol's modules.
func TestPNGIsImagePNGs(t *testing.T) {
	for _, content := range []string{benchURL, "HTTPS://X.CN/V/A/1", strings.Repeat("9", 120)} {
		sym, err := qrimage.Encode(content)
		if err != nil {
			t.Fatal(err)
		}
		for _, size := range []int{1, 50, 256, 300, 512, 1024, 4000} {
			got, err := sym.PNG(size)
			if err != nil {
				t.Fatal(err)
			}
			n := len(sym)
			scale := max(1, size/n)
			img := image.NewPaletted(image.Rect(0, 0, n*scale, n*scale), color.Palette{color.White, color.Black})
			for y := range n * scale {
				for x := range n * scale {
					if sym[y/scale][x/scale] {
						img.SetColorIndex(x, y, 1)
					}
				}
			}
			var want bytes.Buffer
			if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&want, img); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Errorf("%d modules at %d px: %d bytes differ from image/png's %d", n, size, len(got), want.Len())
			}
			dec, err := png.Decode(bytes.NewReader(got))
			if err != nil {
				t.Fatalf("%d px: %v", size, err)
			}
			for y := range n * scale {
				for x := range n * scale {
					r, _, _, _ := dec.At(x, y).RGBA()
					if (r == 0) != sym[y/scale][x/scale] {
						t.Fatalf("%d px: pixel %d,%d is not its module", size, x, y)
					}
				}
			}
		}
	}
}

// BenchmarkQRDrawPNGAll draws the three PNG sizes the site serves from one
// symbol, as the static export does for every certificate.
func BenchmarkQRDrawPNGAll(b *testing.B) {
	sym, err := qrimage.Encode(benchURL)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		for _, size := range []int{256, 512, 1024} {
			if _, err := sym.PNG(size); err != nil {
				b.Fatal(err)
			}
		}
	}
}
