package web

import (
	"math"
	"strconv"
	"strings"
)

// Chart is a small server-rendered SVG chart of temperature readings over
// time against the product's allowed range; the template draws it from
// these precomputed coordinates (viewBox units), so the page needs no
// script.
type Chart struct {
	W, H       float64
	Left, Top  float64 // plot area's origin
	PlotW      float64
	PlotH      float64
	Band       *Band // allowed range, when the product has one
	Line       string
	Points     []Point
	YTicks     []Tick
	XFrom, XTo string
	Summary    string // text alternative
}

// Band is the allowed temperature range's rectangle.
type Band struct {
	Y, H float64
}

// Point is one reading.
type Point struct {
	X, Y   float64
	Breach bool
	Label  string
}

// Tick is a labelled y value.
type Tick struct {
	Y     float64
	Label string
}

func (b *builder) chart(rs []Reading, tmin, tmax *float64) *Chart {
	l := b.l
	c := &Chart{W: 340, H: 150, Left: 34, Top: 10}
	c.PlotW, c.PlotH = float64(c.W)-c.Left-10, float64(c.H)-c.Top-24
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rs {
		lo, hi = math.Min(lo, r.TemperatureC), math.Max(hi, r.TemperatureC)
	}
	if tmin != nil {
		lo, hi = math.Min(lo, *tmin), math.Max(hi, *tmax)
	}
	lo, hi = math.Floor(lo-1), math.Ceil(hi+1)
	y := func(v float64) float64 { return round1(c.Top + c.PlotH*(hi-v)/(hi-lo)) }

	t0, t1 := rs[0].At.t, rs[len(rs)-1].At.t
	span := t1.Sub(t0).Seconds()
	var line []string
	for i, r := range rs {
		x := c.Left + c.PlotW/2
		if span > 0 {
			x = c.Left + c.PlotW*r.At.t.Sub(t0).Seconds()/span
		} else if len(rs) > 1 {
			x = c.Left + c.PlotW*float64(i)/float64(len(rs)-1)
		}
		p := Point{X: round1(x), Y: y(r.TemperatureC), Breach: r.Breach, Label: l.T("chart.point", l.Temp(r.TemperatureC), pointTime(l, rs[0].At, r.At))}
		c.Points = append(c.Points, p)
		line = append(line, ftoa(p.X)+","+ftoa(p.Y))
	}
	c.Line = strings.Join(line, " ")
	if tmin != nil {
		c.Band = &Band{Y: y(*tmax), H: round1(y(*tmin) - y(*tmax))}
		c.YTicks = []Tick{{Y: y(*tmax), Label: l.Temp(*tmax)}, {Y: y(*tmin), Label: l.Temp(*tmin)}}
	} else {
		c.YTicks = []Tick{{Y: y(hi), Label: l.Temp(hi)}, {Y: y(lo), Label: l.Temp(lo)}}
	}
	first, last := rs[0].At, rs[len(rs)-1].At
	c.XFrom, c.XTo = l.When(first), l.When(last)
	if first.Local().YearDay() == last.Local().YearDay() && first.Local().Year() == last.Local().Year() {
		c.XTo = l.Clock(last) // the same day: the date once is enough
	}
	breaches := 0
	for _, r := range rs {
		if r.Breach {
			breaches++
		}
	}
	c.Summary = l.T("chart.summary", len(rs), l.Temp(minTemp(rs)), l.Temp(maxTemp(rs)))
	if tmin != nil {
		c.Summary += l.T("chart.range", l.Temp(*tmin), l.Temp(*tmax), breaches)
	}
	return c
}

func minTemp(rs []Reading) float64 {
	m := math.Inf(1)
	for _, r := range rs {
		m = math.Min(m, r.TemperatureC)
	}
	return m
}

func maxTemp(rs []Reading) float64 {
	m := math.Inf(-1)
	for _, r := range rs {
		m = math.Max(m, r.TemperatureC)
	}
	return m
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func fmtTemp(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) + " °C" }

// pointTime labels a reading's time: the clock alone on the chart's first
// day (the axis shows the date).
func pointTime(l *Lang, first, t Time) string {
	a, b := first.Local(), t.Local()
	if a.YearDay() == b.YearDay() && a.Year() == b.Year() {
		return l.Clock(t)
	}
	return l.When(t)
}
