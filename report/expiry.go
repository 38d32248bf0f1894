package report

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/nodeapi"
)

// Expiring is a lot whose expiry date is near, at its custodian: what
// near-expiry stock a member holds (and may be tempted to sell off).
type Expiring struct {
	Custodian string `json:"custodian"`
	Lot       string `json:"lot"`
	Product   string `json:"product"`
	// Expiry is the lot's expiry date; DaysLeft the whole days from the
	// report's time to it (0: expires within a day).
	Expiry    string           `json:"expiry"`
	DaysLeft  int              `json:"daysLeft"`
	Remaining string           `json:"remaining"`
	Units     int              `json:"units"`
	Status    ledger.LotStatus `json:"status"`
}

// ExpiringLots lists the traces' lots that expire from now to now+within
// (lots already expired are left out), by custodian, then days left,
// then lot.
func ExpiringLots(traces []nodeapi.Trace, now time.Time, within time.Duration) []Expiring {
	var out []Expiring
	seen := map[string]bool{}
	for _, tr := range traces {
		l := tr.Lot
		if l.ID == "" || seen[l.ID] || l.Expiry == "" {
			continue
		}
		seen[l.ID] = true
		exp, err := time.Parse(time.RFC3339Nano, l.Expiry)
		if err != nil {
			continue
		}
		left := exp.Sub(now)
		if left < 0 || left > within {
			continue
		}
		days, _ := DaysToExpiry(l.Expiry, now)
		name := l.Product
		if tr.Product != nil {
			name = tr.Product.Name
		}
		rem := ""
		if l.Remaining.Value != "" {
			rem = l.Remaining.Value + " " + l.Remaining.UOM
		}
		out = append(out, Expiring{Custodian: l.Custodian, Lot: l.ID, Product: name, Expiry: exp.UTC().Format(time.DateOnly),
			DaysLeft: days, Remaining: rem, Units: l.Counts.Units, Status: l.Status})
	}
	slices.SortFunc(out, func(a, b Expiring) int {
		if c := strings.Compare(a.Custodian, b.Custodian); c != 0 {
			return c
		}
		if a.DaysLeft != b.DaysLeft {
			return a.DaysLeft - b.DaysLeft
		}
		return strings.Compare(a.Lot, b.Lot)
	})
	return out
}

// DaysToExpiry is the whole days from now to an expiry time (RFC 3339):
// 0 when it expires within a day, negative once it has expired (-1 on the
// day after). ok is false when expiry is empty or not a time.
func DaysToExpiry(expiry string, now time.Time) (days int, ok bool) {
	exp, err := time.Parse(time.RFC3339Nano, expiry)
	if err != nil {
		return 0, false
	}
	return int(math.Floor(exp.Sub(now).Hours() / 24)), true
}

// ExpiringTable is the near-expiry report as one sheet.
func ExpiringTable(es []Expiring) Table {
	s := Sheet{Name: "Expiring", Header: []string{"Custodian", "Lot", "Product", "Expiry", "Days to expiry", "Remaining", "Units", "Status"}}
	for _, e := range es {
		s.Rows = append(s.Rows, []string{e.Custodian, e.Lot, e.Product, e.Expiry, fmt.Sprint(e.DaysLeft), e.Remaining, fmt.Sprint(e.Units), string(e.Status)})
	}
	return Table{Sheets: []Sheet{s}}
}

// ParseWithin reads a window such as "7d" (days) or a Go duration ("36h").
func ParseWithin(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(d, "%d", &n); err == nil && n >= 0 && fmt.Sprint(n) == d {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	} else if v, err := time.ParseDuration(s); err == nil && v >= 0 {
		return v, nil
	}
	return 0, fmt.Errorf("%q is not a window such as 7d or 36h", s)
}
