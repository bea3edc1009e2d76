// Package qrimage draws QR codes (PNG and SVG, for printing on certificates
// and in bid documents) and reads them back from uploaded photos and
// screenshots, within bounds set before any pixel is decoded.
package qrimage

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"strconv"
	"sync"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/certreg/certreg/registry"
)

// Level is the error-correction level of every QR code the registry
// prints: M recovers about 15% of damaged modules, enough for a scan of a
// photocopy, while keeping the code at version 7 or lower.
const Level = qrcode.Medium

// MaxVersion is the largest QR code version a certificate's URL may need
// (45×45 modules): small enough to print at 2 cm and still scan.
const MaxVersion = 7

// New encodes content as a QR code at level M with a 4-module quiet zone.
func New(content string) (*qrcode.QRCode, error) {
	q, err := qrcode.New(content, Level)
	if err != nil {
		return nil, fmt.Errorf("qr %q: %w", content, err)
	}
	return q, nil
}

// Drawing names how Symbol draws its images: change it whenever PNG
// or SVG would draw a symbol differently, so that the static export draws
// its QR images again.
const Drawing = "certreg-qr/2 M png-1bit svg-runs"

// Symbol is a QR code's modules, quiet zone included (true is dark).
// Encoding the symbol (Reed–Solomon, then the mask with the least
// penalty) costs about as much as drawing it, so a caller that needs
// several images of one content encodes it once.
type Symbol [][]bool

// Encode encodes content as a QR symbol (see New).
func Encode(content string) (Symbol, error) {
	q, err := New(content)
	if err != nil {
		return nil, err
	}
	return q.Bitmap(), nil
}

// PNG returns content's QR code as a PNG (see Symbol.PNG).
func PNG(content string, size int) ([]byte, error) {
	sym, err := Encode(content)
	if err != nil {
		return nil, err
	}
	return sym.PNG(size)
}

// SVG returns content's QR code as an SVG drawing (see Symbol.SVG).
func SVG(content string) ([]byte, error) {
	sym, err := Encode(content)
	if err != nil {
		return nil, err
	}
	return sym.SVG(), nil
}

// PNG draws the symbol as a PNG of at most size×size pixels, with a whole
// number of pixels a module (at least one) so that every module has the
// same sharp edges: a scaled, uneven grid is harder to scan.
//
// The image is one bit a pixel with a two-colour palette (white, then
// black), its rows unfiltered and compressed at zlib's best speed: the
// bytes image/png writes for the same paletted image (a test checks), made
// without its per-pixel interface calls, which cost 40 times the
// compression at 1024 pixels: the static export draws three PNGs for
// every certificate.
func (sym Symbol) PNG(size int) ([]byte, error) {
	n := len(sym)
	scale := max(1, size/n)
	w := n * scale
	stride := 1 + (w+7)/8 // the filter byte (0: none), then the pixels
	raw := make([]byte, stride*w)
	for y, row := range sym {
		line := raw[y*scale*stride : (y*scale+1)*stride]
		for x, dark := range row {
			if dark {
				for i := x * scale; i < (x+1)*scale; i++ {
					line[1+i/8] |= 0x80 >> (i % 8)
				}
			}
		}
		for i := 1; i < scale; i++ { // the module's other pixel rows
			copy(raw[(y*scale+i)*stride:], line)
		}
	}
	var idat bytes.Buffer
	zw, _ := zlibWriters.Get().(*zlib.Writer)
	if zw == nil {
		var err error
		if zw, err = zlib.NewWriterLevel(&idat, zlib.BestSpeed); err != nil {
			return nil, err
		}
	} else {
		zw.Reset(&idat)
	}
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	zlibWriters.Put(zw)
	out := make([]byte, 0, 8+25+18+idat.Len()+12*(1+idat.Len()/pngChunkMax)+12)
	out = append(out, "\x89PNG\r\n\x1a\n"...)
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(w))
	ihdr[8], ihdr[9] = 1, 3 // one bit a pixel, paletted
	out = pngChunk(out, "IHDR", ihdr[:])
	out = pngChunk(out, "PLTE", []byte{0xff, 0xff, 0xff, 0, 0, 0})
	// image/png writes its compressed stream through a buffer of 32 KiB,
	// one IDAT chunk per buffer.
	for b := idat.Bytes(); len(b) > 0; {
		k := min(len(b), pngChunkMax)
		out = pngChunk(out, "IDAT", b[:k])
		b = b[k:]
	}
	return pngChunk(out, "IEND", nil), nil
}

const pngChunkMax = 1 << 15

// pngChunk appends a PNG chunk: length, type, data and the CRC of type
// and data.
func pngChunk(out []byte, typ string, data []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
	out = append(out, typ...)
	out = append(out, data...)
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	return binary.BigEndian.AppendUint32(out, crc.Sum32())
}

