package qrimage_test

import (
	"testing"

	"github.com/certreg/certreg/qrimage"
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
