package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/nodeapi"
)

// Source is what a report reads from a member node: a lot's trace and
// EPCIS queries. The node's HTTP client and the node's own index both
// serve it.
type Source interface {
	// Trace is the node's trace of a lot Digital Link.
	Trace(ctx context.Context, link string) (*nodeapi.Trace, error)
	// Events is one page of an EPCIS query; next is empty on the last.
	Events(ctx context.Context, q nodeapi.Query) (events []json.RawMessage, next string, err error)
}

// Selection chooses the lots of a report. Exactly one of Lot, GTIN or a
// time window is set (GTIN may be combined with the window).
type Selection struct {
	// Lot is a lot Digital Link: the lot and the lots upstream and
	// downstream of it through transformations.
	Lot string
	// GTIN selects every lot of a product.
	GTIN string
	// From and To select the lots with events in [From, To); zero means
	// unbounded. Reports keep only the CTEs in the window.
	From, To time.Time
	// All selects every lot the node knows (the expiry report).
	All bool
}

// ErrSelection is a Selection that names nothing or too much.
var ErrSelection = errors.New("report: select lots with a lot, a GTIN or a time window")

// Check validates s.
func (s Selection) Check() error {
	window := !s.From.IsZero() || !s.To.IsZero()
	switch {
	case s.Lot != "" && (s.GTIN != "" || window):
		return fmt.Errorf("%w, not a lot and more", ErrSelection)
	case s.All && (s.Lot != "" || s.GTIN != "" || window):
		return fmt.Errorf("%w, not every lot and more", ErrSelection)
	case s.Lot == "" && s.GTIN == "" && !window && !s.All:
		return ErrSelection
	case !s.From.IsZero() && !s.To.IsZero() && !s.From.Before(s.To):
		return fmt.Errorf("%w: the window ends (%s) before it starts (%s)", ErrSelection, s.To.Format(time.RFC3339), s.From.Format(time.RFC3339))
	}
	if s.Lot != "" {
		l, err := digitallink.Parse(s.Lot)
		if err != nil {
			return err
		}
		if l.Level() != digitallink.Lot {
			return fmt.Errorf("%w: %s identifies a %s, not a lot", ErrSelection, s.Lot, l.Level())
		}
	}
	return nil
}

// InWindow reports whether an RFC 3339 time is in s's window.
func (s Selection) InWindow(at string) bool {
	if s.From.IsZero() && s.To.IsZero() {
		return true
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return false
	}
	return (s.From.IsZero() || !t.Before(s.From)) && (s.To.IsZero() || t.Before(s.To))
}

// Collect reads the traces of the lots s selects from src, in lot order.
func Collect(ctx context.Context, src Source, s Selection) ([]nodeapi.Trace, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	var links []string
	if s.Lot != "" {
		tr, err := src.Trace(ctx, s.Lot)
		if err != nil {
			return nil, err
		}
		out := []nodeapi.Trace{*tr}
		for _, l := range append(append([]string{}, lotIDs(tr.Upstream.Lots)...), lotIDs(tr.Downstream.Lots)...) {
			if l != tr.Lot.ID && !slices.Contains(links, l) {
				links = append(links, l)
			}
		}
		slices.Sort(links)
		rest, err := traces(ctx, src, links)
		return append(out, rest...), err
	}
	q := nodeapi.Query{GETime: s.From, LTTime: s.To, PerPage: nodeapi.MaxPerPage}
	seen := map[string]bool{}
	for {
		events, next, err := src.Events(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, raw := range events {
			var e epcis.Event
			if err := json.Unmarshal(raw, &e); err != nil {
				return nil, fmt.Errorf("report: an event of the query: %w", err)
			}
			for _, id := range e.IdentifierIDs() {
				l := lotOf(id)
				if l == "" || seen[l] {
					continue
				}
				seen[l] = true
				if g, _ := digitallink.Parse(l); s.GTIN == "" || g.GTIN == gtin14(s.GTIN) {
					links = append(links, l)
				}
			}
		}
		if next == "" {
			break
		}
		q.PageToken = next
	}
	slices.Sort(links)
	return traces(ctx, src, links)
}

// gtin14 pads a GTIN-8, -12 or -13 to 14 digits.
func gtin14(g string) string {
	for len(g) < 14 && len(g) > 0 {
		g = "0" + g
	}
	return g
}

func lotIDs(ls []ledger.LotSummary) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.ID
	}
	return out
}

func traces(ctx context.Context, src Source, links []string) ([]nodeapi.Trace, error) {
	out := make([]nodeapi.Trace, 0, len(links))
	for _, l := range links {
		tr, err := src.Trace(ctx, l)
		if err != nil {
			return nil, fmt.Errorf("trace of %s: %w", l, err)
		}
		out = append(out, *tr)
	}
	return out, nil
}

// InWindow keeps the CTEs in s's time window.
func InWindow(ctes []CTE, s Selection) []CTE {
	out := ctes[:0:0]
	for _, c := range ctes {
		if s.InWindow(c.EventTime) {
			out = append(out, c)
		}
	}
	return out
}

// SelectCTEs reads the lots s selects from src and returns their CTEs in
// s's time window.
func SelectCTEs(ctx context.Context, src Source, s Selection) ([]CTE, error) {
	traces, err := Collect(ctx, src, s)
	if err != nil {
		return nil, err
	}
	ctes, err := CTEs(traces)
	if err != nil {
		return nil, err
	}
	return InWindow(ctes, s), nil
}