// zlibWriters reuse compressors: setting one up costs more than
// compressing a QR code.
var zlibWriters sync.Pool

// SVG draws the symbol as an SVG drawing, one unit a module. Each row's
// dark runs are one path segment, which keeps the file small and prints
// sharp at any size.
func (sym Symbol) SVG() []byte {
	n := len(sym)
	// Appended by hand rather than with fmt, into one buffer sized for
	// the worst case of a version-7 code: a certificate page draws one on
	// every request it renders.
	b := make([]byte, 0, 192+n*n*3)
	b = append(b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 `...)
	b = appendInt(b, n)
	b = append(b, ' ')
	b = appendInt(b, n)
	b = append(b, `" width="`...)
	b = appendInt(b, n*4)
	b = append(b, `" height="`...)
	b = appendInt(b, n*4)
	b = append(b, `" shape-rendering="crispEdges"><rect width="`...)
	b = appendInt(b, n)
	b = append(b, `" height="`...)
	b = appendInt(b, n)
	b = append(b, `" fill="#fff"/><path fill="#000" d="`...)
	for y, row := range sym {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			b = append(b, 'M')
			b = appendInt(b, start)
			b = append(b, ' ')
			b = appendInt(b, y)
			b = append(b, 'h')
			b = appendInt(b, x-start)
			b = append(b, "v1h-"...)
			b = appendInt(b, x-start)
			b = append(b, 'z')
		}
	}
	return append(b, `"/></svg>`+"\n"...)
}

// smallInts are the decimal forms of 0–255, the coordinates of every
// symbol up to version 40 with its quiet zone.
var smallInts = func() (t [256]string) {
	for i := range t {
		t[i] = strconv.Itoa(i)
	}
	return t
}()

func appendInt(b []byte, i int) []byte {
	if i >= 0 && i < len(smallInts) {
		return append(b, smallInts[i]...)
	}
	return strconv.AppendInt(b, int64(i), 10)
}

// Decode reads the QR code in img and returns its text.
//
// gozxing's finder-pattern detector misses about 1% of clean, valid codes
// (zbarimg reads the same images), so when it finds nothing Decode tries
// again in pure-barcode mode, which reads an upright code with its quiet
// zone (a screenshot or a generated image) without the detector.
func Decode(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	return decodeBitmap(bmp)
}

func decodeBitmap(bmp *gozxing.BinaryBitmap) (string, error) {
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		var err2 error
		res, err2 = zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
		if err2 != nil {
			return "", err
		}
	}
	return res.GetText(), nil
}

// Limits on an uploaded QR image: the bytes are bounded by the caller
// before reading; the pixel count and the memory that decoding would take
// are checked from the header before any pixel is decoded, so that a small
// file declaring a huge or deep image (a decompression bomb: a 129 KB PNG
// can declare 4000×4000 pixels of 16-bit colour, 128 MB decoded) is refused
// without allocating it.
const (
	MaxUploadBytes  = 5 << 20
	MaxUploadPixels = 16_000_000 // e.g. 4000×4000
	// MaxDecodeBytes is the memory one decode may take: the decoded image
	// and its grey copy. A 4000×4000 8-bit colour PNG (80 MB) fits; the
	// same in 16-bit colour (144 MB) does not.
	MaxDecodeBytes = 80 << 20
)

// Header is what an uploaded image's header declares, read without
// decoding a pixel.
type Header struct {
	Format        string // "png" or "jpeg"
	Width, Height int
	// Bits is the PNG's bits per sample (8 for a JPEG); Progressive says a
	// JPEG is progressive (it keeps every coefficient until the end).
	Bits        int
	Progressive bool
	// Cost is the memory, in bytes, that decoding the image and making its
	// grey copy takes at most.
	Cost int64
}

