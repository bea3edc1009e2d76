package registry

import (
	"encoding/csv"
	"strings"
	"sync"

	"github.com/certreg/certreg/data"
)

// province is one row of data/provinces.csv.
type province struct{ name, fullName, nameEN string }

// provinces maps a province's short and full Chinese names to its row.
var provinces = sync.OnceValue(func() map[string]province {
	f, err := data.FS.Open("provinces.csv")
	if err != nil {
		panic("provinces.csv: " + err.Error()) // shipped in the binary
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) < 2 {
		panic("provinces.csv: unreadable")
	}
	m := map[string]province{}
	for _, r := range rows[1:] {
		p := province{r[0], r[1], r[2]}
		m[p.name], m[p.fullName] = p, p
	}
	return m
})

// Provinces returns the number of provincial-level divisions the table
// names.
func Provinces() int { return len(provinces()) / 2 }

// ProvinceName words a province as stored ("浙江" or "浙江省") in lang:
// its English name for "en", as stored otherwise. A name the table does
// not hold is returned as it is.
func ProvinceName(stored, lang string) string {
	if lang != "en" {
		return stored
	}
	if p, ok := provinces()[strings.TrimSpace(stored)]; ok {
		return p.nameEN
	}
	return stored
}
