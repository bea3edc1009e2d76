package registry

import (
	"database/sql"
	"strings"
	"time"
)

// StatsByQueries exposes the per-query statistics to the external tests,
// which compare them with the one-pass scan that Stats uses.
var StatsByQueries = (*Store).statsByQueries

// DB is the store's database, for tests that read or tamper with rows the
// store has no method for. Only the tests of this package see it.
func (s *Store) DB() *sql.DB { return s.db }

// ReadsColumn reports whether certificate reads select column col.
func ReadsColumn(col string) bool {
	for _, c := range strings.Split(certColumns, ",") {
		if strings.TrimSpace(c) == "c."+col {
			return true
		}
	}
	return false
}

// FindNumbers exposes the number search to the benchmarks, which measure
// it apart from the name search that Search runs beside it.
var FindNumbers = (*Store).numberMatches

// SetPartWindow sets how many number-index entries a common part's search
// reads, until the test ends.
func SetPartWindow(t interface{ Cleanup(func()) }, n int) {
	old := partWindow
	partWindow = n
	t.Cleanup(func() { partWindow = old })
}

// SetCreateClock sets the clock of the registries CreateByImport creates,
// until the test ends.
func SetCreateClock(t interface{ Cleanup(func()) }, now func() time.Time) {
	old := createClock
	createClock = now
	t.Cleanup(func() { createClock = old })
}

// SetBeforeLink sets what CreateByImport does once the new registry is
// complete and flushed, just before naming it, until the test ends.
func SetBeforeLink(t interface{ Cleanup(func()) }, f func(tmp string) error) {
	old := beforeLink
	beforeLink = f
	t.Cleanup(func() { beforeLink = old })
}
