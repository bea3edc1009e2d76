package registry

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
)

// Stats are the registry's totals, as the home, body and statistics pages
// show them. Statuses are effective: expired is derived for the day the
// stats were read.
type Stats struct {
	Certificates int
	Holders      int
	Bodies       int
	ByStatus     map[Status]int
	ByLevel      []LevelCount // in scheme order, best level first
	ByProvince   []NameCount  // most certificates first
	ByYear       []NameCount  // issue year, oldest first
	// Valid counts the certificates in force (effective status valid).
	Valid int
}

// LevelCount is how many certificates a scheme's level has.
type LevelCount struct {
	Scheme *Scheme
	Level  Level
	N      int
}

// NameCount is a count under a name (a province, a year).
type NameCount struct {
	Name string
	N    int
}

// Stats computes the totals of the whole registry (bodyID 0) or of one
// body. The whole registry's are counted by queries that indexes cover
// (statsByQueries); a body's by one pass over its rows (statsByScan),
// which reads them once where each of those queries would read them again.
// Callers still cache them.
func (s *Store) Stats(ctx context.Context, bodyID int64) (*Stats, error) {
	if bodyID != 0 {
		return s.statsByScan(ctx, bodyID)
	}
	return s.statsByQueries(ctx, 0)
}

// statsByScan reads a body's certificates once and counts them.
func (s *Store) statsByScan(ctx context.Context, bodyID int64) (*Stats, error) {
	today := Today(s.Now()).Format(DateLayout)
	rows, err := s.db.QueryContext(ctx, `SELECT scheme, level, status, expiry_date < ?, province, substr(issue_date, 1, 4), holder_credit_code
		FROM certificates WHERE body_id = ?`, today, bodyID)
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	defer rows.Close()
	st := &Stats{ByStatus: map[Status]int{StatusValid: 0, StatusSuspended: 0, StatusRevoked: 0, StatusWithdrawn: 0, StatusExpired: 0}, Bodies: 1}
	levels := map[[2]string]int{}
	provinces := map[string]int{}
	years := map[string]int{}
	holders := map[string]bool{}
	for rows.Next() {
		var scheme, level, status, province, year, holder string
		var past bool
		if err := rows.Scan(&scheme, &level, &status, &past, &province, &year, &holder); err != nil {
			return nil, fmt.Errorf("stats: %w", err)
		}
		st.Certificates++
		levels[[2]string{scheme, level}]++
		if past && (Status(status) == StatusValid || Status(status) == StatusSuspended) {
			st.ByStatus[StatusExpired]++
		} else {
			st.ByStatus[Status(status)]++
		}
		provinces[province]++
		years[year]++
		holders[holder] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	for name, n := range provinces {
		st.ByProvince = append(st.ByProvince, NameCount{name, n})
	}
	for y, n := range years {
		st.ByYear = append(st.ByYear, NameCount{y, n})
	}
	sort.Slice(st.ByYear, func(i, j int) bool { return st.ByYear[i].Name < st.ByYear[j].Name })
	st.Holders = len(holders)
	s.finishStats(st, levels)
	return st, nil
}

// finishStats fills in what both ways of counting derive: the valid
// count, the levels in scheme order and the provinces by size.
func (s *Store) finishStats(st *Stats, levels map[[2]string]int) {
	st.Valid = st.ByStatus[StatusValid]
	for _, sc := range s.schemes.All() {
		for _, l := range sc.Levels {
			if n := levels[[2]string{sc.Code, l.Code}]; n > 0 {
				st.ByLevel = append(st.ByLevel, LevelCount{Scheme: sc, Level: l, N: n})
			}
		}
	}
	sort.Slice(st.ByProvince, func(i, j int) bool {
		a, b := st.ByProvince[i], st.ByProvince[j]
		return a.N > b.N || a.N == b.N && a.Name < b.Name
	})
}

// statsByQueries counts with one query per figure, each covered by an
// index (scheme and level, status and expiry, province, issue date,
// credit code), so the whole registry's totals read indexes only, never
// the rows.
func (s *Store) statsByQueries(ctx context.Context, bodyID int64) (*Stats, error) {
	today := Today(s.Now()).Format(DateLayout)
	where, args := "", []any{}
	if bodyID != 0 {
		where, args = " WHERE body_id = ?", []any{bodyID}
	}
	st := &Stats{ByStatus: map[Status]int{}}
	each := func(q string, qargs []any, scan func(r *sql.Rows) error) error {
		rows, err := s.db.QueryContext(ctx, q, qargs...)
		if err != nil {
			return fmt.Errorf("stats: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}

	levels := map[[2]string]int{}
	err := each(`SELECT scheme, level, count(*) FROM certificates`+where+` GROUP BY scheme, level`, args, func(r *sql.Rows) error {
		var scheme, level string
		var n int
		err := r.Scan(&scheme, &level, &n)
		levels[[2]string{scheme, level}] += n
		st.Certificates += n
		return err
	})
	if err != nil {
		return nil, err
	}
	// Statuses: two range counts per stored status on the (status,
	// expiry_date) index, expired being valid or suspended past expiry.
	cond := " WHERE "
	if where != "" {
		cond = where + " AND "
	}
	for _, stored := range []Status{StatusValid, StatusSuspended, StatusRevoked, StatusWithdrawn} {
		var all, past int
		qargs := append(append([]any{}, args...), string(stored))
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM certificates`+cond+`status = ?`, qargs...).Scan(&all); err != nil {
			return nil, fmt.Errorf("stats: %w", err)
		}
		if stored == StatusValid || stored == StatusSuspended {
			if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM certificates`+cond+`status = ? AND expiry_date < ?`, append(qargs, today)...).Scan(&past); err != nil {
				return nil, fmt.Errorf("stats: %w", err)
			}
		}
		st.ByStatus[stored] += all - past
		st.ByStatus[StatusExpired] += past
	}
	err = each(`SELECT province, count(*) FROM certificates`+where+` GROUP BY province`, args, func(r *sql.Rows) error {
		var nc NameCount
		err := r.Scan(&nc.Name, &nc.N)
		st.ByProvince = append(st.ByProvince, nc)
		return err
	})
	if err != nil {
		return nil, err
	}
	// Issue years: one range count per year on the issue-date index, which
	// a GROUP BY on substr() could not use without sorting every row.
	var first, last sql.NullString
	if err := s.db.QueryRowContext(ctx, `SELECT min(issue_date) FROM certificates`+where, args...).Scan(&first); err != nil {
		return nil, fmt.Errorf("stats years: %w", err)
	}
	if err := s.db.QueryRowContext(ctx, `SELECT max(issue_date) FROM certificates`+where, args...).Scan(&last); err != nil {
		return nil, fmt.Errorf("stats years: %w", err)
	}
	if first.Valid && len(first.String) >= 4 && len(last.String) >= 4 {
		y0, _ := strconv.Atoi(first.String[:4])
		y1, _ := strconv.Atoi(last.String[:4])
		for y := y0; y <= y1 && y0 > 0; y++ {
			var n int
			if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM certificates`+cond+`issue_date >= ? AND issue_date < ?`,
				append(append([]any{}, args...), fmt.Sprintf("%04d-01-01", y), fmt.Sprintf("%04d-01-01", y+1))...).Scan(&n); err != nil {
				return nil, fmt.Errorf("stats years: %w", err)
			}
			if n > 0 {
				st.ByYear = append(st.ByYear, NameCount{strconv.Itoa(y), n})
			}
		}
	}
	s.finishStats(st, levels)
	if err := s.db.QueryRowContext(ctx, `SELECT count(DISTINCT holder_credit_code) FROM certificates`+where, args...).Scan(&st.Holders); err != nil {
		return nil, fmt.Errorf("stats holders: %w", err)
	}
	if bodyID == 0 {
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM bodies WHERE NOT disabled`).Scan(&st.Bodies); err != nil {
			return nil, fmt.Errorf("stats bodies: %w", err)
		}
	} else {
		st.Bodies = 1
	}
	return st, nil
}

// Years returns the issue years that certificates have, newest first.
func (st *Stats) Years() []int {
	var out []int
	for i := len(st.ByYear) - 1; i >= 0; i-- {
		if y, err := strconv.Atoi(st.ByYear[i].Name); err == nil {
			out = append(out, y)
		}
	}
	return out
}

// BodyCount is how many certificates a body has registered, and how many
// of them are in force.
type BodyCount struct {
	Certificates int
	Valid        int
}

// CountsByBody returns every body's certificate counts in one pass (the
// list of bodies shows them side by side), keyed by body id. Valid is the
// effective status on the store's day.
func (s *Store) CountsByBody(ctx context.Context) (map[int64]BodyCount, error) {
	today := Today(s.Now()).Format(DateLayout)
	rows, err := s.db.QueryContext(ctx, `SELECT body_id, count(*), sum(status = 'valid' AND expiry_date >= ?) FROM certificates GROUP BY body_id`, today)
	if err != nil {
		return nil, fmt.Errorf("counts by body: %w", err)
	}
	defer rows.Close()
	out := map[int64]BodyCount{}
	for rows.Next() {
		var id int64
		var c BodyCount
		if err := rows.Scan(&id, &c.Certificates, &c.Valid); err != nil {
			return nil, fmt.Errorf("counts by body: %w", err)
		}
		out[id] = c
	}
	return out, rows.Err()
}
