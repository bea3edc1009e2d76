package qrimage_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"reflect"
	"strings"
	"testing"

	"github.com/certreg/certreg/qrimage"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

// symbolImage draws a symbol at 4 pixels a module, the way a screen would
// show it, for the decoder.
func symbolImage(sym qrimage.Symbol) image.Image {
	const px = 4
	n := len(sym)
	img := image.NewGray(image.Rect(0, 0, n*px, n*px))
	for y, row := range sym {
		for x, dark := range row {
			c := color.Gray{Y: 255}
			if dark {
				c = color.Gray{}
			}
			for dy := range px {
				for dx := range px {
					img.SetGray(x*px+dx, y*px+dy, c)
				}
			}
		}
	}
	return img
}

// A stored symbol unpacks to exactly the symbol encoded, reads back as its
// content, and draws the same SVG, for contents of every size a
// certificate's URL takes.
func TestStoredSymbolRoundTrip(t *testing.T) {
	for _, content := range []string{"HTTPS://CERTREG.EXAMPLE.CN/V/AB/1", benchURL, strings.Replace(benchURL, "JSAC.2026.0007", "00114E22766R2L/3502", 1)} {
		sym, err := qrimage.Encode(content)
		if err != nil {
			t.Fatal(err)
		}
		sum, modules, err := sym.Pack(content, testKey)
		if err != nil {
			t.Fatal(err)
		}
		n := len(sym) - 8
		if want := 1 + (n*n+7)/8 + qrimage.SumSize; len(modules) != want || len(sum) != qrimage.SumSize {
			t.Errorf("%d×%d symbol: %d bytes stored, want %d", n, n, len(modules), want)
		}
		got, err := qrimage.Unpack(content, testKey, sum, modules)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, sym) {
			t.Fatalf("%q: unpacked symbol differs from the encoded one", content)
		}
		if !bytes.Equal(got.SVG(), sym.SVG()) {
			t.Errorf("%q: SVG from stored bits differs", content)
		}
		if text, err := qrimage.Decode(symbolImage(got)); err != nil || text != content {
			t.Errorf("unpacked symbol reads %q, %v; want %q", text, err, content)
		}
	}
}

// A symbol stored for another content is stale; one whose bytes were
// changed in any way, or that another key authenticated, is damaged:
// neither is ever returned.
func TestStoredSymbolRefused(t *testing.T) {
	sym, err := qrimage.Encode(benchURL)
	if err != nil {
		t.Fatal(err)
	}
	sum, modules, err := sym.Pack(benchURL, testKey)
	if err != nil {
		t.Fatal(err)
	}
	other := strings.Replace(benchURL, "0007", "0008", 1)
	if got, err := qrimage.Unpack(other, testKey, sum, modules); !errors.Is(err, qrimage.ErrSymbolStale) || got != nil {
		t.Errorf("symbol of another content: %v", err)
	}
	damaged := func(what string, sum, modules, key []byte) {
		t.Helper()
		if got, err := qrimage.Unpack(benchURL, key, sum, modules); !errors.Is(err, qrimage.ErrSymbolDamaged) || got != nil {
			t.Errorf("%s: %v, want ErrSymbolDamaged", what, err)
		}
	}
	for i := range modules {
		for _, bit := range []byte{0x01, 0x80} {
			m := bytes.Clone(modules)
			m[i] ^= bit
			damaged("a bit flipped", sum, m, testKey)
		}
	}
	damaged("truncated", sum, modules[:len(modules)-1], testKey)
	damaged("one byte more", sum, append(bytes.Clone(modules), 0), testKey)
	damaged("empty", sum, nil, testKey)
	damaged("another key", sum, modules, []byte("another key, another registry..."))
	damaged("no key", sum, modules, nil)
	// A forger who rewrites the bits and recomputes everything but the
	// keyed MAC (a symbol of their own for the same content) is refused.
	forged, err := qrimage.Encode("HTTPS://EVIL.EXAMPLE/V/" + strings.Repeat("A", 120))
	if err != nil {
		t.Fatal(err)
	}
	_, fm, err := forged.Pack(benchURL, []byte("the forger's own key............"))
	if err != nil {
		t.Fatal(err)
	}
	damaged("forged with another key", sum, fm, testKey)
	if _, _, err := sym.Pack(benchURL, nil); err == nil {
		t.Error("Pack without a key succeeded")
	}
}

func BenchmarkQRSVGFromStored(b *testing.B) {
	sym, _ := qrimage.Encode(benchURL)
	sum, modules, _ := sym.Pack(benchURL, testKey)
	for b.Loop() {
		s, err := qrimage.Unpack(benchURL, testKey, sum, modules)
		if err != nil {
			b.Fatal(err)
		}
		s.SVG()
	}
}
