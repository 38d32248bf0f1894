package index

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
)

// eventTimeKey normalises an EPCIS eventTime (RFC 3339, any offset) to
// ledger.TimeLayout so that it sorts as a string.
func eventTimeKey(s string) (string, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return "", fmt.Errorf("eventTime %q is not RFC 3339: %w", s, err)
	}
	return ledger.FormatTime(t), nil
}

// applyEvent writes the index updates of one transaction's payload into w,
// which must read its own writes (an indexed batch); p is ev prepared.
func applyEvent(w writer, ev *ledger.Event, p *Prepared) error {
	for _, p := range ev.Products {
		if !validComponent(p.GTIN) {
			return fmt.Errorf("product with GTIN %q", p.GTIN)
		}
		if err := setJSON(w, key(tProduct, p.GTIN), p); err != nil {
			return err
		}
	}
	for _, u := range ev.LogisticUnits {
		if !validComponent(u.SSCC) {
			return fmt.Errorf("logistic unit with SSCC %q", u.SSCC)
		}
		if err := setJSON(w, key(tLogistic, u.SSCC), u); err != nil {
			return err
		}
	}
	for _, l := range ev.Lots {
		if err := applyLot(w, l); err != nil {
			return err
		}
	}
	for _, u := range ev.Units {
		if !validComponent(u.GTIN) || !validComponent(u.Serial) {
			return fmt.Errorf("unit %q", u.ID)
		}
		if err := setJSON(w, key(tUnit, u.GTIN, u.Serial), u); err != nil {
			return err
		}
	}
	for _, s := range ev.Shipments {
		if !validComponent(s.ID) {
			return fmt.Errorf("shipment with id %q", s.ID)
		}
		if err := setJSON(w, key(tShipment, s.ID), s); err != nil {
			return err
		}
	}
	for _, s := range ev.LabSigners {
		if !validComponent(s.Address) {
			return fmt.Errorf("lab signer %q", s.Address)
		}
		if err := setJSON(w, key(tSigner, strings.ToLower(s.Address)), s); err != nil {
			return err
		}
	}
	for _, r := range ev.Inspections {
		if !validComponent(r.Report.ReportID) {
			return fmt.Errorf("inspection report id %q", r.Report.ReportID)
		}
		if err := setJSON(w, key(tInspection, r.Report.ReportID), r); err != nil {
			return err
		}
	}
	if ev.Roles != nil {
		if err := setJSON(w, key(tGovernance, "roles"), ev.Roles); err != nil {
			return err
		}
	}
	for _, p := range ev.RoleProposals {
		if !validComponent(p.ID) {
			return fmt.Errorf("role proposal id %q", p.ID)
		}
		if err := setJSON(w, key(tGovernance, "proposal", p.ID), p); err != nil {
			return err
		}
	}
	for _, r := range ev.Recalls {
		if err := applyRecall(w, r); err != nil {
			return err
		}
	}
	for _, l := range ev.Locations {
		if err := applyLocation(w, l); err != nil { // locations.go
			return err
		}
	}
	for i, raw := range ev.EPCIS {
		if err := applyEPCIS(w, ev, raw, &p.epcis[i]); err != nil {
			return fmt.Errorf("EPCIS event %d: %w", i, err)
		}
	}
	// Claims last: they are evaluated on everything above (claims.go).
	return applyClaims(w, ev)
}

func applyLot(w writer, l ledger.LotSummary) error {
	if !validComponent(l.GTIN) || !validComponent(l.Lot) {
		return fmt.Errorf("lot %q", l.ID)
	}
	if err := setJSON(w, key(tLot, l.GTIN, l.Lot), l); err != nil {
		return err
	}
	if l.Recall != nil {
		if err := applyRecall(w, *l.Recall); err != nil {
			return err
		}
	}
	for _, in := range l.Inputs {
		if !validComponent(in.Lot) {
			return fmt.Errorf("lot %s: input %q", l.ID, in.Lot)
		}
		if err := setJSON(w, key(tDown, in.Lot, l.ID), in.Quantity); err != nil {
			return err
		}
		if err := setJSON(w, key(tUp, l.ID, in.Lot), in.Quantity); err != nil {
			return err
		}
		// The output inherits the input's recall and recall flags.
		via, err := recalledVia(w, in.Lot)
		if err != nil {
			return err
		}
		for _, r := range via {
			if err := flagDownstream(w, l.ID, r); err != nil {
				return err
			}
		}
	}
	return nil
}

