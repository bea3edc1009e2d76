package registry

import (
	"context"
	"fmt"
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
	// Anywhere after the first character. No index serves a part of a
	// text: this reads the number index, narrow rows, and stops at the
	// limit.
	part, err := s.queryCertificates(ctx, `SELECT `+certColumns+certFrom+` WHERE c.number_key LIKE ? ESCAPE '\' AND c.number_key NOT LIKE ? ESCAPE '\' ORDER BY c.number_key LIMIT ?`,
		"_%"+likeEscape(key)+"%", likeEscape(key)+"%", NumberMatchMax+1)
	if err != nil {
		return m, fmt.Errorf("search number part %s: %w", key, err)
	}
	if len(part) > NumberMatchMax {
		part, m.More = part[:NumberMatchMax], true
	}
	m.Part = part
	return m, nil
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
