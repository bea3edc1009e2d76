package registry_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/certreg/certreg/demo"
	"github.com/certreg/certreg/fileformat"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
)

// syntheticCSV writes n generated certificates as an import file.
func syntheticCSV(tb testing.TB, n int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(fileformat.CSVHeader())
	next := demo.SyntheticRows(registry.Today(time.Now()), n)
	row := make([]string, len(registry.Fields))
	for {
		in, err := next()
		if err == io.EOF {
			break
		}
		for i, f := range registry.Fields {
			row[i] = f.Value(&in)
		}
		w.Write(row)
	}
	w.Flush()
	return buf.Bytes()
}

// BenchmarkImport100k imports a 100,000-row CSV file into an empty registry:
// parsing, validation, the writes and their events, in one transaction.
func BenchmarkImport100k(b *testing.B) {
	n := benchRows
	file := syntheticCSV(b, n)
	b.SetBytes(int64(len(file)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s, err := registry.Open(filepath.Join(b.TempDir(), "r.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		rr, err := fileformat.OpenRows("bench.csv", bytes.NewReader(file))
		if err != nil {
			b.Fatal(err)
		}
		res, err := s.Import(context.Background(), registrytest.CLI, rr.Next, registry.ImportOptions{CreateBodies: true})
		if err != nil || res.Created != n {
			b.Fatalf("%+v %v", res.Created, err)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkCertificateLookup reads one certificate by number from a
// registry of 100,000.
func BenchmarkCertificateLookup(b *testing.B) {
	s, err := registry.Open(filepath.Join(b.TempDir(), "r.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := demo.LoadSynthetic(ctx, s, 100_000); err != nil {
		b.Fatal(err)
	}
	var numbers []string
	rows, _ := s.DB().Query(`SELECT number FROM certificates ORDER BY random() LIMIT 1000`)
	for rows.Next() {
		var n string
		rows.Scan(&n)
		numbers = append(numbers, n)
	}
	rows.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Certificate(ctx, numbers[i%len(numbers)]); err != nil {
			b.Fatal(err)
		}
	}
}

// benchRows is the import benchmark's size; the target is stated
// for 100,000 rows.
var benchRows = 100_000
