package registry_test

import (
	"context"
	"strings"
	"testing"

	"github.com/certreg/certreg/demo"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
)

// BenchmarkVerifyBatch1000 checks 1,000 demo numbers in one batch; the aim
// is under 200 ms.
func BenchmarkVerifyBatch1000(b *testing.B) {
	ctx := context.Background()
	s := registrytest.Open(b)
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
