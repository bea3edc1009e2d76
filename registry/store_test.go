package registry_test

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/certreg/certreg/demo"
	"github.com/certreg/certreg/fileformat"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
	"github.com/certreg/certreg/site/i18n"
)

func TestPutAndReadCertificate(t *testing.T) {
	s := registrytest.Open(t)
	ctx := context.Background()
	res, err := s.PutCertificates(ctx, registrytest.CLI, []registry.Input{registrytest.SampleInput("SAC-2024-0001")}, registry.ImportOptions{CreateBodies: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 1 {
		t.Fatalf("created %d, want 1", res.Created)
	}
	c, err := s.Certificate(ctx, "ｓａｃ-2024-0001") // full-width, lower case
	if err != nil {
		t.Fatal(err)
	}
	if c.LevelCode != "five-star" || c.HolderName != "宁波示例电器有限公司" || c.BodyApproval != "CNCA-R-2002-001" {
		t.Fatalf("got %+v", c)
	}
	if got := c.EffectiveStatus(time.Date(2027, 3, 5, 12, 0, 0, 0, time.UTC)); got != registry.StatusExpired {
		t.Fatalf("status after expiry = %s, want expired", got)
	}
	if got := c.EffectiveStatus(time.Date(2027, 3, 4, 12, 0, 0, 0, time.UTC)); got != registry.StatusValid {
		t.Fatalf("status on expiry day = %s, want valid", got)
	}
	// Re-importing the same row changes nothing.
	res, err = s.PutCertificates(ctx, registrytest.CLI, []registry.Input{registrytest.SampleInput("SAC-2024-0001")}, registry.ImportOptions{})
	if err != nil || res.Unchanged != 1 {
		t.Fatalf("re-import: %+v %v", res, err)
	}
	if _, err := s.Certificate(ctx, "NOPE-0000"); registry.ErrorCode(err) != registry.ENOTFOUND {
		t.Fatalf("missing certificate: %v", err)
	}
	var ie *registry.ImportError
	bad := registrytest.SampleInput("SAC-2024-0002")
	bad.Score = "65"
	if _, err := s.PutCertificates(ctx, registrytest.CLI, []registry.Input{registrytest.SampleInput("SAC-2024-0003"), bad}, registry.ImportOptions{}); !errors.As(err, &ie) || !strings.Contains(english(ie.Errors), "below 70") {
		t.Fatalf("low score: %v", err)
	}
	if _, err := s.Certificate(ctx, "SAC-2024-0003"); registry.ErrorCode(err) != registry.ENOTFOUND {
		t.Fatalf("good row of a bad batch was written: %v", err)
	}
}

func TestLoadDemo(t *testing.T) {
	s := registrytest.Open(t)
	ctx := context.Background()
	loaded, err := demo.Load(ctx, s)
	if err != nil || !loaded {
		t.Fatalf("LoadDemo: %v %v", loaded, err)
	}
	again, err := demo.Load(ctx, s)
	if err != nil || again {
		t.Fatalf("second LoadDemo loaded again: %v %v", again, err)
	}
	var statuses = map[string]int{}
	rows, err := s.DB().Query(`SELECT status, count(*) FROM certificates GROUP BY status`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var st string
		var n int
		rows.Scan(&st, &n)
		statuses[st] = n
	}
	rows.Close()
	for _, st := range []string{"valid", "suspended", "revoked", "withdrawn"} {
		if statuses[st] == 0 {
			t.Errorf("demo has no %s certificate: %v", st, statuses)
		}
	}
	var levels, cities, warnings int
	s.DB().QueryRow(`SELECT count(DISTINCT level) FROM certificates`).Scan(&levels)
	s.DB().QueryRow(`SELECT count(DISTINCT city) FROM certificates WHERE city IN ('宁波','南京','广州')`).Scan(&cities)
	s.DB().QueryRow(`SELECT count(*) FROM certificates WHERE credit_code_warning = 1`).Scan(&warnings)
	if levels != 5 || cities != 3 || warnings != 0 {
		t.Errorf("levels %d (want 5), example cities %d (want 3), credit-code warnings %d (want 0)", levels, cities, warnings)
	}
	var changed int
	s.DB().QueryRow(`SELECT count(*) FROM events WHERE kind = 'changed'`).Scan(&changed)
	if changed == 0 {
		t.Error("demo has no certificate with a changed record")
	}
}

// TestImportStreamsInBoundedMemory imports rows generated on the fly, never
// held in memory together, and checks the heap does not grow with the file.
func TestImportStreamsInBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 40,000 rows")
	}
	s := registrytest.Open(t)
	ctx := context.Background()
	pr, pw := io.Pipe()
	go func() {
		w := csv.NewWriter(pw)
		w.Write(fileformat.CSVHeader())
		next := demo.SyntheticRows(registry.Today(s.Now()), 40_000)
		for {
			in, err := next()
			if err != nil {
				break
			}
			// The columns of a typical file: no address, audits or index.
			row := make([]string, len(registry.Fields))
			for i, f := range registry.Fields {
				switch f.Name {
				case "number", "holder_name", "holder_credit_code", "province", "city", "scheme", "score", "scope",
					"issue_date", "expiry_date", "body_approval", "body_name":
					row[i] = f.Value(&in)
				case "status":
					row[i] = "valid"
				}
			}
			w.Write(row)
		}
		w.Flush()
		pw.Close()
	}()
	// Two measures: the Go heap, which holds the rows (a reader or an
	// importer that kept them would hold 40,000 inputs, tens of MiB), and
	// the resident set, which also counts SQLite's own memory, allocated
	// outside the Go heap and bounded by its settings, not by the file:
	// the page cache (cache_size, 64 MiB a connection) and, when a first
	// import builds its indexes again, the sorter (as much again).
	// The collector's slack is not what is measured: a soft limit just above
	// the start makes it collect before the heap doubles with garbage.
	runtime.GC()
	start := residentBytes(t)
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(int64(start) + 32<<20))
	var peak, heapPeak uint64
	done, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
				peak = max(peak, residentBytes(t))
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				heapPeak = max(heapPeak, ms.HeapInuse)
			}
		}
	}()
	rr, err := fileformat.OpenRows("stream.csv", pr)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Import(ctx, registrytest.CLI, rr.Next, registry.ImportOptions{CreateBodies: true})
	close(done)
	<-sampled
	if err != nil || res.Created != 40_000 {
		t.Fatalf("%+v %v", res.Created, err)
	}
	growth := int64(peak) - int64(start)
	t.Logf("resident memory grew by %d MiB; the Go heap peaked at %d MiB", growth>>20, heapPeak>>20)
	if heapPeak > 32<<20 {
		t.Errorf("the Go heap reached %d MiB: rows are being held", heapPeak>>20)
	}
	if sqlite := int64(2 * 64 << 20); growth > sqlite+48<<20 {
		t.Errorf("resident memory grew by %d MiB, more than SQLite's page cache and sorter (%d MiB) and 48 MiB", growth>>20, sqlite>>20)
	}
}

