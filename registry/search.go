package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sort orders of a search.
const (
	SortIssuedDesc = "issued-desc" // newest first (the default)
	SortIssuedAsc  = "issued-asc"
	SortExpiryAsc  = "expiry-asc"
	SortExpiryDesc = "expiry-desc"
	SortNumber     = "number"
)

// Sorts lists the sort orders, the default first.
var Sorts = []string{SortIssuedDesc, SortIssuedAsc, SortExpiryAsc, SortExpiryDesc, SortNumber}

var sortSQL = map[string]string{
	SortIssuedDesc: "c.issue_date DESC, c.id DESC",
	SortIssuedAsc:  "c.issue_date ASC, c.id ASC",
	SortExpiryAsc:  "c.expiry_date ASC, c.id ASC",
	SortExpiryDesc: "c.expiry_date DESC, c.id DESC",
	SortNumber:     "c.number_key ASC",
}

// Search limits. Counting and paging stop at CountCap results, so that a
// term that matches nearly every certificate ("有限公司") costs as little
// as a rare one.
const (
	CountCap       = 1000
	MaxPerPage     = 100
	DefaultPerPage = 20
	// ShortScanRows is how many of the newest certificates a one-character
	// query looks at: no index serves a single character.
	ShortScanRows = 20000
	// CountBudget is how many index entries a count reads at most when no
	// index counts for it alone (filters without a name term), and
	// TermCountBudget how many rows when each must also be checked
	// against the name terms (a common term with filters): past them the
	// count is given as "at least".
	CountBudget     = 3000
	TermCountBudget = 1500
	maxQueryRunes   = 100
)

// Filter selects certificates for browsing and search. Zero fields do not
// filter.
type Filter struct {
	Query    string // certificate number, credit code, or part of the holder's name (space-separated terms all match)
	Scheme   string // scheme code
	Level    string // level code
	Status   Status // effective status: expired is derived from the expiry date
	Province string
	City     string
	BodyID   int64
	Year     int    // issue year
	Sort     string // one of Sorts; "" is SortIssuedDesc
	Page     int    // 1-based; 0 is 1
	PerPage  int    // 0 is DefaultPerPage
}

// DefaultSort is the order when none is asked for: newest issued first,
// except for expired certificates, which come most recently expired first
// (what a reader of that list wants, and an order the expiry index serves:
// expired certificates are the oldest, so reading newest-issued first would
// pass over every current one before the first match).
func (f Filter) DefaultSort() string {
	if f.Status == StatusExpired {
		return SortExpiryDesc
	}
	return SortIssuedDesc
}

// Validate checks the filter's values and fills in defaults.
func (f *Filter) Validate(schemes *Schemes) error {
	// Line breaks and tabs pasted into the search box are spaces; any other
	// control character (a NUL would end an FTS5 phrase early) is refused
	// before it reaches SQL.
	if !utf8.ValidString(f.Query) {
		return Errorf(EINVALID, "q", "registry.search_text_has_invalid")
	}
	f.Query = strings.TrimSpace(FoldWidth(strings.Map(controlSpace, f.Query)))
	if n := utf8.RuneCountInString(f.Query); n > maxQueryRunes {
		return Errorf(EINVALID, "q", "registry.search_text_too_long", maxQueryRunes, n)
	}
	for _, p := range []struct{ name, value string }{
		{"q", f.Query}, {"scheme", f.Scheme}, {"level", f.Level}, {"status", string(f.Status)},
		{"province", f.Province}, {"city", f.City}, {"sort", f.Sort},
	} {
		if i := strings.IndexFunc(p.value, unicode.IsControl); i >= 0 {
			r, _ := utf8.DecodeRuneInString(p.value[i:])
			return Errorf(EINVALID, p.name, "registry.search_has_control_character", p.name, fmt.Sprintf("U+%04X", r), utf8.RuneCountInString(p.value[:i])+1)
		}
	}
	if f.Scheme != "" {
		if _, ok := schemes.Get(f.Scheme); !ok {
			return Errorf(EINVALID, "scheme", "registry.unknown_scheme", f.Scheme)
		}
	}
	if f.Level != "" {
		found := false
		for _, sc := range schemes.All() {
			if f.Scheme != "" && sc.Code != f.Scheme {
				continue
			}
			if _, ok := sc.Level(f.Level); ok {
				found = true
			}
		}
		if !found {
			return Errorf(EINVALID, "level", "registry.level_filter_unknown", f.Level)
		}
	}
	if f.Status != "" {
		if _, ok := statusKeys[f.Status]; !ok {
			return Errorf(EINVALID, "status", "registry.unknown_status", string(f.Status))
		}
	}
	if f.Year != 0 && (f.Year < 1990 || f.Year > 2100) {
		return Errorf(EINVALID, "year", "registry.issue_year_not_between", f.Year)
	}
	if f.Sort == "" {
		f.Sort = f.DefaultSort()
	}
	if _, ok := sortSQL[f.Sort]; !ok {
		return Errorf(EINVALID, "sort", "registry.unknown_sort_order", f.Sort)
	}
	if f.PerPage <= 0 {
		f.PerPage = DefaultPerPage
	}
	if f.PerPage > MaxPerPage {
		f.PerPage = MaxPerPage
	}
	if f.Page <= 0 {
		f.Page = 1
	}
	if (f.Page-1)*f.PerPage >= CountCap {
		return Errorf(EINVALID, "page", "registry.only_first_results_can", CountCap)
	}
	f.Province = strings.TrimSpace(f.Province)
	f.City = strings.TrimSpace(f.City)
	return nil
}

