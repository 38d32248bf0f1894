package chaincode

import (
	"github.com/trustline/trustline/ledger"
)

// lotState is a lot record loaded in a transaction, with its key.
type lotState struct {
	key string
	rec *ledger.LotSummary
}

// loadLot returns the lot, or nil if it does not exist.
func (t *txn) loadLot(gtin, lot string) (*lotState, error) {
	k, err := t.key(ledger.ObjectLot, gtin, lot)
	if err != nil {
		return nil, err
	}
	// One record per lot per transaction, so that changes made through
	// different paths (a lot both shipped and packed) are not lost.
	if l, ok := t.lots[k]; ok {
		return l, nil
	}
	var rec ledger.LotSummary
	ok, err := t.get(k, &rec)
	if err != nil || !ok {
		return nil, err
	}
	l := &lotState{key: k, rec: &rec}
	t.lots[k] = l
	return l, nil
}

// lotByLink parses a lot Digital Link and loads the lot, which must exist.
func (t *txn) lotByLink(field, uri string) (*lotState, error) {
	p, err := parseLot(field, uri)
	if err != nil {
		return nil, err
	}
	l, err := t.loadLot(p.GTIN, p.Lot)
	if err != nil {
		return nil, err
	}
	if l == nil {
		return nil, errorf(ErrNotFound, "unknown lot %s", p.Link)
	}
	return l, nil
}

// lotStatus derives a lot's own status from its record.
func lotStatus(l *ledger.LotSummary) ledger.LotStatus {
	switch {
	case l.Recall != nil:
		return ledger.StatusRecalled
	case l.Breach != nil:
		return ledger.StatusBreach
	case l.Shipment != "":
		return ledger.StatusInTransit
	}
	return ledger.StatusActive
}

// putLots stamps and buffers changed lots.
func (t *txn) putLots(lots ...*lotState) error {
	for _, l := range lots {
		l.rec.Status = lotStatus(l.rec)
		l.rec.UpdatedAt = t.nowString()
		if err := t.put(l.key, l.rec); err != nil {
			return err
		}
	}
	return nil
}

// maxTraceLots bounds graph walks so that a query cannot run away.
const maxTraceLots = 10000

// trace walks the transformation graph from root, breadth first, and
// returns the lots reached (root excluded) and the edges walked.
func (t *txn) trace(root *ledger.LotSummary, direction string) ([]ledger.LotSummary, []ledger.Edge, error) {
	seen := map[string]bool{root.ID: true}
	queue := []*ledger.LotSummary{root}
	lots, edges := []ledger.LotSummary{}, []ledger.Edge{}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		var next []string
		if direction == ledger.Upstream {
			for _, in := range cur.Inputs {
				next = append(next, in.Lot)
				edges = append(edges, ledger.Edge{Input: in.Lot, Output: cur.ID, Quantity: in.Quantity})
			}
		} else {
			for _, out := range cur.Outputs {
				next = append(next, out)
			}
		}
		for _, id := range next {
			if seen[id] {
				continue
			}
			seen[id] = true
			if len(seen) > maxTraceLots {
				return nil, nil, errorf(ErrState, "more than %d lots %s of %s", maxTraceLots, direction, root.ID)
			}
			l, err := t.lotByLink("lot", id)
			if err != nil {
				return nil, nil, err
			}
			lots = append(lots, *l.rec)
			queue = append(queue, l.rec)
			if direction == ledger.Downstream {
				for _, in := range l.rec.Inputs {
					if in.Lot == cur.ID {
						edges = append(edges, ledger.Edge{Input: cur.ID, Output: id, Quantity: in.Quantity})
					}
				}
			}
		}
	}
	return lots, edges, nil
}

// recalledVia lists the recalled lots upstream of l.
func (t *txn) recalledVia(l *ledger.LotSummary) ([]string, error) {
	if len(l.Inputs) == 0 {
		return nil, nil
	}
	up, _, err := t.trace(l, ledger.Upstream)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, u := range up {
		if u.Recall != nil {
			out = append(out, u.ID)
		}
	}
	return out, nil
}

// effective returns l as queries report it: recalled when an upstream lot is.
func (t *txn) effective(l ledger.LotSummary) (ledger.LotSummary, error) {
	via, err := t.recalledVia(&l)
	if err != nil {
		return l, err
	}
	if len(via) > 0 {
		l.RecalledVia = via
		l.Status = ledger.StatusRecalled
	}
	return l, nil
}

// requireNotRecalled rejects a lot that is recalled, itself or upstream.
func (t *txn) requireNotRecalled(l *lotState, action string) error {
	if l.rec.Recall != nil {
		return errorf(ErrState, "lot %s is recalled (%s); cannot %s", l.rec.ID, l.rec.Recall.Reason, action)
	}
	via, err := t.recalledVia(l.rec)
	if err != nil {
		return err
	}
	if len(via) > 0 {
		return errorf(ErrState, "lot %s is made from recalled lot %s; cannot %s", l.rec.ID, via[0], action)
	}
	return nil
}

// distinctLots loads lots by Digital Link, each of which must exist and
// appear once (two spellings of one lot count as the same lot).
func (t *txn) distinctLots(field string, uris []string) ([]*lotState, error) {
	if len(uris) == 0 {
		return nil, errorf(ErrInvalid, "no %ss given", field)
	}
	if len(uris) > maxListLen {
		return nil, errorf(ErrInvalid, "%d %ss given, at most %d allowed", len(uris), field, maxListLen)
	}
	out := make([]*lotState, 0, len(uris))
	seen := map[string]bool{}
	for _, u := range uris {
		l, err := t.lotByLink(field, u)
		if err != nil {
			return nil, err
		}
		if seen[l.key] {
			return nil, errorf(ErrInvalid, "%s %s is listed twice", field, l.rec.ID)
		}
		seen[l.key] = true
		out = append(out, l)
	}
	return out, nil
}
