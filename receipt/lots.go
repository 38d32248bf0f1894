package receipt

import (
	"errors"
	"fmt"
	"strings"

	"github.com/trustline/trustline/ledger"
)

// PartLot is the completeness of a lot's events: the events the receipt
// shows of a lot against the count and event chain of its proven record.
const PartLot Part = "lot"

// ErrIncomplete is returned when the events a receipt shows of a lot are
// not exactly those its proven lot record commits to (ledger.LotSummary
// EventChain): one is missing, added or out of order.
var ErrIncomplete = errors.New("receipt: lot events incomplete")

// LotVerdict is the completeness check of one lot the receipt carries a
// proven record of.
type LotVerdict struct {
	Lot      string `json:"lot"`
	RecordID string `json:"recordId"`
	// Events is how many events the lot record counts, Shown how many
	// proven events of the lot the receipt shows.
	Events int `json:"events"`
	Shown  int `json:"shown"`
	// Chained is false for a lot recorded before event chains: its
	// completeness is then not proven (and not a failure).
	Chained  bool         `json:"chained"`
	Failures []*PartError `json:"failures,omitempty"`
}

// OK reports whether the lot's events are complete (or unchained).
func (v LotVerdict) OK() bool { return len(v.Failures) == 0 }

// verifyLots checks, for each lot the receipt proves a record of, that the
// proven events naming the lot (or a logistic unit a proven event packed
// it into), in the receipt's order, are exactly the events the record's
// event chain commits to, in ledger order. A version 3 receipt must prove
// the subject lot's record.
//
// It also returns the id of the record it went by for each lot, by lot
// key, whose freshness verifyState checks.
func verifyLots(r *Receipt, rep *Report, records []any) ([]LotVerdict, map[string]string) {
	latest := map[string]*ledger.LotSummary{}
	ids := map[string]string{}
	var order []string
	for i, rec := range r.Records {
		if i >= len(rep.Records) || !rep.Records[i].OK() {
			continue
		}
		l, ok := records[i].(*ledger.LotSummary)
		if !ok {
			continue
		}
		k := lotKey(l.ID)
		if cur, ok := latest[k]; !ok || l.Counts.Events > cur.Counts.Events {
			if !ok {
				order = append(order, k)
			}
			latest[k], ids[k] = l, rec.RecordID
		}
	}
	var out []LotVerdict
	if r.Version >= 3 {
		if lot, _, err := subjectOf(r.Subject); err == nil {
			if k := lot.GTIN + "/" + lot.Lot; latest[k] == nil {
				out = append(out, LotVerdict{Lot: lot.String(), Failures: []*PartError{{Part: PartLot, Anchor: -1,
					Err: fmt.Errorf("%w: lot %s: the receipt proves no record of the lot, so nothing shows its events are all there", ErrIncomplete, lot)}}})
			}
		}
	}
	type proven struct {
		i     int
		names eventNames
	}
	var evs []proven
	for i, e := range r.Events {
		if i < len(rep.Verdicts) && rep.Verdicts[i].OK() {
			evs = append(evs, proven{i, namesOf(e.Event)})
		}
	}
	names := make([]eventNames, len(evs))
	for i, p := range evs {
		names[i] = p.names
	}
	for _, k := range order {
		l := latest[k]
		// A record with a chain is checked whatever version the receipt
		// says (a version lowered to dodge the check changes nothing); one
		// with no event yet has an empty chain from version 3 on.
		chained := l.EventChain != "" || r.Version >= 3 && l.Counts.Events == 0
		v := LotVerdict{Lot: l.ID, RecordID: ids[k], Events: l.Counts.Events, Chained: chained}
		lots := map[string]bool{k: true}
		containers := containersOf(names, lots)
		var mine []int // indexes in r.Events, deduplicated by id
		seen := map[string]bool{}
		for _, p := range evs {
			id := r.Events[p.i].EventID
			if !seen[id] && p.names.namesAny(lots, containers) {
				seen[id] = true
				mine = append(mine, p.i)
			}
		}
		v.Shown = len(mine)
		if v.Chained {
			chain := ""
			for _, i := range mine {
				chain = ledger.NextEventChain(chain, r.Events[i].EventID)
			}
			if err := lotMismatch(l, r, mine, chain); err != nil {
				v.Failures = append(v.Failures, &PartError{Part: PartLot, Anchor: -1, Err: err})
			}
		}
		out = append(out, v)
	}
	return out, ids
}

// lotMismatch says how the events shown of lot l (mine, in ledger order,
// chaining to chain) differ from those its record commits to.
func lotMismatch(l *ledger.LotSummary, r *Receipt, mine []int, chain string) error {
	if len(mine) == l.Counts.Events && chain == l.EventChain {
		return nil
	}
	shown := map[string]bool{}
	for _, i := range mine {
		shown[r.Events[i].EventID] = true
	}
	var missing []string
	if l.Recall != nil && l.Recall.EventID != "" && !shown[l.Recall.EventID] {
		missing = append(missing, "its recall event "+l.Recall.EventID)
	}
	if l.Breach != nil && l.Breach.EventID != "" && !shown[l.Breach.EventID] {
		missing = append(missing, "its cold-chain breach event "+l.Breach.EventID)
	}
	named := ""
	if len(missing) > 0 {
		named = "; missing " + strings.Join(missing, " and ")
	}
	switch {
	case len(mine) < l.Counts.Events:
		return fmt.Errorf("%w: lot %s: %d of %d events shown%s", ErrIncomplete, l.ID, len(mine), l.Counts.Events, named)
	case len(mine) > l.Counts.Events:
		return fmt.Errorf("%w: lot %s: %d events shown, its record counts %d: events added that are not the lot's%s", ErrIncomplete, l.ID, len(mine), l.Counts.Events, named)
	default:
		return fmt.Errorf("%w: lot %s: the %d events shown are not the lot's as recorded (reordered, replaced or from another lot): they chain to %s, the lot record to %s%s",
			ErrIncomplete, l.ID, len(mine), short(chain), short(l.EventChain), named)
	}
}

func short(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}

// containersOf are the logistic units proven events packed any of lots
// into.
func containersOf(proven []eventNames, lots map[string]bool) map[string]bool {
	c := map[string]bool{}
	for _, n := range proven {
		if n.parent == "" || lotKey(n.parent) != "" {
			continue
		}
		for _, ch := range n.children {
			if lots[lotKey(ch)] {
				c[n.parent] = true
			}
		}
	}
	return c
}

// completenessLimits are what r's lot records leave unproven.
func (r *Receipt) completenessLimits() []string {
	var lim []string
	unchained := false
	subject := ""
	if lot, _, err := subjectOf(r.Subject); err == nil {
		subject = lot.GTIN + "/" + lot.Lot
	}
	hasSubject := false
	for _, rec := range r.Records {
		if rec.Type != ledger.RecordLot {
			continue
		}
		v, _, err := ledger.DecodeRecord(rec.Type, rec.Record)
		if err != nil {
			continue
		}
		l := v.(*ledger.LotSummary)
		if lotKey(l.ID) == subject {
			hasSubject = true
		}
		if l.EventChain == "" && (l.Counts.Events > 0 || r.Version < 3) {
			unchained = true
		}
	}
	if !hasSubject || unchained {
		lim = append(lim, limitCompleteness+" of lots recorded before event chains")
	}
	return lim
}
