package qrimage

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
)

// A certificate's QR symbol is stored beside it (registry table
// qr_symbols) so that its page draws the code from bits instead of
// encoding it: go-qrcode spends ~0.6 ms choosing a mask and computing
// Reed–Solomon codes, six times the rest of the page, and over a million
// certificates no in-memory cache ever hits. A stored symbol is derived
// data: it is checked against the exact content it encodes before it is
// drawn, and anything that does not match is encoded again.
//
// The stored form is two byte strings:
//
//	sum:     the first 16 bytes of SHA-256("certreg-qr-symbol/1 M\n" ‖ content):
//	         which content the symbol encodes (a content that changed —
//	         new claims, a new key, another base URL — no longer matches)
//	modules: side n (one byte, 21…177), the n×n modules without the quiet
//	         zone row by row, 8 a byte, most significant bit first, dark = 1,
//	         unused bits of the last byte 0; then the first 16 bytes of
//	         HMAC-SHA256(key, sum ‖ all before it), with a key derived from
//	         the signing key (signing.KeyRing.DerivedKey): a damaged blob is
//	         never drawn, and whoever can write the database file but does
//	         not hold the key cannot make a page draw a symbol of their own
//	         (a QR code that opens another address)
//
// A version-7 symbol (45×45, the largest a certificate's URL needs) takes
// 16 + 1 + 254 + 16 = 287 bytes.

// storedFormat names the stored form and the error-correction level: a
// change to either changes every sum, so old symbols are simply misses.
const storedFormat = "certreg-qr-symbol/1 M\n"

// quietZone is the border of light modules go-qrcode draws around a
// symbol, which is not stored.
const quietZone = 4

// SumSize is the length of a stored symbol's content sum and of its MAC.
const SumSize = 16

// MACLabel is the label of the key (signing.KeyRing.DerivedKey) that
// authenticates stored symbols.
const MACLabel = "certreg-qr-symbol/1"

// ErrSymbolStale is returned for a stored symbol of another content.
var ErrSymbolStale = errors.New("stored QR symbol encodes another content")

// ErrSymbolDamaged is returned for a stored symbol whose bytes are not a
// well-formed symbol of this registry (wrong length, bad side, bad MAC).
var ErrSymbolDamaged = errors.New("stored QR symbol is damaged")

// ContentSum is the sum a stored symbol of content carries.
func ContentSum(content string) []byte {
	h := sha256.New()
	h.Write([]byte(storedFormat))
	h.Write([]byte(content))
	return h.Sum(nil)[:SumSize]
}

// mac is the MAC of a stored symbol's body.
func mac(key, sum, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(sum)
	m.Write(body)
	return m.Sum(nil)[:SumSize]
}

// Pack returns the stored form of sym, content's symbol (as Encode made
// it, quiet zone included), authenticated with key.
func (sym Symbol) Pack(content string, key []byte) (sum, modules []byte, err error) {
	if len(key) == 0 {
		return nil, nil, errors.New("pack QR symbol: no key")
	}
	n := len(sym) - 2*quietZone
	if !validSide(n) {
		return nil, nil, ErrSymbolDamaged
	}
	out := make([]byte, 1+(n*n+7)/8, 1+(n*n+7)/8+SumSize)
	out[0] = byte(n)
	bits := out[1:]
	i := 0
	for y := range n {
		row := sym[y+quietZone]
		if len(row) != len(sym) {
			return nil, nil, ErrSymbolDamaged
		}
		for x := range n {
			if row[x+quietZone] {
				bits[i>>3] |= 0x80 >> (i & 7)
			}
			i++
		}
	}
	sum = ContentSum(content)
	return sum, append(out, mac(key, sum, out)...), nil
}

// validSide reports whether n is the side of a QR symbol (versions 1–40).
func validSide(n int) bool { return n >= 21 && n <= 177 && (n-17)%4 == 0 }

// Unpack checks a stored symbol against content and key and returns it
// with its quiet zone, ready to draw. It returns ErrSymbolStale when sum
// is not content's and ErrSymbolDamaged when modules is not a well-formed
// symbol authenticated by key; a symbol is never returned in either case.
func Unpack(content string, key, sum, modules []byte) (Symbol, error) {
	if !bytes.Equal(sum, ContentSum(content)) {
		return nil, ErrSymbolStale
	}
	if len(modules) < 1+SumSize || len(key) == 0 {
		return nil, ErrSymbolDamaged
	}
	n := int(modules[0])
	body := modules[:len(modules)-SumSize]
	if !validSide(n) || len(body) != 1+(n*n+7)/8 || !hmac.Equal(modules[len(body):], mac(key, sum, body)) {
		return nil, ErrSymbolDamaged
	}
	bits := body[1:]
	if pad := n * n % 8; pad != 0 && bits[len(bits)-1]&(0xff>>pad) != 0 {
		return nil, ErrSymbolDamaged
	}
	side := n + 2*quietZone
	cells := make([]bool, side*side) // one allocation for every row
	sym := make(Symbol, side)
	for y := range sym {
		sym[y] = cells[y*side : (y+1)*side : (y+1)*side]
	}
	i := 0
	for y := range n {
		row := sym[y+quietZone]
		for x := range n {
			row[x+quietZone] = bits[i>>3]&(0x80>>(i&7)) != 0
			i++
		}
	}
	return sym, nil
}