// residentBytes reads the process's resident set size from /proc.
func residentBytes(t *testing.T) uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status:", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// TestFirstImportKeepsIndexes checks that the indexes a first import drops
// to load faster are all back afterwards, and after a failed import too.
func TestFirstImportKeepsIndexes(t *testing.T) {
	s := registrytest.Open(t)
	indexes := func() string {
		rows, err := s.DB().Query(`SELECT name || ':' || sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var all []string
		for rows.Next() {
			var x string
			rows.Scan(&x)
			all = append(all, x)
		}
		return strings.Join(all, "\n")
	}
	before := indexes()
	if !strings.Contains(before, "certificates_credit_code") {
		t.Fatalf("no index to check: %s", before)
	}
	bad := registrytest.SampleInput("SAC-2024-0002")
	bad.Score = "abc"
	if _, err := s.PutCertificates(context.Background(), registrytest.CLI, []registry.Input{registrytest.SampleInput("SAC-2024-0001"), bad}, registry.ImportOptions{CreateBodies: true}); err == nil {
		t.Fatal("bad import succeeded")
	}
	if got := indexes(); got != before {
		t.Fatalf("indexes after a failed first import:\n%s\nwant\n%s", got, before)
	}
	if _, err := s.PutCertificates(context.Background(), registrytest.CLI, []registry.Input{registrytest.SampleInput("SAC-2024-0001")}, registry.ImportOptions{CreateBodies: true}); err != nil {
		t.Fatal(err)
	}
	if got := indexes(); got != before {
		t.Fatalf("indexes after a first import:\n%s\nwant\n%s", got, before)
	}
	var plan string
	s.DB().QueryRow(`EXPLAIN QUERY PLAN SELECT id FROM certificates WHERE holder_credit_code = '914403001922038216'`).Scan(new(int), new(int), new(int), &plan)
	if !strings.Contains(plan, "certificates_credit_code") {
		t.Fatalf("query plan %q does not use the rebuilt index", plan)
	}
}

// TestOpenWhileAnotherProcessWrites opens the registry while another
// connection holds the write lock, as a long import or the log's sequencer
// in another process does: opening an up-to-date registry only reads.
func TestOpenWhileAnotherProcessWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.db")
	s, err := registry.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conn, err := s.DB().Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), `ROLLBACK`)
	done := make(chan error, 1)
	go func() {
		s2, err := registry.Open(path)
		if err == nil {
			s2.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("open while another connection writes: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("open waited for the writer")
	}
}

// english is what the problems say in English.
func english(problems registry.ValidationErrors) string {
	var b strings.Builder
	for _, fe := range problems {
		b.WriteString(i18n.EN.Render(fe) + "\n")
	}
	return b.String()
}
