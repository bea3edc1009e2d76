package registry

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
)

// Scheme is a certification scheme (认证依据): the standard a service is
// certified against and its grading rule. Schemes are data
// (data/schemes.json), not code: a new scheme is a new entry there.
type Scheme struct {
	Code     string  `json:"code"`
	Standard string  `json:"standard"`
	NameZH   string  `json:"name_zh"`
	NameEN   string  `json:"name_en"`
	KindZH   string  `json:"kind_zh"`
	KindEN   string  `json:"kind_en"`
	Graded   bool    `json:"graded"`
	MaxScore float64 `json:"max_score,omitempty"`
	// Levels are ordered from best to worst. For a graded scheme the level of
	// a score is the first whose MinScore the score reaches; below the last
	// one the score cannot be certified. A pass/fail scheme has one level.
	Levels []Level `json:"levels"`
}

// Level is one grade of a scheme.
type Level struct {
	Code     string  `json:"code"`
	NameZH   string  `json:"name_zh"`
	NameEN   string  `json:"name_en"`
	Stars    int     `json:"stars"`
	MinScore float64 `json:"min_score,omitempty"`
}

// Name returns the level's name in lang.
func (l Level) Name(lang string) string { return Names{l.NameZH, l.NameEN}.In(lang) }

// Name returns the scheme's name in lang.
func (s *Scheme) Name(lang string) string { return Names{s.NameZH, s.NameEN}.In(lang) }

// Kind returns the name of the kind of certification in lang.
func (s *Scheme) Kind(lang string) string { return Names{s.KindZH, s.KindEN}.In(lang) }

// Level returns the scheme's level with code, if any.
func (s *Scheme) Level(code string) (Level, bool) {
	for _, l := range s.Levels {
		if l.Code == code {
			return l, true
		}
	}
	return Level{}, false
}

// MinScore is the lowest score that can be certified under a graded scheme.
func (s *Scheme) MinScore() float64 {
	if len(s.Levels) == 0 {
		return 0
	}
	return s.Levels[len(s.Levels)-1].MinScore
}

// LevelFor returns the level that score earns under the scheme, or a field
// error when it is out of range or too low to be certified.
func (s *Scheme) LevelFor(score float64) (Level, *FieldError) {
	if math.IsNaN(score) || score < 0 || (s.MaxScore > 0 && score > s.MaxScore) {
		fe := fieldErr("score", "registry.score_out_range_must", fmtScore(score), fmtScore(s.MaxScore))
		return Level{}, &fe
	}
	if !s.Graded {
		return s.Levels[0], nil
	}
	for _, l := range s.Levels {
		if score >= l.MinScore {
			return l, nil
		}
	}
	fe := fieldErr("score", "registry.score_below_cannot_certified", fmtScore(score), fmtScore(s.MinScore()), s.Standard)
	return Level{}, &fe
}

// Schemes is the set of schemes the registry knows.
type Schemes struct {
	list   []*Scheme
	byCode map[string]*Scheme
}

// ParseSchemes reads scheme definitions in the format of data/schemes.json
// and checks them.
func ParseSchemes(b []byte) (*Schemes, error) {
	var list []*Scheme
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("parse schemes: %w", err)
	}
	ss := &Schemes{list: list, byCode: map[string]*Scheme{}}
	for _, s := range list {
		if s.Code == "" || s.Standard == "" || s.NameZH == "" || len(s.Levels) == 0 {
			return nil, fmt.Errorf("parse schemes: scheme %q needs code, standard, name_zh and levels", s.Code)
		}
		if _, dup := ss.byCode[s.Code]; dup {
			return nil, fmt.Errorf("parse schemes: duplicate code %q", s.Code)
		}
		if !s.Graded && len(s.Levels) != 1 {
			return nil, fmt.Errorf("parse schemes: pass/fail scheme %q must have exactly one level", s.Code)
		}
		if s.Graded && !sort.SliceIsSorted(s.Levels, func(i, j int) bool { return s.Levels[i].MinScore > s.Levels[j].MinScore }) {
			return nil, fmt.Errorf("parse schemes: levels of %q must be ordered from the highest min_score down", s.Code)
		}
		ss.byCode[s.Code] = s
	}
	return ss, nil
}

// All returns the schemes in the order of their definition.
func (ss *Schemes) All() []*Scheme { return ss.list }

// Get returns the scheme with code.
func (ss *Schemes) Get(code string) (*Scheme, bool) {
	s, ok := ss.byCode[code]
	return s, ok
}

// Find returns the scheme named by code or by standard number, as an import
// file may give either ("AS", "GB/T 27922-2011", "GB/T27922-2011").
func (ss *Schemes) Find(s string) (*Scheme, bool) {
	s = FoldWidth(s)
	if sc, ok := ss.byCode[s]; ok {
		return sc, true
	}
	key := standardKey(s)
	for _, sc := range ss.list {
		if standardKey(sc.Standard) == key || standardKey(sc.Code) == key || sc.NameZH == s {
			return sc, true
		}
	}
	return nil, false
}

func standardKey(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\t' {
			continue
		}
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}

func fmtScore(f float64) string {
	if f == math.Trunc(f) {
		return fmt.Sprintf("%.0f", f)
	}
	return fmt.Sprintf("%.1f", f)
}

// FormatScore formats a score as the registry shows it: no decimals for a
// whole number, one otherwise.
func FormatScore(f float64) string { return fmtScore(f) }