// Inspect reads an upload's header and checks it against the limits: the
// bytes, the format, the pixel count and the memory decoding would take.
// Every failure is a registry error whose message tells the reader what to
// do, its code saying which: EINVALID (nothing received), ETOOLARGE (too
// many bytes or pixels, or too deep to decode within MaxDecodeBytes),
// EUNSUPPORTED (not a PNG or JPEG) or EUNREADABLE (a damaged header).
func Inspect(b []byte) (Header, error) {
	if len(b) == 0 {
		return Header{}, registry.Errorf(registry.EINVALID, "image", "image.no_image_was_received")
	}
	if len(b) > MaxUploadBytes {
		return Header{}, tooLarge(len(b))
	}
	var h Header
	var ok bool
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		h, ok = pngHeader(b)
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		h, ok = jpegHeader(b)
	default:
		if bytes.HasPrefix(b, []byte("%PDF")) {
			return Header{}, registry.Errorf(registry.EUNSUPPORTED, "image", "image.is_pdf")
		}
		return Header{}, registry.Errorf(registry.EUNSUPPORTED, "image", "image.not_png_or_jpeg")
	}
	if !ok || h.Width <= 0 || h.Height <= 0 {
		return Header{}, registry.Errorf(registry.EUNREADABLE, "image", "image.image_damaged_cannot_read")
	}
	if h.Width > 20000 || h.Height > 20000 || h.Width*h.Height > MaxUploadPixels {
		return Header{}, registry.Errorf(registry.ETOOLARGE, "image", "image.too_many_pixels", h.Width, h.Height, MaxUploadPixels/10000, MaxUploadPixels/1_000_000)
	}
	if h.Cost > MaxDecodeBytes {
		return Header{}, registry.Errorf(registry.ETOOLARGE, "image", "image.too_deep_to_decode",
			h.Width, h.Height, h.Bits, (h.Cost+(1<<20)-1)>>20, MaxDecodeBytes>>20)
	}
	return h, nil
}

// pngHeader reads a PNG's IHDR chunk (always first). The standard
// library's decoder makes, for each colour type and depth, an image of
// 1 (grey, palette), 2 (16-bit grey), 4 (8-bit colour) or 8 (16-bit
// colour) bytes a pixel; an interlaced image is built from seven passes,
// each its own image, so it takes about twice that.
func pngHeader(b []byte) (Header, bool) {
	// signature (8), chunk length (4), "IHDR" (4), then width, height,
	// depth, colour type, compression, filter, interlace.
	if len(b) < 8+8+13 || string(b[12:16]) != "IHDR" {
		return Header{}, false
	}
	w, h := binary.BigEndian.Uint32(b[16:20]), binary.BigEndian.Uint32(b[20:24])
	if w > 1<<20 || h > 1<<20 {
		return Header{Format: "png", Width: 1 << 20, Height: 1 << 20}, true // refused for its pixels
	}
	depth, colour, interlace := int(b[24]), b[25], b[28]
	var bpp int64
	switch colour {
	case 0, 3: // grey, palette
		bpp = 1
		if depth == 16 {
			bpp = 2
		}
	case 2, 4, 6: // colour, grey with alpha, colour with alpha
		bpp = 4
		if depth == 16 {
			bpp = 8
		}
	default:
		return Header{}, false
	}
	px := int64(w) * int64(h)
	cost := px*bpp + px
	if interlace == 1 {
		cost += px * bpp
	}
	return Header{Format: "png", Width: int(w), Height: int(h), Bits: depth, Cost: cost}, true
}

// jpegHeader walks a JPEG's markers to its frame header (SOF). The
// standard library's decoder makes an image of at most 3 bytes a pixel
// (4 for CMYK); a progressive JPEG also keeps every component's
// coefficients, 4 bytes a sample, until its last scan.
func jpegHeader(b []byte) (Header, bool) {
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xff {
			return Header{}, false
		}
		marker := b[i+1]
		if marker == 0xff { // fill byte
			i++
			continue
		}
		if marker == 0xd8 || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7) {
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(b[i+2 : i+4]))
		if n < 2 || i+2+n > len(b) {
			return Header{}, false
		}
		seg := b[i+4 : i+2+n]
		switch marker {
		case 0xc0, 0xc1, 0xc2: // baseline, extended, progressive
			if len(seg) < 6 {
				return Header{}, false
			}
			h, w, comps := int64(binary.BigEndian.Uint16(seg[1:3])), int64(binary.BigEndian.Uint16(seg[3:5])), int64(seg[5])
			if comps != 1 && comps != 3 && comps != 4 {
				return Header{}, false
			}
			px := w * h
			cost := px*max(comps, 3) + px
			if comps == 1 {
				cost = px + px
			}
			if marker == 0xc2 {
				cost += px * comps * 4
			}
			return Header{Format: "jpeg", Width: int(w), Height: int(h), Bits: int(seg[0]), Progressive: marker == 0xc2, Cost: cost}, true
		case 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf, 0xda:
			return Header{}, false // a lossless or arithmetic frame, or a scan before any frame: the decoder reads neither
		}
		i += 2 + n
	}
	return Header{}, false
}