// SearchResult is one page of certificates that match a filter.
type SearchResult struct {
	// Exact holds the certificates found by their number (Numbers.All),
	// shown before the rest.
	Exact []*Certificate
	// Numbers are the same, by kind: the number itself, numbers that start
	// with the query, numbers that hold it further in.
	Numbers NumberMatches
	// HolderCode is set when the query is the credit code of a registered
	// holder: Certificates are then that holder's certificates, and only
	// those.
	HolderCode   string
	Certificates []*Certificate
	// Total counts the matches up to CountCap; Capped says there are more.
	// Total is -1 when the results are not counted (a one-character
	// search): there are results, how many is not known. AtLeast says
	// Total is a lower bound: counting stopped after CountBudget or
	// TermCountBudget rows.
	Total   int
	Capped  bool
	AtLeast bool
	// Partial says a one-character query only searched the newest
	// ShortScanRows certificates.
	Partial bool
}

// ftsCountMax is how far the name index's matches are counted: past it a
// term is common (at least 1 in 200 names at 1,000,000 certificates) and
// rows read in the order of the sort index find a page within a few
// thousand rows.
const ftsCountMax = 5000

// Search returns one page of the certificates that match f, in f's order.
// The work is bounded whatever the query: counts stop at CountCap, pages
// are read in the order of an index so that LIMIT stops early, and a holder
// name is matched through the trigram index (3+ characters), the bigram
// index (2 characters) or, for a term with many matches, by checking rows
// in index order.
func (s *Store) Search(ctx context.Context, f Filter) (*SearchResult, error) {
	if err := f.Validate(s.schemes); err != nil {
		return nil, err
	}
	return s.cachedSearch(ctx, f)
}

