package views

import "github.com/certreg/certreg/registry"

// Geometry of BarChart: rows 28 units high, bars up to 400 units long after
// a 160-unit label column, in a 640-unit-wide view box.
const (
	chartRow  = 28
	chartBar  = 400
	chartLead = 8
)

// Height is the chart's height in view-box units.
func (c Chart) Height() int { return len(c.Bars)*chartRow + chartLead }

// Y is the top of row i.
func (c Chart) Y(i int) int { return i*chartRow + chartLead/2 }

// Width is the length of a bar for n, scaled to the largest bar.
func (c Chart) Width(n int) int {
	max := 0
	for _, b := range c.Bars {
		if b.N > max {
			max = b.N
		}
	}
	if max == 0 || n <= 0 {
		return 0
	}
	w := n * (chartBar - 60) / max
	if w < 2 {
		w = 2
	}
	return w
}

// ShortLabel cuts a label that would not fit the label column.
func (c Chart) ShortLabel(s string) string {
	r := []rune(s)
	if len(r) > 12 {
		return string(r[:11]) + "…"
	}
	return s
}

func formatScore(f float64) string { return registry.FormatScore(f) }
