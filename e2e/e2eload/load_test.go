package e2eload

import (
	"testing"
	"time"
)

func TestLongestGap(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s ...float64) []time.Time {
		var ts []time.Time
		for _, x := range s {
			ts = append(ts, t0.Add(time.Duration(x*float64(time.Second))))
		}
		return ts
	}
	for _, tc := range []struct {
		name string
		at   []time.Time
		to   float64
		want time.Duration
	}{
		{"no commits", nil, 10, 10 * time.Second},
		{"inside", at(1, 2, 6, 7), 8, 4 * time.Second},
		{"to the end", at(1, 2), 9, 7 * time.Second},
		{"from the start", at(5, 6), 7, 5 * time.Second},
		{"unsorted, outside ignored", at(-3, 6, 2, 30), 8, 4 * time.Second},
	} {
		if got := LongestGap(tc.at, t0, t0.Add(time.Duration(tc.to*float64(time.Second)))); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestCount(t *testing.T) {
	l := &Load{writes: map[string]*write{
		"ok":        {attempts: []string{"a"}, done: "a"},
		"retried":   {attempts: []string{"b1", "b2"}, done: "b2"},
		"lost":      {attempts: []string{"c"}, done: "c"},
		"twice":     {attempts: []string{"d1", "d2"}, done: "d2"},
		"unfinshed": {attempts: []string{"e"}},
	}}
	got := l.count(map[string]int{"a": 1, "b2": 1, "d1": 1, "d2": 1})
	want := Count{Writes: 5, Attempts: 7, Retried: 2, Lost: 1, Duplicated: 1, Unfinished: 1}
	if got != want {
		t.Errorf("count = %+v, want %+v", got, want)
	}
	if got.Exact() || !(Count{Writes: 3, Attempts: 4, Retried: 1}).Exact() || (Count{}).Exact() {
		t.Error("Exact")
	}
}
