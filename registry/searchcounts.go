package registry

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// filterCounts are the registry's certificates counted by every value of
// the browse filters together (scheme, level, province, city, body, issue
// year and the status on a day), as of one generation: about 7,000 groups
// at 1,000,000 certificates. A search with filters and no name term takes
// its count from them, exactly, in microseconds, where reading the rows
// that match two filters through one filter's index could read hundreds
// of thousands (status=valid in a small province read every valid
// certificate); and the page query uses them to choose an index.
type filterCounts struct {
	gen    int64
	day    string
	groups []filterGroup
}

type filterGroup struct {
	scheme, level, province, city string
	body                          int64
	year                          int
	status                        Status // effective: expired is derived from the day
	n                             int
}

// countsRefreshEvery is how often at most the counts are made again
// after the registry has changed: making them reads every certificate
// (seconds at 1,000,000), and until they are current again counts are
// bounded reads that may say "at least".
const countsRefreshEvery = 10 * time.Minute

// countsState guards the background refresh of the filter counts.
type countsState struct {
	mu         sync.Mutex
	refreshing bool
	last       time.Time
}

// LearnFilterCounts counts the registry's certificates by every value of
// the browse filters (a scan of every certificate), so that searches with
// filters and no name term are counted exactly until the registry
// changes; after a change, searches make them again in the background, at
// most every countsRefreshEvery. Serve runs it with LearnSearchTerms.
func (s *Store) LearnFilterCounts(ctx context.Context) error {
	today := Today(s.Now()).Format(DateLayout)
	// The generation is read in the same statement as the rows, so that
	// both are of one snapshot of the database.
	rows, err := s.db.QueryContext(ctx, `SELECT (SELECT generation FROM registry_state WHERE id = 1),
		scheme, level, province, city, body_id, CAST(substr(issue_date, 1, 4) AS INTEGER),
		CASE WHEN status IN ('valid', 'suspended') AND expiry_date < ? THEN 'expired' ELSE status END, count(*)
		FROM certificates GROUP BY 2, 3, 4, 5, 6, 7, 8`, today)
	if err != nil {
		return fmt.Errorf("filter counts: %w", err)
	}
	defer rows.Close()
	fc := &filterCounts{day: today, gen: -1}
	for rows.Next() {
		var g filterGroup
		var gen int64
		if err := rows.Scan(&gen, &g.scheme, &g.level, &g.province, &g.city, &g.body, &g.year, &g.status, &g.n); err != nil {
			return fmt.Errorf("filter counts: %w", err)
		}
		fc.gen = gen
		fc.groups = append(fc.groups, g)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("filter counts: %w", err)
	}
	if fc.gen < 0 { // no certificates: the generation still matters
		if fc.gen, err = s.Generation(ctx); err != nil {
			return fmt.Errorf("filter counts: %w", err)
		}
	}
	s.counts.Store(fc)
	return nil
}

// count returns how many certificates the filter's filters (not its
// query) select.
func (fc *filterCounts) count(f Filter) int {
	n := 0
	for i := range fc.groups {
		g := &fc.groups[i]
		if (f.Scheme == "" || g.scheme == f.Scheme) && (f.Level == "" || g.level == f.Level) &&
			(f.Province == "" || g.province == f.Province) && (f.City == "" || g.city == f.City) &&
			(f.BodyID == 0 || g.body == f.BodyID) && (f.Year == 0 || g.year == f.Year) &&
			(f.Status == "" || g.status == f.Status) {
			n += g.n
		}
	}
	return n
}

// exactFilterCount returns the count of f's filters when the filter
// counts are of the registry's current generation and today; otherwise
// false, and a refresh is started in the background (at most one at a
// time, at most every countsRefreshEvery).
func (s *Store) exactFilterCount(ctx context.Context, f Filter) (int, bool, error) {
	gen, err := s.Generation(ctx)
	if err != nil {
		return 0, false, fmt.Errorf("search count: %w", err)
	}
	fc := s.counts.Load()
	if fc != nil && fc.gen == gen && fc.day == Today(s.Now()).Format(DateLayout) {
		return fc.count(f), true, nil
	}
	s.refreshCounts()
	return 0, false, nil
}

// estimateFilterCount returns about how many certificates f's filters
// select, from the latest filter counts even if the registry has changed
// since (for choosing an index, not for showing), and false when there
// are none yet.
func (s *Store) estimateFilterCount(f Filter) (int, bool) {
	fc := s.counts.Load()
	if fc == nil {
		return 0, false
	}
	return fc.count(f), true
}

// refreshCounts makes the filter counts again in the background, unless
// that is under way or was done less than countsRefreshEvery ago.
func (s *Store) refreshCounts() {
	c := &s.countsState
	c.mu.Lock()
	if c.refreshing || time.Since(c.last) < countsRefreshEvery {
		c.mu.Unlock()
		return
	}
	c.refreshing, c.last = true, time.Now()
	c.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		_ = s.LearnFilterCounts(ctx) // on failure searches keep to bounded counts
		c.mu.Lock()
		c.refreshing = false
		c.mu.Unlock()
	}()
}
