package claims

import (
	"fmt"
	"time"
)

// How results word times, durations and temperatures for people.

// stamp formats a time for people: UTC to the minute, zone named.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// stampAfter formats t, which follows prev, without the date when it is
// the same UTC day: "between 2026-03-02 08:00 UTC and 11:10 UTC".
func stampAfter(prev, t time.Time) string {
	if prev.UTC().Format(time.DateOnly) == t.UTC().Format(time.DateOnly) {
		return t.UTC().Format("15:04 UTC")
	}
	return stamp(t)
}

// dur formats a duration as "50 h 12 min".
func dur(d time.Duration) string {
	if d < 0 {
		return "-" + dur(-d)
	}
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return fmt.Sprintf("%d min", m)
	case m == 0:
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}

// num formats a temperature without trailing zeros.
func num(f float64) string { return fmt.Sprintf("%g", f) }
