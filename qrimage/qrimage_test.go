package qrimage_test

import (
	"testing"

	"github.com/certreg/certreg/qrimage"
	"github.com/certreg/certreg/registry"
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
