package registry

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// commonTerms are the name index's trigrams found in many names, with the
// number of names that hold each. A phrase query made of a rare trigram
// and a common one walks the common one's whole list ("宁波东方电器有限公司":
// "有限公" is in nine names of ten), so a term is looked up by its rare
// trigrams alone and every match is then checked against the whole term
// with LIKE. Frequencies move slowly; LearnSearchTerms refreshes them.
type commonTerms struct {
	tri map[string]int
}

// commonTermShare is how common a trigram must be to be left out of a
// lookup: in one name in 200 or more (5,000 at 1,000,000 certificates).
const commonTermShare = 200

// LearnSearchTerms reads from the name index which trigrams are common
// (a scan of the index's vocabulary: seconds at 1,000,000 certificates),
// so that later searches look terms up by their rare trigrams. Until it
// has run, a term is looked up as one phrase. Serve runs it at start and
// hourly; it holds one connection while it runs.
func (s *Store) LearnSearchTerms(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("learn search terms: %w", err)
	}
	defer conn.Close()
	var rows int64
	if err := conn.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM certificates`).Scan(&rows); err != nil {
		return fmt.Errorf("learn search terms: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `CREATE VIRTUAL TABLE IF NOT EXISTS temp.holder_fts_vocab USING fts5vocab(main, holder_fts, row)`); err != nil {
		return fmt.Errorf("learn search terms: %w", err)
	}
	r, err := conn.QueryContext(ctx, `SELECT term, doc FROM temp.holder_fts_vocab WHERE doc >= ?`, max(rows/commonTermShare, 50))
	if err != nil {
		return fmt.Errorf("learn search terms: %w", err)
	}
	defer r.Close()
	ct := &commonTerms{tri: map[string]int{}}
	for r.Next() {
		var term string
		var n int
		if err := r.Scan(&term, &n); err != nil {
			return fmt.Errorf("learn search terms: %w", err)
		}
		ct.tri[term] = n
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("learn search terms: %w", err)
	}
	s.common.Store(ct)
	return nil
}

// trigramQuery returns the FTS5 expression that finds the names holding t
// (three or more characters), and whether every name it finds holds t.
// With learned frequencies it names only t's three rarest trigrams: the
// caller checks the matches with LIKE.
func (s *Store) trigramQuery(t string) (expr string, exact bool) {
	ct := s.common.Load()
	rs := []rune(strings.ToLower(t))
	if ct == nil || len(rs) < 4 {
		return ftsPhrase(t), true
	}
	tris := make([]string, 0, len(rs)-2)
	for i := 0; i+3 <= len(rs); i++ {
		tris = append(tris, string(rs[i:i+3]))
	}
	// The three rarest (unknown ones are rare): an AND walks the shortest
	// list and skips through the others.
	slices.SortStableFunc(tris, func(a, b string) int { return ct.tri[a] - ct.tri[b] })
	if len(tris) <= 3 {
		return ftsPhrase(t), true
	}
	rare := tris[:3]
	for i, tri := range rare {
		rare[i] = ftsPhrase(tri)
	}
	return strings.Join(rare, " AND "), false
}
