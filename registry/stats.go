package registry

import (
	"context"
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
// body. It reads every certificate of the scope once, so callers cache it.
func (s *Store) Stats(ctx context.Context, bodyID int64) (*Stats, error) {
	today := Today(s.Now()).Format(DateLayout)
	where, args := "", []any{today}
	if bodyID != 0 {
		where, args = " WHERE body_id = ?", append(args, bodyID)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT scheme, level, status, expiry_date < ?, province, substr(issue_date, 1, 4), count(*)
		FROM certificates`+where+` GROUP BY 1, 2, 3, 4, 5, 6`, args...)
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	defer rows.Close()
	st := &Stats{ByStatus: map[Status]int{}}
	levels := map[[2]string]int{}
	provinces := map[string]int{}
	years := map[string]int{}
	for rows.Next() {
		var scheme, level, status, province, year string
		var expired bool
		var n int
		if err := rows.Scan(&scheme, &level, &status, &expired, &province, &year, &n); err != nil {
			return nil, err
		}
		eff := Status(status)
		if expired && (eff == StatusValid || eff == StatusSuspended) {
			eff = StatusExpired
		}
		st.Certificates += n
		st.ByStatus[eff] += n
		levels[[2]string{scheme, level}] += n
		provinces[province] += n
		years[year] += n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	st.Valid = st.ByStatus[StatusValid]
	for _, sc := range s.schemes.All() {
		for _, l := range sc.Levels {
			if n := levels[[2]string{sc.Code, l.Code}]; n > 0 {
				st.ByLevel = append(st.ByLevel, LevelCount{Scheme: sc, Level: l, N: n})
			}
		}
	}
	for p, n := range provinces {
		st.ByProvince = append(st.ByProvince, NameCount{p, n})
	}
	sort.Slice(st.ByProvince, func(i, j int) bool {
		a, b := st.ByProvince[i], st.ByProvince[j]
		return a.N > b.N || a.N == b.N && a.Name < b.Name
	})
	for y, n := range years {
		st.ByYear = append(st.ByYear, NameCount{y, n})
	}
	sort.Slice(st.ByYear, func(i, j int) bool { return st.ByYear[i].Name < st.ByYear[j].Name })

	q := `SELECT count(DISTINCT holder_credit_code) FROM certificates` + where
	if err := s.db.QueryRowContext(ctx, q, args[1:]...).Scan(&st.Holders); err != nil {
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
