package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// What a search query finds besides holder names: kept apart from the
// name search (search.go) so that each can change on its own.

// NumberMatchMax is how many certificates each kind of number match lists.
const NumberMatchMax = 20

// minNumberPart is the shortest part of a number that finds the numbers
// containing it: shorter parts ("2024") would match a large share of the
// registry.
const minNumberPart = 4

// NumberMatches are the certificates a query finds by their number, each
// kind apart so that a page can say which it is.
type NumberMatches struct {
	Exact  *Certificate   // the number is the query
	Prefix []*Certificate // numbers that start with the query (other than Exact)
	Part   []*Certificate // numbers that hold the query after their start
	More   bool           // either list stopped at NumberMatchMax
}

// All returns every certificate found, the exact match first.
func (m NumberMatches) All() []*Certificate {
	var out []*Certificate
	if m.Exact != nil {
		out = append(out, m.Exact)
	}
	out = append(out, m.Prefix...)
	return append(out, m.Part...)
}

// numberPart returns q as a key to look for inside numbers (upper case,
// widths folded), and whether q could be part of a number at all: 4 to 40
// of the characters numbers are written with, at least one a digit.
func numberPart(q string) (string, bool) {
	q = strings.ToUpper(FoldWidth(strings.TrimSpace(q)))
	n := utf8.RuneCountInString(q)
	if n < minNumberPart || n > 40 {
		return "", false
	}
	digit := false
	for _, r := range q {
		switch {
		case r >= '0' && r <= '9':
			digit = true
		case r >= 'A' && r <= 'Z', r == '-', r == '/', r == '.':
		default:
			return "", false
		}
	}
	return q, digit
}

// numberMatches finds the certificates whose number is q, starts with q,
// or holds q further in (the tail "00067" of "AS-2024-00067").
func (s *Store) numberMatches(ctx context.Context, q string) (NumberMatches, error) {
	var m NumberMatches
	key, ok := numberPart(q)
	if !ok {
		return m, nil
	}
	prefix, err := s.queryCertificates(ctx, `SELECT `+certColumns+certFrom+` WHERE c.number_key >= ? AND c.number_key < ? ORDER BY c.number_key LIMIT ?`,
		key, key+"\U0010FFFF", NumberMatchMax+2)
	if err != nil {
		return m, fmt.Errorf("search number %s: %w", key, err)
	}
	for _, c := range prefix {
		if NumberKey(c.Number) == key {
			m.Exact = c
		} else if len(m.Prefix) < NumberMatchMax {
			m.Prefix = append(m.Prefix, c)
		} else {
			m.More = true
		}
	}
	part, more, err := s.numberParts(ctx, key)
	if err != nil {
		return m, fmt.Errorf("search number part %s: %w", key, err)
	}
	m.More = m.More || more
	m.Part = part
	return m, nil
}

// partCandidates bounds the rowids numberParts reads from the number-part
// index: up to this many hits are all read and sorted by number, exactly;
// beyond, the part is common and the number index finds its first
// matches near its start.
const partCandidates = 1000

// partWindow bounds the number-index entries numberParts reads, in number
// order, for a part more than partCandidates numbers hold: at 1,000,000
// certificates such a part is held by one number in a thousand or more,
// so the window holds NumberMatchMax+1 of them unless they cluster. A
// variable so that a test can make the window small.
var partWindow = 50000

// numberParts returns, in number order, the first NumberMatchMax
// certificates whose number holds key after its first character and does
// not start with it, and whether more exist. The trigram index
// (migrations/0015_number_trigram.sql) finds the candidates; each is
// checked with LIKE, which is the definition. Reads are bounded: at most
// partCandidates+1 index hits, and for a part with more hits at most
// partWindow number-index entries. Only when a common part's first
// matches lie beyond that window can the list skip some, and then it
// says More.
func (s *Store) numberParts(ctx context.Context, key string) ([]*Certificate, bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT rowid FROM number_fts WHERE number_fts MATCH ? LIMIT ?`,
		`"`+key+`"`, partCandidates+1)
	if err != nil {
		return nil, false, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, false, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	if len(ids) == 0 {
		return nil, false, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, false, err
	}
	like, notLike := "_%"+likeEscape(key)+"%", likeEscape(key)+"%"
	var window []*Certificate
	if len(ids) > partCandidates {
		// A common part: its first matches in number order are those of
		// the number index's first partWindow entries, when they hold
		// NumberMatchMax+1 of them; else the candidates beyond the
		// window follow them, and the list may skip some, which More
		// (certainly true here) tells.
		window, err = s.queryCertificates(ctx, `SELECT `+certColumns+certFrom+` WHERE c.id IN (
			SELECT id FROM (SELECT id, number_key FROM certificates ORDER BY number_key LIMIT ?)
			WHERE number_key LIKE ? ESCAPE '\' AND number_key NOT LIKE ? ESCAPE '\' LIMIT ?) ORDER BY c.number_key`,
			partWindow, like, notLike, NumberMatchMax+1)
		if err != nil {
			return nil, false, err
		}
		if len(window) > NumberMatchMax {
			return window[:NumberMatchMax], true, nil
		}
	}
	// The candidates that are matches, in number order.
	found, err := s.queryCertificates(ctx, `SELECT `+certColumns+certFrom+` WHERE c.id IN (SELECT value FROM json_each(?))
		AND c.number_key LIKE ? ESCAPE '\' AND c.number_key NOT LIKE ? ESCAPE '\' ORDER BY c.number_key LIMIT ?`,
		string(list), like, notLike, NumberMatchMax+1)
	if err != nil {
		return nil, false, err
	}
	if len(ids) > partCandidates {
		seen := make(map[int64]bool, len(window))
		for _, c := range window {
			seen[c.ID] = true
		}
		for _, c := range found {
			if !seen[c.ID] {
				window = append(window, c)
			}
		}
		slices.SortStableFunc(window, func(a, b *Certificate) int { return strings.Compare(NumberKey(a.Number), NumberKey(b.Number)) })
		found = window
	}
	if len(found) > NumberMatchMax {
		return found[:NumberMatchMax], true, nil
	}
	return found, len(ids) > partCandidates, nil
}

// registeredCreditCode returns q as a credit code when q is one (widths
// and case folded) and some certificate is held under it: the search then
// lists that holder's certificates and nothing else.
func (s *Store) registeredCreditCode(ctx context.Context, q string) (string, bool, error) {
	code, _, fe := NormalizeCreditCode(q)
	if fe != nil {
		return "", false, nil
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM certificates WHERE holder_credit_code = ? LIMIT 1)`, code).Scan(&n); err != nil {
		return "", false, fmt.Errorf("search credit code %s: %w", code, err)
	}
	return code, n > 0, nil
}