func applyRecall(w writer, r ledger.Recall) error {
	gtin, lot, ok := lotKey(r.Lot)
	if !ok {
		return fmt.Errorf("recall of %q, which is not a lot Digital Link", r.Lot)
	}
	if err := setJSON(w, key(tRecall, gtin, lot), r); err != nil {
		return err
	}
	return flagDownstreamOf(w, r.Lot, r.Lot)
}

// recalledVia returns the recalled lots that make lot recalled: itself if
// it has its own recall, and its x flags.
func recalledVia(r reader, lot string) ([]string, error) {
	gtin, num, ok := lotKey(lot)
	if !ok || !mayBeRecalled(r, gtin, num) {
		return nil, nil
	}
	var out []string
	if _, own, err := get(r, key(tRecall, gtin, num)); err != nil {
		return nil, err
	} else if own {
		out = append(out, lot)
	}
	err := scan(r, prefix(tRecalledBy, gtin, num), nil, func(k, _ []byte) (bool, error) {
		parts := split(k)
		out = append(out, parts[len(parts)-1])
		return true, nil
	})
	return out, err
}

// flagDownstream flags lot as recalled through recalled, and every lot
// downstream of it.
func flagDownstream(w writer, lot, recalled string) error {
	gtin, num, ok := lotKey(lot)
	if !ok {
		return nil
	}
	if err := w.Set(key(tRecalledBy, gtin, num, recalled), nil, nil); err != nil {
		return err
	}
	return flagDownstreamOf(w, lot, recalled)
}

// flagDownstreamOf flags every lot strictly downstream of from, breadth
// first, visiting each lot once.
func flagDownstreamOf(w writer, from, recalled string) error {
	seen := map[string]bool{from: true}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		var next []string
		err := scan(w, prefix(tDown, cur), nil, func(k, _ []byte) (bool, error) {
			parts := split(k)
			next = append(next, parts[len(parts)-1])
			return true, nil
		})
		if err != nil {
			return err
		}
		for _, n := range next {
			if seen[n] {
				continue
			}
			seen[n] = true
			if gtin, num, ok := lotKey(n); ok {
				if err := w.Set(key(tRecalledBy, gtin, num, recalled), nil, nil); err != nil {
					return err
				}
			}
			queue = append(queue, n)
		}
	}
	return nil
}

// applyEPCIS indexes one EPCIS event of ev, raw, decoded in p.
func applyEPCIS(w writer, ev *ledger.Event, raw json.RawMessage, p *preparedEPCIS) error {
	f, at := &p.f, p.at
	if err := w.Set(key(tEvent, f.EventID), raw, nil); err != nil {
		return err
	}
	eventCacheOf(w).put(f.EventID, raw, f) // for the claims' traces (eventcache.go)
	if err := w.Set(key(tTime, at, f.EventID), nil, nil); err != nil {
		return err
	}
	lots := map[string]bool{}
	addLot := func(l digitallink.Link) {
		if l.GTIN != "" && l.Lot != "" {
			lots[l.LotLink().String()] = true
		}
	}
	addEPC := func(c string, role epcis.Role) error {
		if err := w.Set(key(tEPC, c, at, f.EventID), []byte{byte(role)}, nil); err != nil {
			return err
		}
		l, err := digitallink.Parse(c)
		if err != nil {
			return nil
		}
		addLot(l)
		if l.SSCC != "" {
			var u ledger.LogisticUnit
			if ok, err := getJSON(w, key(tLogistic, l.SSCC), &u); err != nil {
				return err
			} else if ok {
				for _, lot := range u.Lots {
					lots[lot] = true
				}
			}
		}
		return nil
	}
	for _, id := range f.Identifiers() {
		if !validComponent(id.ID) {
			continue
		}
		if id.Role != epcis.RoleClass {
			if err := addEPC(id.ID, id.Role); err != nil {
				return err
			}
			continue
		}
		if err := w.Set(key(tClass, id.ID, at, f.EventID), nil, nil); err != nil {
			return err
		}
		if l, err := digitallink.Parse(id.ID); err == nil {
			addLot(l)
		}
	}
	// A transaction records one event, and writes exactly the lots that
	// event concerns; the chaincode indexes it under each of them.
	if len(ev.EPCIS) == 1 {
		for _, l := range ev.Lots {
			lots[l.ID] = true
		}
	}
	txTime := ev.Timestamp
	if !validComponent(txTime) {
		txTime = at
	}
	for lot := range lots {
		gtin, num, ok := lotKey(lot)
		if !ok {
			continue
		}
		if err := w.Set(key(tLotEvent, gtin, num, txTime, f.EventID), nil, nil); err != nil {
			return err
		}
	}
	return applyQueryTables(w, f, at, txTime) // epcisquery.go
}
