// Package qrimage draws QR codes (PNG and SVG, for printing on certificates
// and in bid documents) and reads them back from uploaded photos and
// screenshots, within bounds set before any pixel is decoded.
package qrimage

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
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

// qrPalette is white, then black: a two-colour palette makes a PNG of one
// bit a pixel.
var qrPalette = color.Palette{color.White, color.Black}

// PNG draws the symbol as a PNG of at most size×size pixels, with a whole
// number of pixels a module (at least one) so that every module has the
// same sharp edges: a scaled, uneven grid is harder to scan.
func (sym Symbol) PNG(size int) ([]byte, error) {
	n := len(sym)
	scale := max(1, size/n)
	img := image.NewPaletted(image.Rect(0, 0, n*scale, n*scale), qrPalette)
	for y, row := range sym {
		line := img.Pix[y*scale*img.Stride : (y*scale+1)*img.Stride]
		for x, dark := range row {
			if dark {
				for i := range scale {
					line[x*scale+i] = 1
				}
			}
		}
		for i := 1; i < scale; i++ { // the module's other pixel rows
			copy(img.Pix[(y*scale+i)*img.Stride:], line)
		}
	}
	var buf bytes.Buffer
	if err := qrEncoder.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// qrEncoder compresses fast (a QR code's long runs compress well at any
// level) and reuses its compressor: setting one up costs more than
// compressing a QR code.
var qrEncoder = png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &pngBuffers{}}

type pngBuffers struct{ p sync.Pool }

func (b *pngBuffers) Get() *png.EncoderBuffer {
	e, _ := b.p.Get().(*png.EncoderBuffer)
	return e
}

func (b *pngBuffers) Put(e *png.EncoderBuffer) { b.p.Put(e) }

// SVG draws the symbol as an SVG drawing, one unit a module. Each row's
// dark runs are one path segment, which keeps the file small and prints
// sharp at any size.
func (sym Symbol) SVG() []byte {
	n := len(sym)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" shape-rendering="crispEdges">`, n, n, n*4, n*4)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
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
			b.WriteString("M" + strconv.Itoa(start) + " " + strconv.Itoa(y) + "h" + strconv.Itoa(x-start) + "v1h-" + strconv.Itoa(x-start) + "z")
		}
	}
	b.WriteString(`"/></svg>` + "\n")
	return b.Bytes()
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
// before reading; the pixel count is checked from the header before any
// pixel is decoded, so that a small file declaring a huge image (a
// decompression bomb) is refused without allocating it.
const (
	MaxUploadBytes  = 5 << 20
	MaxUploadPixels = 16_000_000 // e.g. 4000×4000
)

// DecodeUpload decodes an uploaded PNG or JPEG and reads its QR code. Every
// failure is a registry error whose message tells the reader what to do,
// its code saying which: EINVALID (nothing received), ETOOLARGE (too many
// bytes or pixels), EUNSUPPORTED (not a PNG or JPEG) or EUNREADABLE
// (damaged, or no QR code in it).
func DecodeUpload(b []byte) (string, error) {
	if len(b) == 0 {
		return "", registry.Errorf(registry.EINVALID, "image", "image.no_image_was_received")
	}
	if len(b) > MaxUploadBytes {
		return "", tooLarge(len(b))
	}
	var decode func([]byte) (image.Image, error)
	var config func([]byte) (image.Config, error)
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		decode = func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) }
		config = func(b []byte) (image.Config, error) { return png.DecodeConfig(bytes.NewReader(b)) }
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		decode = func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) }
		config = func(b []byte) (image.Config, error) { return jpeg.DecodeConfig(bytes.NewReader(b)) }
	default:
		if bytes.HasPrefix(b, []byte("%PDF")) {
			return "", registry.Errorf(registry.EUNSUPPORTED, "image", "image.is_pdf")
		}
		return "", registry.Errorf(registry.EUNSUPPORTED, "image", "image.not_png_or_jpeg")
	}
	cfg, err := config(b)
	if err != nil {
		return "", registry.Errorf(registry.EUNREADABLE, "image", "image.image_damaged_cannot_read")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > 20000 || cfg.Height > 20000 || cfg.Width*cfg.Height > MaxUploadPixels {
		return "", registry.Errorf(registry.ETOOLARGE, "image", "image.too_many_pixels", cfg.Width, cfg.Height, MaxUploadPixels/10000, MaxUploadPixels/1_000_000)
	}
	img, err := decode(b)
	if err != nil {
		return "", registry.Errorf(registry.EUNREADABLE, "image", "image.image_damaged_cannot_read")
	}
	text, err := Decode(img)
	if err != nil {
		// gozxing says "not found", "checksum" or "format": to the reader all
		// mean the same thing.
		return "", registry.Errorf(registry.EUNREADABLE, "image", "image.no_readable_qr_code")
	}
	return text, nil
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
