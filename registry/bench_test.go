package registry_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"os"
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

// BenchmarkImportFile imports the CSV file named by CERTREG_BENCH_CSV (for
// example 1,000,000 rows from scripts/gencsv.awk) into an empty registry,
// streaming it from disk, and reports rows/s and the database's bytes a
// certificate. It is skipped without the variable.
func BenchmarkImportFile(b *testing.B) {
	name := os.Getenv("CERTREG_BENCH_CSV")
	if name == "" {
		b.Skip("set CERTREG_BENCH_CSV to a CSV file to import")
	}
	var rows, size int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := filepath.Join(b.TempDir(), "r.db")
		s, err := registry.Open(db)
		if err != nil {
			b.Fatal(err)
		}
		f, err := os.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		rr, err := fileformat.OpenRows(name, f)
		if err != nil {
			b.Fatal(err)
		}
		res, err := s.Import(context.Background(), registrytest.CLI, rr.Next, registry.ImportOptions{CreateBodies: true})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		rows += int64(res.Created)
		f.Close()
		s.Close()
		fi, err := os.Stat(db)
		if err != nil {
			b.Fatal(err)
		}
		size = fi.Size()
		b.ReportMetric(float64(size)/float64(res.Created), "bytes/cert")
		b.StartTimer()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkCreateByImportFile is BenchmarkImportFile through
// CreateByImport: the registry is created by its first import, in a file
// of its own without a journal, flushed and then named.
func BenchmarkCreateByImportFile(b *testing.B) {
	name := os.Getenv("CERTREG_BENCH_CSV")
	if name == "" {
		b.Skip("set CERTREG_BENCH_CSV to a CSV file to import")
	}
	var rows int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := filepath.Join(b.TempDir(), "r.db")
		f, err := os.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		rr, err := fileformat.OpenRows(name, f)
		if err != nil {
			b.Fatal(err)
		}
		res, err := registry.CreateByImport(context.Background(), db, registrytest.CLI, rr.Next, registry.ImportOptions{CreateBodies: true})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		rows += int64(res.Created)
		f.Close()
		fi, err := os.Stat(db)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(fi.Size())/float64(res.Created), "bytes/cert")
		b.StartTimer()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