// DecodeUpload decodes an uploaded PNG or JPEG and reads its QR code. It
// checks the header first (see Inspect, whose errors it returns), then
// turns the image into 8-bit grey at once, so that the decoded colour
// image can be freed before the QR code is looked for; a damaged image
// or one without a readable code is EUNREADABLE.
func DecodeUpload(b []byte) (string, error) {
	h, err := Inspect(b)
	if err != nil {
		return "", err
	}
	var img image.Image
	if h.Format == "png" {
		img, err = png.Decode(bytes.NewReader(b))
	} else {
		img, err = jpeg.Decode(bytes.NewReader(b))
	}
	if err != nil {
		return "", registry.Errorf(registry.EUNREADABLE, "image", "image.image_damaged_cannot_read")
	}
	lum, w, hgt := grey(img)
	img = nil // the colour image is garbage from here on
	text, err := decodeGrey(lum, w, hgt)
	if err != nil {
		// gozxing says "not found", "checksum" or "format": to the reader all
		// mean the same thing.
		return "", registry.Errorf(registry.EUNREADABLE, "image", "image.no_readable_qr_code")
	}
	return text, nil
}

// grey returns img as 8-bit luminance, one byte a pixel, row by row, with
// transparent pixels on white (as gozxing's own conversion does). A JPEG's
// luma and a grey PNG are used as they are, without a copy.
func grey(img image.Image) ([]byte, int, int) {
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	switch m := img.(type) {
	case *image.Gray:
		if m.Stride == w {
			return m.Pix[:w*h], w, h
		}
	case *image.YCbCr:
		if m.YStride == w {
			return m.Y[:w*h], w, h
		}
	}
	lum := make([]byte, w*h)
	switch m := img.(type) {
	case *image.NRGBA:
		for y := range h {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for x := range w {
				p := row[4*x : 4*x+4]
				l := (uint32(p[0]) + 2*uint32(p[1]) + uint32(p[2])) / 4
				a := uint32(p[3])
				lum[y*w+x] = byte((l*a + (255-a)*255) / 255)
			}
		}
	default:
		i := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				cr, cg, cb, ca := img.At(x, y).RGBA()
				l := (cr + 2*cg + cb) * 255 / (4 * 0xffff)
				lum[i] = byte((l*ca + (0xffff-ca)*255) / 0xffff)
				i++
			}
		}
	}
	return lum, w, h
}

// decodeGrey reads the QR code in a grey image (see Decode).
func decodeGrey(lum []byte, w, h int) (string, error) {
	src, err := gozxing.NewPlanarYUVLuminanceSource(lum, w, h, 0, 0, w, h, false)
	if err != nil {
		return "", err
	}
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(src))
	if err != nil {
		return "", err
	}
	return decodeBitmap(bmp)
}

func tooLarge(n int) *registry.Error {
	return registry.Errorf(registry.ETOOLARGE, "image", "image.file_too_large_mb", float64(n)/(1<<20), MaxUploadBytes>>20)
}

// ErrUploadTooLarge is returned for an upload over MaxUploadBytes, for
// callers that stop reading at the limit.
func ErrUploadTooLarge() error {
	return registry.Errorf(registry.ETOOLARGE, "image", "image.file_too_large_over", MaxUploadBytes>>20)
}

// Cache caches generated QR images by content, format and size. A
// certificate's QR content changes only with its claims (or the signing
// key), so each image is generated once and then served from memory.
type Cache struct {
	mu    sync.Mutex
	max   int
	items map[qrKey][]byte
}

type qrKey struct {
	content string
	format  string // "png" or "svg"
	size    int
}

// NewCache returns a cache holding at most max images; when full it
// starts over (cheaper than an LRU, and images regenerate in about a
// millisecond).
func NewCache(max int) *Cache {
	return &Cache{max: max, items: make(map[qrKey][]byte)}
}

// PNG returns content's QR code as a PNG of size pixels.
func (c *Cache) PNG(content string, size int) ([]byte, error) {
	return c.get(qrKey{content, "png", size}, func() ([]byte, error) { return PNG(content, size) })
}

// SVG returns content's QR code as SVG.
func (c *Cache) SVG(content string) ([]byte, error) {
	return c.get(qrKey{content, "svg", 0}, func() ([]byte, error) { return SVG(content) })
}

// CachedSVG returns content's SVG if the cache holds it, without drawing
// it otherwise.
func (c *Cache) CachedSVG(content string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.items[qrKey{content, "svg", 0}]
	return b, ok
}

// AddSVG caches svg as content's QR code, drawn by a caller that had the
// symbol at hand (the static export, which draws every image of a
// certificate from one encoding).
func (c *Cache) AddSVG(content string, svg []byte) {
	c.mu.Lock()
	if len(c.items) >= c.max {
		clear(c.items)
	}
	c.items[qrKey{content, "svg", 0}] = svg
	c.mu.Unlock()
}

func (c *Cache) get(k qrKey, gen func() ([]byte, error)) ([]byte, error) {
	c.mu.Lock()
	b, ok := c.items[k]
	c.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := gen()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.items) >= c.max {
		clear(c.items)
	}
	c.items[k] = b
	c.mu.Unlock()
	return b, nil
}
