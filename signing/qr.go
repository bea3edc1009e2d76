package signing

import (
	"bytes"
	"crypto/ed25519"
	"net/url"
	"strings"

	"github.com/certreg/certreg/registry"
)

// A certificate's QR code carries the registry's signature over the claims
// printed on the paper, inside an upper-case https URL on the registry's
// canonical base URL (docs/verification.md gives the format byte by byte):
//
//	HTTPS://HOST/V/<base32 of key id ‖ signature>/<NUMBER>
//
// Upper case keeps the whole URL in the QR code's alphanumeric mode (5.5
// bits a character instead of 8). The claims themselves are not in the QR
// code: an Ed25519 signature alone takes 103 of the 178 characters a
// version-7 code holds at level M, and a Chinese holder name would not fit
// beside it. They are printed on the paper, kept by the registry and
// published with every certificate, so a verifier rebuilds the signed
// message from the record (online) or from the paper (offline) and checks
// it with the published key.

// QRPath is the path prefix of every QR code URL of format 1.
const QRPath = "/V/"

// qrBlobLen is the size of what the URL carries besides the number: the
// key id and the signature (67 bytes, 108 base32 characters).
const qrBlobLen = KeyIDBytes + ed25519.SignatureSize

// QRSignature is what a QR code carries: which certificate, which key, and
// the signature over that certificate's printed claims.
type QRSignature struct {
	Number    string // upper case
	KeyID     string
	Signature []byte
}

// SignClaims signs cl with the ring's current key.
func (kr *KeyRing) SignClaims(cl registry.Claims) (*QRSignature, error) {
	id, sig, err := kr.Sign(cl.Message())
	if err != nil {
		return nil, err
	}
	return &QRSignature{Number: cl.Number, KeyID: id, Signature: sig}, nil
}

// VerifyClaims checks that qs signs cl, with any of the ring's keys,
// current or retired.
func (kr *KeyRing) VerifyClaims(qs *QRSignature, cl *registry.Claims) registry.SigCheck {
	k, ok := kr.Key(qs.KeyID)
	if !ok {
		return registry.SigUnknownKey
	}
	if qs.Number != cl.Number || len(qs.Signature) != ed25519.SignatureSize {
		return registry.SigBad
	}
	if !ed25519.Verify(k.Public, cl.Message(), qs.Signature) {
		return registry.SigBad
	}
	return registry.SigGood
}

// URL returns the QR code's URL on base (the registry's canonical base URL,
// e.g. "https://certreg.example.cn").
func (qs *QRSignature) URL(base string) string {
	return QRBase(base) + QRPath + qs.Token() + "/" + qs.Number
}

// Token is the base32 text of key id ‖ signature, as the URL carries it.
func (qs *QRSignature) Token() string {
	kid, _ := b32.DecodeString(qs.KeyID)
	return b32.EncodeToString(append(kid, qs.Signature...))
}

// QRBase returns base as QR URLs start: scheme and host upper-cased (they
// are case-insensitive, and upper case stays in the QR code's alphanumeric
// mode), no trailing slash. A path in base is kept as it is.
func QRBase(base string) string {
	base = strings.TrimRight(strings.TrimSpace(base), "/")
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return strings.ToUpper(base)
	}
	return strings.ToUpper(u.Scheme+"://"+u.Host) + u.EscapedPath()
}

// ParsedQR is a QR code URL taken apart.
type ParsedQR struct {
	Origin    string // "https://host", lower case, as the QR code names it
	Signature *QRSignature
}

// maxQRURL bounds the URL a parser accepts.
const maxQRURL = 512

// ParseQRURL reads a QR code URL. It checks neither the signature (see
// KeyRing.VerifyClaims) nor whose domain the URL names: Origin is returned
// for the caller to compare with its own. Text that is not a certificate QR
// code URL gives an registry.EINVALID error with a message for the reader; Origin is
// set whenever the text was a web address.
func ParseQRURL(raw string) (*ParsedQR, error) {
	raw = strings.TrimSpace(raw)
	if len(raw) > maxQRURL {
		return nil, registry.Errorf(registry.EINVALID, "url", "qr.qr_code_s_content", len(raw))
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (!strings.EqualFold(u.Scheme, "https") && !strings.EqualFold(u.Scheme, "http")) {
		return nil, registry.Errorf(registry.EINVALID, "url", "qr.qr_code_does_not")
	}
	p := &ParsedQR{Origin: strings.ToLower(u.Scheme + "://" + u.Host)}
	path := u.EscapedPath()
	i := strings.Index(strings.ToUpper(path), QRPath)
	if i < 0 {
		return p, registry.Errorf(registry.EINVALID, "url", "qr.address_not_certificate_qr", p.Origin+path)
	}
	qs, err := ParseQRPath(path[i+len(QRPath):])
	if err != nil {
		return p, err
	}
	p.Signature = qs
	return p, nil
}

// ParseQRPath reads what follows /V/ in a QR code URL: "<token>/<number>".
// Letters may come in either case.
func ParseQRPath(rest string) (*QRSignature, error) {
	bad := func(why any) error {
		return registry.Errorf(registry.EINVALID, "url", "qr.damaged", why)
	}
	if len(rest) > maxQRURL {
		return nil, bad(registry.Key("qr.too_long"))
	}
	token, number, ok := strings.Cut(rest, "/")
	if !ok {
		return nil, bad(registry.Key("qr.certificate_number_missing"))
	}
	token = strings.ToUpper(token)
	blob, err := b32.DecodeString(token)
	// Base32 of 67 bytes leaves 4 unused bits in the last character; a
	// token whose unused bits are set is not the one the registry printed.
	if err != nil || len(blob) != qrBlobLen || b32.EncodeToString(blob) != token {
		return nil, bad(registry.Key("qr.signature_part_has_wrong"))
	}
	n, fe := registry.NormalizeNumber(number)
	if fe != nil {
		return nil, bad(registry.Message{Key: "qr.number_invalid", Args: []any{fe.Message}})
	}
	return &QRSignature{
		Number:    registry.NumberKey(n),
		KeyID:     b32.EncodeToString(blob[:KeyIDBytes]),
		Signature: bytes.Clone(blob[KeyIDBytes:]),
	}, nil
}
