package registry_test

import (
	"context"
	"strings"
	"testing"

	"github.com/certreg/certreg/demo"
	"github.com/certreg/certreg/registry"
)

const benchURL = "HTTPS://CERTREG.EXAMPLE.CN/V/5BAVSZLMRKO2RPUNDZWCOZDEFGZOTLFOMFOU2W2OHONJTOT5IXXTDVT6PWGCUNQ6CNCNZK6QQCPIM34YEB725TG2AHWH6NNXKTFMKQ2IOAAA/JSAC.2026.0007"

func BenchmarkQRPNG256(b *testing.B) {
	for b.Loop() {
		if _, err := registry.QRPNG(benchURL, 256); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkQRSVG(b *testing.B) {
	for b.Loop() {
		if _, err := registry.QRSVG(benchURL); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkQREncode is the symbol alone (Reed–Solomon and the mask),
// and BenchmarkQRDrawPNG256 the drawing of an encoded symbol: the two
// halves of BenchmarkQRPNG256.
func BenchmarkQREncode(b *testing.B) {
	for b.Loop() {
		if _, err := registry.EncodeQR(benchURL); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkQRDrawPNG256(b *testing.B) {
	sym, err := registry.EncodeQR(benchURL)
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
	c := registry.NewQRImages(1000)
	c.PNG(benchURL, 256)
	for b.Loop() {
		if _, err := c.PNG(benchURL, 256); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignClaims(b *testing.B) {
	kr := openKeys(b)
	cl := registry.Claims{Number: "AS-1", CreditCode: "914403001922038216", HolderName: "宁波示例电器有限公司", Scheme: "AS", Level: "five-star", BodyApproval: "CNCA-R-2002-001"}
	for b.Loop() {
		if _, err := kr.SignClaims(cl); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifySignature(b *testing.B) {
	kr := openKeys(b)
	cl := registry.Claims{Number: "AS-1", CreditCode: "914403001922038216", HolderName: "宁波示例电器有限公司", Scheme: "AS", Level: "five-star", BodyApproval: "CNCA-R-2002-001"}
	qs, _ := kr.SignClaims(cl)
	p, err := registry.ParseQRURL(qs.URL(testBase))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if kr.VerifyClaims(p.Signature, &cl) != registry.SigGood {
			b.Fatal("bad")
		}
	}
}

// BenchmarkVerifyBatch1000 checks 1,000 demo numbers in one batch; the aim
// is under 200 ms.
func BenchmarkVerifyBatch1000(b *testing.B) {
	ctx := context.Background()
	s := openStore(b)
	if _, err := demo.Load(ctx, s); err != nil {
		b.Fatal(err)
	}
	rows, _ := s.DB().QueryContext(ctx, `SELECT number, holder_credit_code FROM certificates ORDER BY random() LIMIT 1000`)
	var text strings.Builder
	for rows.Next() {
		var n, cc string
		rows.Scan(&n, &cc)
		text.WriteString(n + "," + cc + "\n")
	}
	rows.Close()
	for b.Loop() {
		lines, err := registry.ParseBatch(text.String())
		if err != nil {
			b.Fatal(err)
		}
		res, err := s.VerifyBatch(ctx, lines)
		if err != nil || len(res) != 1000 {
			b.Fatal(err, len(res))
		}
	}
}