// search runs a validated filter's queries.
func (s *Store) search(ctx context.Context, f Filter) (*SearchResult, error) {
	res := &SearchResult{}
	var err error
	if f.Query != "" {
		var isCode bool
		if res.HolderCode, isCode, err = s.registeredCreditCode(ctx, f.Query); err != nil {
			return nil, err
		}
		if !isCode {
			res.HolderCode = ""
			if res.Numbers, err = s.numberMatches(ctx, f.Query); err != nil {
				return nil, err
			}
			res.Exact = res.Numbers.All()
		}
	}

	where, args := s.filterSQL(f)
	filtered := len(where) > 0
	var ts termSearch
	if res.HolderCode != "" {
		// A holder's certificates are few: the credit code index finds
		// them, and the count below is exact.
		where = append(where, "c.holder_credit_code = ?")
		args = append(args, res.HolderCode)
		filtered = true
	} else if terms := strings.Fields(f.Query); len(terms) > 0 {
		// Rows read in the issue index's order are checked in the index,
		// which holds the name, the status and the expiry: eight times
		// cheaper than a row.
		covered := coveredFilters(f) && (f.Sort == SortIssuedDesc || f.Sort == SortIssuedAsc)
		if ts, err = s.termSQL(ctx, terms, (f.Page-1)*f.PerPage+f.PerPage, covered); err != nil {
			return nil, err
		}
		res.Partial = ts.partial
	}
	if ts.lookup {
		// The name index's matches are the rows to read: no filter's index
		// may drive instead (a province's hundreds of thousands of rows,
		// each checked against the list).
		for i, w := range where {
			where[i] = strings.ReplaceAll(strings.ReplaceAll(w, "+c.", "c."), "c.", "+c.")
		}
	}
	cond := ""
	if all := append(append([]string{}, where...), ts.where...); len(all) > 0 {
		cond = " WHERE " + strings.Join(all, " AND ")
	}
	allArgs := append(append([]any{}, args...), ts.args...)
	if ts.lookup {
		// At most ftsCountMax candidates: one pass reads, checks and
		// orders them all (ids only), which gives the count and the page;
		// then the page's rows are read by id.
		ids, err := s.ids(ctx, `SELECT c.id FROM certificates c`+cond+` ORDER BY `+sortSQL[f.Sort]+` LIMIT ?`, append(allArgs, CountCap+1)...)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		res.Total, res.Capped = min(len(ids), CountCap), len(ids) > CountCap
		from := min((f.Page-1)*f.PerPage, len(ids))
		if res.Certificates, err = s.CertificatesByID(ctx, ids[from:min(from+f.PerPage, len(ids))]); err != nil {
			return nil, err
		}
		return res, nil
	}
	expiryOrder, err := s.expiryOrderCheaper(ctx, f)
	if err != nil {
		return nil, err
	}
	if res.HolderCode == "" && !ts.lookup && expiryOrder {
		// Read in the expiry index's order, the other filters checked on
		// each row: the planner would read every row of the filters'
		// index and sort them (every expired certificate of 广东).
		where = where[:0]
		for _, c := range s.filterConds(f) {
			if c.only.Status == "" {
				c.sql = strings.ReplaceAll(strings.ReplaceAll(c.sql, "+c.", "c."), "c.", "+c.")
			}
			where = append(where, c.sql)
		}
		cond = " WHERE " + strings.Join(append(append([]string{}, where...), ts.where...), " AND ")
	}
	q := `SELECT ` + certColumns + certFrom + cond + ` ORDER BY ` + sortSQL[f.Sort] + ` LIMIT ? OFFSET ?`
	res.Certificates, err = s.queryCertificates(ctx, q, append(allArgs, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	switch {
	case f.Page == 1 && len(res.Certificates) < f.PerPage:
		res.Total = len(res.Certificates)
		return res, nil
	case ts.exactCount && !filtered:
		// The name index counted the matches already.
		res.Total, res.Capped = min(ts.matches, CountCap), ts.matches > CountCap
		return res, nil
	case ts.partial:
		// A single character: the page came from the newest certificates
		// in order; counting would read all of them.
		res.Total = -1
		return res, nil
	case ts.in != "" && !filtered:
		// The name index found at most ftsCountMax candidates: check
		// them, in no order, stopping past CountCap.
		var n int
		if err := s.queryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM certificates c`+cond+` AND `+ts.in+` LIMIT ?)`, append(allArgs, ts.inArg, CountCap+1)...).Scan(&n); err != nil {
			return nil, fmt.Errorf("search count: %w", err)
		}
		res.Total, res.Capped = min(n, CountCap), n > CountCap
		return res, nil
	}
	if len(ts.where) == 0 && res.HolderCode == "" {
		// Filters alone: counted exactly by the filter counts, when they
		// are current.
		n, ok, err := s.exactFilterCount(ctx, f)
		if err != nil {
			return nil, err
		}
		if ok {
			res.Total, res.Capped = min(n, CountCap), n > CountCap
			return res, nil
		}
	}
	// Otherwise count among at most budget rows, in no order: the
	// filters choose the rows through their indexes, the name terms are
	// checked on each.
	// Fewer rows than the budget: the count is exact. Else it is a lower
	// bound, and said so. (A time budget with an interrupt was tried: the
	// driver then drops the connection, and a fresh connection starts
	// cold.)
	// One filter's index chooses the rows (the rarest filter, by the
	// filter counts when there are any): the budget then bounds the rows
	// read, which a LIMIT on rows matching every filter did not (valid
	// certificates in a small province read every valid certificate).
	conds := s.filterConds(f)
	if res.HolderCode != "" {
		conds = append([]filterCond{{"c.holder_credit_code = ?", []any{res.HolderCode}, nil}}, conds...)
	} else if len(conds) > 1 {
		best, bestN := 0, -1
		for i, c := range conds {
			if c.only == nil {
				continue
			}
			if n, ok := s.estimateFilterCount(*c.only); ok && (bestN < 0 || n < bestN) {
				best, bestN = i, n
			}
		}
		conds[0], conds[best] = conds[best], conds[0]
	}
	checks, checkArgs := append([]string{}, ts.where...), append([]any{}, ts.args...)
	var idxWhere string
	var idxArgs []any
	for i, c := range conds {
		if i == 0 {
			idxWhere, idxArgs = strings.ReplaceAll(c.sql, "+c.", "c."), c.args
			continue
		}
		checks, checkArgs = append(checks, c.sql), append(checkArgs, c.args...)
	}
	if len(ts.where) > 0 && res.HolderCode == "" && coveredFilters(f) {
		// A term with a status or a year, or with no filter: the issue
		// index holds every column checked, so the count reads index
		// entries, newest first, eight times the row budget, and stops
		// past CountCap matches.
		all := append(append([]string{}, ts.where...), where...)
		var n int
		if err := s.queryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM (SELECT (`+strings.Join(all, " AND ")+`) AS m
			FROM certificates c ORDER BY c.issue_date DESC, c.id DESC LIMIT ?) WHERE m LIMIT ?)`,
			append(append(append([]any{}, ts.args...), args...), coveredCountBudget, CountCap+1)...).Scan(&n); err != nil {
			return nil, fmt.Errorf("search count: %w", err)
		}
		var total int64
		if err := s.queryRow(ctx, `SELECT coalesce(max(id), 0) FROM certificates`).Scan(&total); err != nil {
			return nil, fmt.Errorf("search count: %w", err)
		}
		switch {
		case n > CountCap:
			res.Total, res.Capped = CountCap, true
		case total <= coveredCountBudget:
			res.Total = n
		default:
			res.Total, res.AtLeast = max(n, (f.Page-1)*f.PerPage+len(res.Certificates)), true
		}
		return res, nil
	}
	m, budget := "1", CountBudget
	if len(checks) > 0 {
		m = "(" + strings.Join(checks, " AND ") + ")"
	}
	if len(ts.where) > 0 {
		budget = TermCountBudget
	}
	countQ := `SELECT count(*), coalesce(sum(m), 0) FROM (SELECT ` + m + ` AS m FROM certificates c`
	if idxWhere != "" {
		countQ += " WHERE " + idxWhere
	}
	countQ += ` LIMIT ?)`
	var rows, n int
	if err := s.queryRow(ctx, countQ, append(append(checkArgs, idxArgs...), budget)...).Scan(&rows, &n); err != nil {
		return nil, fmt.Errorf("search count: %w", err)
	}
	switch {
	case n > CountCap:
		res.Total, res.Capped = CountCap, true
	case rows < budget:
		res.Total = n
	default:
		res.Total, res.AtLeast = max(n, (f.Page-1)*f.PerPage+len(res.Certificates)), true
	}
	return res, nil
}

