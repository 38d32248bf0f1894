package report

import (
	"fmt"
	"slices"
	"strings"
)

// Group keys of a completeness report.
const (
	ByProduct = "product"
	ByLot     = "lot"
	ByMember  = "member"
)

// Group is the KDE completeness of the CTEs of one product, lot or member:
// how many CTEs it has, how many carry every KDE their section requires,
// and which KDEs are missing how often.
type Group struct {
	Key      string    `json:"key"`
	CTEs     int       `json:"ctes"`
	Complete int       `json:"complete"`
	Missing  []Missing `json:"missing,omitempty"`
}

// Missing is a KDE of a CTE type missing from Count CTEs of a group, with
// the reason of its first occurrence.
type Missing struct {
	CTE    CTEType `json:"cte"`
	KDE    KDE     `json:"kde"`
	Name   string  `json:"name"`
	CFR    string  `json:"cfr"`
	Count  int     `json:"count"`
	Reason string  `json:"reason"`
}

// Completeness groups ctes by product (GTIN), lot or member and counts
// the KDEs each group's CTEs lack: the dashboard of what each must still
// record. Groups are in key order; missing KDEs in CTE and rule order.
func Completeness(ctes []CTE, by string) ([]Group, error) {
	key := map[string]func(CTE) string{
		ByProduct: func(c CTE) string { return c.GTIN },
		ByLot:     func(c CTE) string { return c.Lot },
		ByMember:  func(c CTE) string { return c.Member },
	}[by]
	if key == nil {
		return nil, fmt.Errorf("report: group by %q: use %s, %s or %s", by, ByProduct, ByLot, ByMember)
	}
	groups := map[string]*Group{}
	for _, c := range ctes {
		k := key(c)
		g := groups[k]
		if g == nil {
			g = &Group{Key: k}
			groups[k] = g
		}
		g.CTEs++
		if len(c.Gaps) == 0 {
			g.Complete++
		}
		for _, gap := range c.Gaps {
			i := slices.IndexFunc(g.Missing, func(m Missing) bool { return m.CTE == c.Type && m.KDE == gap.KDE })
			if i < 0 {
				g.Missing = append(g.Missing, Missing{CTE: c.Type, KDE: gap.KDE, Name: gap.Name, CFR: gap.CFR, Reason: gap.Reason})
				i = len(g.Missing) - 1
			}
			g.Missing[i].Count++
		}
	}
	out := make([]Group, 0, len(groups))
	for _, g := range groups {
		slices.SortStableFunc(g.Missing, func(a, b Missing) int {
			if d := slices.Index(CTETypes, a.CTE) - slices.Index(CTETypes, b.CTE); d != 0 {
				return d
			}
			return ruleIndex(a.CTE, a.KDE) - ruleIndex(b.CTE, b.KDE)
		})
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b Group) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

func ruleIndex(t CTEType, k KDE) int {
	return slices.IndexFunc(t.Rules(), func(r Rule) bool { return r.KDE == k })
}

// CompletenessTable is a completeness report as one sheet: a row per
// group and missing KDE (a complete group has one row with none).
func CompletenessTable(groups []Group, by string) Table {
	s := Sheet{Name: "KDE completeness", Header: []string{by, "CTEs", "Complete CTEs", "CTE", "Missing KDE", "CFR", "CTEs missing it", "Why (first)"}}
	for _, g := range groups {
		head := []string{g.Key, fmt.Sprint(g.CTEs), fmt.Sprint(g.Complete)}
		if len(g.Missing) == 0 {
			s.Rows = append(s.Rows, append(head, "", "", "", "", ""))
		}
		for _, m := range g.Missing {
			s.Rows = append(s.Rows, append(slices.Clone(head), string(m.CTE), m.Name, m.CFR, fmt.Sprint(m.Count), m.Reason))
		}
	}
	return Table{Sheets: []Sheet{s}}
}
