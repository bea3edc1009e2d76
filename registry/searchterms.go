package registry

import (
	"context"
	"database/sql"
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
	tri, bi map[string]int // trigrams and bigrams, with the names holding each
	rows    int64          // about how many names there were
	least   int            // the least count kept: a token not kept is in fewer names
}

// count returns about how many names hold the token tok of kind m.
func (ct *commonTerms) count(m map[string]int, tok string) float64 {
	if n, ok := m[tok]; ok {
		return float64(n)
	}
	return float64(ct.least)
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
	least := max(rows/commonTermShare, 50)
	ct := &commonTerms{tri: map[string]int{}, bi: map[string]int{}, rows: rows, least: int(least)}
	for _, v := range []struct {
		table string
		into  map[string]int
	}{{"holder_fts", ct.tri}, {"holder_bigram_fts", ct.bi}} {
		if err := learnCommon(ctx, conn, v.table, least, v.into); err != nil {
			return fmt.Errorf("learn search terms: %w", err)
		}
	}
	s.common.Store(ct)
	return nil
}

// learnCommon reads the tokens of an index that are in at least least
// names into into.
func learnCommon(ctx context.Context, conn *sql.Conn, table string, least int64, into map[string]int) error {
	if _, err := conn.ExecContext(ctx, `CREATE VIRTUAL TABLE IF NOT EXISTS temp.`+table+`_vocab USING fts5vocab(main, `+table+`, row)`); err != nil {
		return err
	}
	r, err := conn.QueryContext(ctx, `SELECT term, doc FROM temp.`+table+`_vocab WHERE doc >= ?`, least)
	if err != nil {
		return err
	}
	defer r.Close()
	for r.Next() {
		var term string
		var n int
		if err := r.Scan(&term, &n); err != nil {
			return err
		}
		into[term] = n
	}
	return r.Err()
}

// trigramQuery returns the FTS5 expression that finds the names holding t
// (three or more characters), and whether every name it finds holds t.
// With learned frequencies it names only t's three rarest trigrams: the
// caller checks the matches with LIKE.
//
// est is about how many names the expression finds (-1: not known, before
// LearnSearchTerms): a phrase at most as many as its rarest trigram, an
// AND of trigrams apart about as many as if they were independent.
func (s *Store) trigramQuery(t string) (expr string, exact bool, est float64) {
	ct := s.common.Load()
	rs := []rune(strings.ToLower(t))
	if ct == nil {
		return ftsPhrase(t), true, -1
	}
	est = float64(ct.rows)
	for i := 0; i+3 <= len(rs); i++ {
		est = min(est, ct.count(ct.tri, string(rs[i:i+3])))
	}
	if len(rs) < 4 {
		return ftsPhrase(t), true, est
	}
	type tri struct {
		at int
		t  string
	}
	tris := make([]tri, 0, len(rs)-2)
	for i := 0; i+3 <= len(rs); i++ {
		tris = append(tris, tri{i, string(rs[i : i+3])})
	}
	if len(tris) <= 3 {
		return ftsPhrase(t), true, est
	}
	// The rarest first (unknown ones are rare): an AND walks the shortest
	// list and seeks in the others. Then the rarest that share no
	// character with those chosen: trigrams that overlap are found in
	// nearly the same names ("宁波东", "波东方"), so a third that overlaps
	// adds a list to walk and removes few candidates, while one further
	// along the term removes most of the names that only start like it.
	// A trigram in more than one name in ten narrows little: left out.
	slices.SortStableFunc(tris, func(a, b tri) int { return ct.tri[a.t] - ct.tri[b.t] })
	chosen := tris[:1]
	for _, c := range tris[1:] {
		if len(chosen) == 3 || ct.rows > 0 && int64(ct.tri[c.t]) > ct.rows/10 {
			break
		}
		apart := true
		for _, o := range chosen {
			apart = apart && (c.at >= o.at+3 || o.at >= c.at+3)
		}
		if apart {
			chosen = append(chosen, c)
		}
	}
	if len(chosen) == 1 {
		// No two apart: the two rarest, as before.
		chosen = tris[:2]
	} else {
		est = ct.count(ct.tri, chosen[0].t)
		for _, c := range chosen[1:] {
			est *= ct.count(ct.tri, c.t) / float64(max(ct.rows, 1))
		}
	}
	rare := make([]string, len(chosen))
	for i, c := range chosen {
		rare[i] = ftsPhrase(c.t)
	}
	return strings.Join(rare, " AND "), false, est
}

// bigramCount returns about how many names hold the bigram b (-1: not
// known).
func (s *Store) bigramCount(b string) float64 {
	ct := s.common.Load()
	if ct == nil {
		return -1
	}
	return ct.count(ct.bi, b)
}
