package site_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/certreg/certreg/demo"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site"
)

// BenchmarkExportDemo exports the demo registry (3,000 certificates, both
// languages) cold, into a fresh folder each round, and reports files/s and
// certificates/s.
func BenchmarkExportDemo(b *testing.B) {
	s, err := registry.Open(filepath.Join(b.TempDir(), "registry.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := demo.Load(context.Background(), s); err != nil {
		b.Fatal(err)
	}
	srv := site.New(s, site.Config{BaseURL: "https://certreg.test", NoCache: true})
	var files int
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		res, err := srv.Export(context.Background(), b.TempDir(), site.ExportOptions{})
		if err != nil {
			b.Fatal(err)
		}
		files += res.Files
	}
	sec := time.Since(start).Seconds()
	b.ReportMetric(float64(files)/sec, "files/s")
	b.ReportMetric(float64(b.N*demo.Size)/sec, "certs/s")
}
