package subscription

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule is when a scheduled subscription runs (EPCIS 2.0 §8.2.5.3,
// QueryScheduleSubscription): each field a comma-separated list of
// numbers and [a-b] ranges; an omitted field is every value, except
// second, which is 0 (a schedule never fires every second by omission).
// DayOfWeek counts 1 (Monday) to 7 (Sunday). Times are UTC.
type Schedule struct {
	Second     string `json:"second,omitempty"`
	Minute     string `json:"minute,omitempty"`
	Hour       string `json:"hour,omitempty"`
	DayOfMonth string `json:"dayOfMonth,omitempty"`
	Month      string `json:"month,omitempty"`
	DayOfWeek  string `json:"dayOfWeek,omitempty"`
}

var cronParser = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// next is the first time after t the schedule fires.
func (s *Schedule) next(t time.Time) (time.Time, error) {
	var fields []string
	for _, f := range []struct {
		name, v, dflt string
		lo, hi        int
		dow           bool
	}{
		{"second", s.Second, "0", 0, 59, false}, {"minute", s.Minute, "*", 0, 59, false}, {"hour", s.Hour, "*", 0, 23, false},
		{"dayOfMonth", s.DayOfMonth, "*", 1, 31, false}, {"month", s.Month, "*", 1, 12, false}, {"dayOfWeek", s.DayOfWeek, "*", 1, 7, true},
	} {
		if f.v == "" {
			fields = append(fields, f.dflt)
			continue
		}
		var out []string
		for _, e := range strings.Split(f.v, ",") {
			a, b := e, e
			if strings.HasPrefix(e, "[") && strings.HasSuffix(e, "]") {
				var ok bool
				if a, b, ok = strings.Cut(e[1:len(e)-1], "-"); !ok {
					return time.Time{}, fmt.Errorf("%s: %q is not a number or a range [a-b]", f.name, e)
				}
			}
			x, err1 := strconv.Atoi(a)
			y, err2 := strconv.Atoi(b)
			if err1 != nil || err2 != nil || x < f.lo || y > f.hi || x > y {
				return time.Time{}, fmt.Errorf("%s: %q is not in %d to %d", f.name, e, f.lo, f.hi)
			}
			for n := x; n <= y; n++ {
				if f.dow {
					out = append(out, strconv.Itoa(n%7)) // cron: 0 is Sunday
				} else {
					out = append(out, strconv.Itoa(n))
				}
			}
		}
		fields = append(fields, strings.Join(out, ","))
	}
	sched, err := cronParser.Parse(strings.Join(fields, " "))
	if err != nil {
		return time.Time{}, err
	}
	n := sched.Next(t.UTC())
	if n.IsZero() {
		return n, fmt.Errorf("the schedule never fires")
	}
	return n, nil
}