// expiryOrderCheaper says whether a page in expiry order is found with
// fewer row reads by reading the expiry index in order, checking the
// other filters on each row (about need × rows / matches), than by
// reading every row the other filters' index selects and sorting them.
// The filter counts estimate both; without them the planner chooses.
func (s *Store) expiryOrderCheaper(ctx context.Context, f Filter) (bool, error) {
	if f.Sort != SortExpiryAsc && f.Sort != SortExpiryDesc {
		return false, nil
	}
	others := Filter{Scheme: f.Scheme, Level: f.Level, Province: f.Province, City: f.City, BodyID: f.BodyID, Year: f.Year}
	if others == (Filter{}) {
		return false, nil
	}
	selected, ok := s.estimateFilterCount(others)
	if !ok {
		// No counts yet (just started): count the other filters' rows up
		// to sortedRowsMax in their index. Fewer are sorted; more make a
		// share of the registry large enough that reading in expiry order
		// finds a page within about need × rows / sortedRowsMax rows.
		where, args := s.filterSQL(others)
		var n int
		if err := s.queryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM certificates c WHERE `+strings.Join(where, " AND ")+` LIMIT ?)`, append(args, sortedRowsMax)...).Scan(&n); err != nil {
			return false, fmt.Errorf("search: %w", err)
		}
		return n >= sortedRowsMax, nil
	}
	all, _ := s.estimateFilterCount(Filter{Status: f.Status})
	matches, _ := s.estimateFilterCount(Filter{Scheme: f.Scheme, Level: f.Level, Province: f.Province, City: f.City, BodyID: f.BodyID, Year: f.Year, Status: f.Status})
	need := int64(f.Page * f.PerPage)
	return matches > 0 && need*int64(all) < int64(matches)*int64(selected), nil
}

// coveredCountBudget is how many issue-index entries a count reads at
// most when the index holds every column it checks (coveredFilters).
const coveredCountBudget = 8 * TermCountBudget

// coveredFilters says whether every filter of f is on a column the issue
// index holds (status, expiry, issue year), so that rows need not be read
// to check them.
func coveredFilters(f Filter) bool {
	return f.Scheme == "" && f.Level == "" && f.Province == "" && f.City == "" && f.BodyID == 0
}

// sortedRowsMax is how many rows a page in expiry order reads and sorts
// at most when no filter counts are known yet.
const sortedRowsMax = 20000

// ids runs q, which selects one integer column.
func (s *Store) ids(ctx context.Context, q string, args ...any) ([]int64, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// expiredSQL selects certificates past their expiry date that were never
// revoked or withdrawn.
const expiredSQL = "+c.status IN ('valid','suspended') AND +c.expiry_date < ?"

// filterCond is one of a filter's conditions, with its arguments; only
// is the filter with this condition alone, for estimating how many rows it
// selects (nil when it cannot be estimated).
type filterCond struct {
	sql  string
	args []any
	only *Filter
}

// filterSQL returns the conditions for f's filters. Columns whose filter is
// rarely selective (status, expiry) are written +c.col so that the planner
// keeps to an index that serves the sort order.
func (s *Store) filterSQL(f Filter) (where []string, args []any) {
	for _, c := range s.filterConds(f) {
		where = append(where, c.sql)
		args = append(args, c.args...)
	}
	return where, args
}

// filterConds returns f's filters as conditions, in the order filterSQL
// writes them.
func (s *Store) filterConds(f Filter) []filterCond {
	var out []filterCond
	add := func(only Filter, cond string, a ...any) {
		out = append(out, filterCond{cond, a, &only})
	}
	if f.Scheme != "" {
		add(Filter{Scheme: f.Scheme}, "c.scheme = ?", f.Scheme)
	}
	if f.Level != "" {
		add(Filter{Level: f.Level}, "c.level = ?", f.Level)
	}
	if f.Province != "" {
		add(Filter{Province: f.Province}, "c.province = ?", f.Province)
	}
	if f.City != "" {
		add(Filter{City: f.City}, "c.city = ?", f.City)
	}
	if f.BodyID != 0 {
		add(Filter{BodyID: f.BodyID}, "c.body_id = ?", f.BodyID)
	}
	if f.Year != 0 {
		add(Filter{Year: f.Year}, "c.issue_date >= ? AND c.issue_date < ?", fmt.Sprintf("%04d-01-01", f.Year), fmt.Sprintf("%04d-01-01", f.Year+1))
	}
	today := Today(s.Now()).Format(DateLayout)
	only := Filter{Status: f.Status}
	switch f.Status {
	case StatusValid, StatusSuspended:
		add(only, "+c.status = ? AND +c.expiry_date >= ?", string(f.Status), today)
	case StatusRevoked, StatusWithdrawn:
		add(only, "+c.status = ?", string(f.Status))
	case StatusExpired:
		if f.Sort == SortExpiryAsc || f.Sort == SortExpiryDesc {
			// The expiry index serves both the filter and the order.
			add(only, "+c.status IN ('valid','suspended') AND c.expiry_date < ?", today)
		} else {
			add(only, expiredSQL, today)
		}
	}
	return out
}

// termSearch is how a search's terms are matched.
type termSearch struct {
	where []string
	args  []any
	// matches counts the rows the name index finds, up to CountCap+1;
	// exactCount says that count is the number of names matching every
	// term (each term is in the index expression).
	matches    int
	exactCount bool
	partial    bool
	// lookup says the page is read by looking up the name index's
	// matches (at most ftsCountMax), not by reading rows in order.
	lookup bool
	// in is the condition that limits rows to the name index's matches
	// (with its argument), set when they are at most ftsCountMax.
	in    string
	inArg any
}

// termSQL returns the conditions that make every term match the holder's
// name. Every term is checked with LIKE; the rarest index kind narrows the
// rows first when its matches are few enough to look up, given that the
// page needs the first need rows in sort order.
func (s *Store) termSQL(ctx context.Context, terms []string, need int, covered bool) (termSearch, error) {
	var ts termSearch
	var tri, bi []string
	var triEst, biEst []float64
	triExact := true
	for _, t := range terms {
		ts.where = append(ts.where, `c.holder_name LIKE ? ESCAPE '\'`)
		ts.args = append(ts.args, "%"+likeEscape(t)+"%")
		switch {
		case utf8.RuneCountInString(t) >= 3:
			expr, exact, est := s.trigramQuery(t)
			tri = append(tri, expr)
			triEst = append(triEst, est)
			triExact = triExact && exact
		case utf8.RuneCountInString(t) == 2 && Bigrams(t) != "" && !strings.Contains(Bigrams(t), " "):
			bi = append(bi, ftsPhrase(Bigrams(t)))
			biEst = append(biEst, s.bigramCount(Bigrams(t)))
		}
	}
	var table, expr string
	var ests []float64 // about how many names each part of expr finds (-1: not known)
	switch {
	case len(tri) > 0:
		table, expr, ests = "holder_fts", strings.Join(tri, " AND "), triEst
		ts.exactCount = len(tri) == len(terms) && triExact
	case len(bi) > 0:
		table, expr, ests = "holder_bigram_fts", strings.Join(bi, " AND "), biEst
		ts.exactCount = len(bi) == len(terms)
	default:
		// Only single characters: no index helps. Look at the newest
		// certificates only, and say so.
		since, err := s.shortScanSince(ctx)
		if err != nil {
			return ts, err
		}
		if since != "" {
			ts.where = append(ts.where, `c.issue_date >= ?`)
			ts.args = append(ts.args, since)
		}
		ts.partial = true
		return ts, nil
	}
	var rows int64 // about the number of certificates, from the rowid index
	if err := s.queryRow(ctx, `SELECT coalesce(max(id), 0) FROM certificates`).Scan(&rows); err != nil {
		return ts, fmt.Errorf("search: %w", err)
	}
	// An expression that is likely to find at most ftsCountMax names is
	// walked once for both the count and the matches, as a JSON list the
	// later queries read with json_each: an AND of common trigrams
	// ("宁波东方电器有限公司") costs a walk of each list, twice before. One
	// likely to find more is counted only (writing out ftsCountMax matches
	// costs more than the walk of one common list), and its matches, when
	// they are few after all, read again.
	in, inArg := `c.id IN (SELECT rowid FROM `+table+` WHERE `+table+` MATCH ?)`, any(expr)
	est := float64(rows)
	for i, e := range ests {
		switch {
		case e < 0:
			est = -1 // not known: an intersection is likely small
		case est >= 0 && i == 0:
			est = e
		case est >= 0:
			est = min(est, e) * max(est, e) / float64(max(rows, 1))
		}
	}
	if est < 0 && strings.Contains(expr, " AND ") || est >= 0 && est <= ftsCountMax {
		var found string
		if err := s.queryRow(ctx, `SELECT count(*), json_group_array(rowid) FROM (SELECT rowid FROM `+table+` WHERE `+table+` MATCH ? LIMIT ?)`, expr, ftsCountMax+1).Scan(&ts.matches, &found); err != nil {
			return ts, fmt.Errorf("search %q: %w", expr, err)
		}
		in, inArg = `c.id IN (SELECT value FROM json_each(?))`, found
	} else if err := s.queryRow(ctx, `SELECT count(*) FROM (SELECT rowid FROM `+table+` WHERE `+table+` MATCH ? LIMIT ?)`, expr, ftsCountMax+1).Scan(&ts.matches); err != nil {
		return ts, fmt.Errorf("search %q: %w", expr, err)
	}
	// Looking up m matches costs m row reads (and a sort); reading in sort
	// order costs about need × rows / m reads, of index entries when the
	// index holds the name (covered), about eight times cheaper. Look up
	// when that is cheaper.
	scan := int64(8)
	if covered {
		scan = 1
	}
	if ts.matches <= ftsCountMax {
		ts.in, ts.inArg = in, inArg
	}
	if m := int64(ts.matches); m <= ftsCountMax && (m == 0 || 8*m*m <= scan*int64(need)*rows) {
		ts.where = append(ts.where, ts.in)
		ts.args = append(ts.args, ts.inArg)
		ts.lookup = true
	}
	return ts, nil
}

