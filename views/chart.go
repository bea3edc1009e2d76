package views

import (
	"strconv"

	"github.com/certreg/certreg/registry"
)

// Geometry of BarChart: in a 320-unit-wide view box (a phone's width, so
// that its 14-unit text draws at least 12 px high on a 320 px screen and
// more on wider ones), each row is a label on a line of its own above its
// bar, 42 units in all; bars are up to 260 units long, their number after
// them.
const (
	chartWidth = 320
	chartRow   = 42
	chartBar   = 260
	chartLead  = 4
)

// ViewBox is the chart's SVG view box.
func (c Chart) ViewBox() string {
	return "0 0 " + strconv.Itoa(chartWidth) + " " + strconv.Itoa(c.Height())
}

// Height is the chart's height in view-box units.
func (c Chart) Height() int { return len(c.Bars)*chartRow + chartLead }

// Y is the top of row i.
func (c Chart) Y(i int) int { return i*chartRow + chartLead }

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
	w := n * chartBar / max
	if w < 2 {
		w = 2
	}
	return w
}

// ShortLabel cuts a label that would not fit on its line: a Chinese
// character takes about two units of the 44 a line holds, a Latin letter
// one.
func (c Chart) ShortLabel(s string) string {
	units := 0
	for i, r := range s {
		if r >= 0x2E80 {
			units += 2
		} else {
			units++
		}
		if units > 44 {
			return s[:i] + "…"
		}
	}
	return s
}

func formatScore(f float64) string { return registry.FormatScore(f) }
