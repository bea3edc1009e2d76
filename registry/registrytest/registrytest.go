// Package registrytest helps the tests of every package built on a
// registry: a fresh registry on a real SQLite file in the test's temporary
// folder with a fixed clock, a sample certificate, and a second connection
// to the file for what the store has no method for (a raw count, or
// tampering with rows behind the store's back, as an insider would).
package registrytest

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/certreg/certreg/registry"
)

// Now is the clock of the registries Open returns.
var Now = time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)

// CLI is the actor of the tests' writes.
var CLI = registry.Actor{Name: "test", Source: "cli"}

// Open opens a fresh registry in a temporary folder, closed when the test
// ends, with its clock at Now.
func Open(t testing.TB) *registry.Store {
	t.Helper()
	s, err := registry.Open(filepath.Join(t.TempDir(), "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.Now = func() time.Time { return Now }
	return s
}

// SampleInput is a valid five-star after-sales certificate numbered
// number, of a body the import creates (ImportOptions.CreateBodies).
func SampleInput(number string) registry.Input {
	return registry.Input{
		Number: number, HolderName: "宁波示例电器有限公司", HolderCreditCode: "914403001922038216",
		HolderAddress: "浙江省宁波市示例路 1 号", Province: "浙江", City: "宁波", Scheme: "GB/T 27922-2011",
		Score: "96", Scope: "家用电器的售后服务", IssueDate: "2024-03-05", ExpiryDate: "2027-03-04",
		BodyApproval: "CNCA-R-2002-001", BodyName: "示例认证中心",
	}
}

// Put creates or updates the certificates, creating their bodies.
func Put(t testing.TB, s *registry.Store, inputs ...registry.Input) {
	t.Helper()
	if _, err := s.PutCertificates(context.Background(), CLI, inputs, registry.ImportOptions{CreateBodies: true}); err != nil {
		t.Fatal(err)
	}
}

// Move moves a certificate to another status.
func Move(t testing.TB, s *registry.Store, number string, to registry.Status) {
	t.Helper()
	if _, err := s.ChangeStatus(context.Background(), CLI, registry.StatusChange{Number: number, To: to, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
}

// RawDB opens the registry's file with a connection of its own, closed
// when the test ends.
func RawDB(t testing.TB, s *registry.Store) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", registry.DSN(s.Path()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