// generationValue is a value computed from the registry as of a
// generation.
type generationValue struct {
	gen   int64
	value string
}

// shortScanSince returns the issue date of the ShortScanRows-th newest
// certificate ("" when there are fewer), where a one-character search's
// window starts. Finding it reads that many index entries, as many as an
// absent character's search itself, so it is kept until the registry
// changes.
func (s *Store) shortScanSince(ctx context.Context) (string, error) {
	gen, err := s.Generation(ctx)
	if err != nil {
		return "", fmt.Errorf("search: %w", err)
	}
	if v := s.shortSince.Load(); v != nil && v.gen == gen {
		return v.value, nil
	}
	var since string
	err = s.queryRow(ctx, `SELECT issue_date FROM certificates ORDER BY issue_date DESC, id DESC LIMIT 1 OFFSET ?`, ShortScanRows-1).Scan(&since)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("search: %w", err)
	}
	// Read after the generation: a write in between stores a window that
	// is already the newer one's, under the older generation, which the
	// next search (at the newer generation) replaces.
	s.shortSince.Store(&generationValue{gen: gen, value: since})
	return since, nil
}

// controlSpace turns the whitespace control characters into spaces.
func controlSpace(r rune) rune {
	switch r {
	case '\t', '\n', '\r', '\v', '\f':
		return ' '
	}
	return r
}

