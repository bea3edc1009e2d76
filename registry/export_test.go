package registry

import "database/sql"

// StatsByQueries exposes the per-query statistics to the external tests,
// which compare them with the one-pass scan that Stats uses.
var StatsByQueries = (*Store).statsByQueries

// DB is the store's database, for tests that read or tamper with rows the
// store has no method for. Only the tests of this package see it.
func (s *Store) DB() *sql.DB { return s.db }
