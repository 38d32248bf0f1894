package claims

import (
	"slices"
	"time"

	"github.com/trustline/trustline/ledger"
)

// cold_chain (ledger.ClaimColdChain): every reading from origin to retail
// within range, and no gap longer than MaxGapMinutes on a shipment leg
// (see the package comment for legs and gaps).

// leg is one shipment of the lot or an upstream lot.
type leg struct {
	shipment   string
	lots       []string
	readings   []reading
	events     []string
	ship, recv *event // recv is nil while the leg is open
}

func (e *evaluation) coldChain(p ledger.ColdChainParams) verdict {
	var lo, hi float64
	switch {
	case p.Range != nil:
		lo, hi = p.Range.MinC, p.Range.MaxC
	case e.tr.Product != nil:
		lo, hi = e.tr.Product.TempMinC, e.tr.Product.TempMaxC
	default:
		return verdict{status: Pending, why: why("range_unknown")}
	}
	maxGap := time.Duration(p.MaxGapMinutes) * time.Minute
	rc := e.retailReceipt(p.RetailPlaces)

	var all []reading
	var legs []*leg
	open := map[string]*leg{}
	for _, ev := range e.events {
		if rc != nil && rc.at.Before(ev.at) {
			break // after retail: the shop's fridge is not the supply chain
		}
		all = append(all, ev.read...)
		switch {
		case ev.BizStep == "shipping" && ev.Shipment != "":
			l := &leg{shipment: ev.Shipment, lots: ev.ids, readings: slices.Clone(ev.read), events: []string{ev.EventID}, ship: ev}
			open[ev.Shipment] = l
			legs = append(legs, l)
		case ev.BizStep == "receiving" && open[ev.Shipment] != nil:
			l := open[ev.Shipment]
			l.readings = append(l.readings, ev.read...)
			l.events = append(l.events, ev.EventID)
			l.recv = ev
			delete(open, ev.Shipment)
		case len(ev.read) > 0:
			for _, s := range sortedKeys(open) {
				if l := open[s]; overlaps(l.lots, ev.ids) {
					l.readings = append(l.readings, ev.read...)
					l.events = append(l.events, ev.EventID)
				}
			}
		}
		if rc != nil && ev.EventID == rc.EventID {
			break
		}
	}
	slices.SortStableFunc(all, func(a, b reading) int { return a.at.Compare(b.at) })
	var bad []reading
	for _, r := range all {
		if r.c < lo || r.c > hi {
			bad = append(bad, r)
		}
	}
	if len(bad) > 0 {
		b := bad[0]
		code, limit := "temp_above", hi
		if b.c < lo {
			code, limit = "temp_below", lo
		}
		reason := why(code, argTemp(b.c), argTime(b.at), argText(b.device), argTemp(limit))
		if len(bad) > 1 {
			reason = reason.also(why("readings_outside", argCount(len(bad)), argTemp(lo), argTemp(hi)))
		}
		v := verdict{status: Fails, why: reason}
		for _, r := range bad {
			v.evidence = append(v.evidence, r.event)
		}
		return v
	}
	var longest time.Duration
	var inTransit *verdict
	for _, l := range legs {
		if l.recv != nil && len(l.readings) == 0 {
			return verdict{Fails, why("shipment_no_readings", argText(l.shipment)), l.events}
		}
		g, v := l.gaps(maxGap)
		switch {
		case v != nil && l.recv == nil:
			// Loggers are often read out on receipt: until then a gap may
			// still be filled, so it is not yet a failure.
			if inTransit == nil {
				inTransit = &verdict{Pending, v.why.also(why("gap_in_transit")), v.evidence}
			}
		case v != nil:
			return *v
		}
		longest = max(longest, g)
	}
	if inTransit != nil {
		return *inTransit
	}
	var ids []string
	for _, r := range all {
		ids = append(ids, r.event)
	}
	if rc == nil {
		return verdict{Pending, why("readings_so_far", argCount(len(all)), argTemp(lo), argTemp(hi)), ids}
	}
	if len(all) == 0 {
		return verdict{Fails, why("no_readings"), []string{rc.EventID}}
	}
	ids = append(ids, rc.EventID)
	return verdict{Holds, why("cold_chain_kept", argCount(len(all)), argTemp(lo), argTemp(hi), argDur(longest), argDur(maxGap)), ids}
}

// gaps checks a leg's gaps against maxGap (see the package comment) and
// returns the longest, or the verdict on the earliest one over the limit.
func (l *leg) gaps(maxGap time.Duration) (time.Duration, *verdict) {
	if len(l.readings) == 0 {
		return 0, nil // an open leg: its logger has not been read out yet
	}
	rs := slices.Clone(l.readings)
	slices.SortStableFunc(rs, func(a, b reading) int { return a.at.Compare(b.at) })
	var longest time.Duration
	// over is the verdict on a gap of g from a to b (code: which ends).
	over := func(g time.Duration, code string, a, b time.Time, evidence ...string) *verdict {
		longest = max(longest, g)
		if g <= maxGap {
			return nil
		}
		return &verdict{Fails, why(code, argDur(g), argTime(a), argAfter(a, b), argText(l.shipment), argDur(maxGap)), evidence}
	}
	// The ends are ledger times: a reading before shipping counts as taken
	// at shipping, one after receiving as taken at receiving.
	start, end := l.ship.at, time.Time{}
	if l.recv != nil {
		end = l.recv.at
	}
	span := func() *verdict {
		return over(end.Sub(start), "gap_ship_recv", start, end, l.ship.EventID, l.recv.EventID)
	}
	first, last := rs[0], rs[len(rs)-1]
	switch {
	case start.IsZero() || !first.at.After(start):
	case l.recv != nil && !first.at.Before(end): // every reading after receiving
		if v := span(); v != nil {
			return 0, v
		}
	default:
		if v := over(first.at.Sub(start), "gap_ship_first", start, first.at, l.ship.EventID, first.event); v != nil {
			return 0, v
		}
	}
	for i := 1; i < len(rs); i++ {
		a, b := rs[i-1], rs[i]
		if v := over(b.at.Sub(a.at), "gap_readings", a.at, b.at, a.event, b.event); v != nil {
			return 0, v
		}
	}
	switch {
	case l.recv == nil || !last.at.Before(end):
	case !last.at.After(start): // every reading before shipping
		if v := span(); v != nil {
			return 0, v
		}
	default:
		if v := over(end.Sub(last.at), "gap_last_recv", last.at, end, last.event, l.recv.EventID); v != nil {
			return 0, v
		}
	}
	return longest, nil
}