// ftsPhrase quotes t as an FTS5 phrase.
func ftsPhrase(t string) string {
	return `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
}

// Places returns the provinces and, for each, the cities that certificates
// name, for the browse filters.
func (s *Store) Places(ctx context.Context) (map[string][]string, []string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT province, city FROM certificates ORDER BY province, city`)
	if err != nil {
		return nil, nil, fmt.Errorf("places: %w", err)
	}
	defer rows.Close()
	cities := map[string][]string{}
	var provinces []string
	for rows.Next() {
		var p, c string
		if err := rows.Scan(&p, &c); err != nil {
			return nil, nil, err
		}
		if _, ok := cities[p]; !ok {
			provinces = append(provinces, p)
			cities[p] = nil
		}
		if c != "" {
			cities[p] = append(cities[p], c)
		}
	}
	return cities, provinces, rows.Err()
}

// CertificatesByID returns the certificates with the given ids, in the
// order of ids, in one query (for lists built from events).
func (s *Store) CertificatesByID(ctx context.Context, ids []int64) ([]*Certificate, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	cs, err := s.queryCertificates(ctx, `SELECT `+certColumns+certFrom+` WHERE c.id IN (?`+strings.Repeat(",?", len(ids)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("certificates by id: %w", err)
	}
	byID := make(map[int64]*Certificate, len(cs))
	for _, c := range cs {
		byID[c.ID] = c
	}
	out := make([]*Certificate, 0, len(cs))
	for _, id := range ids {
		if c, ok := byID[id]; ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// Numbers returns certificate numbers in registration order, limit of them
// after skipping offset (for the sitemap).
func (s *Store) Numbers(ctx context.Context, offset, limit int) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT number FROM certificates ORDER BY id LIMIT ? OFFSET ?`, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("numbers: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
