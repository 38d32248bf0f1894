package report

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/nodeapi"
)

// Scope is everything a recall of a lot touches, from a node's index: the
// lot and every lot made from it through transformations, the logistic
// units they travel or travelled in, their serialised units, who holds
// them now, and what was shipped to whom.
type Scope struct {
	Lot  string     `json:"lot"`
	Lots []ScopeLot `json:"lots"`
	// LogisticUnits are the SSCC Digital Links the lots were packed into.
	LogisticUnits []string `json:"logisticUnits"`
	// Units are the serialised units of the lots.
	Units []string `json:"units"`
	// Custodians are the members that hold the lots now.
	Custodians []Custodian `json:"custodians"`
	// Shipments are the lots' shipments, in time order.
	Shipments []ScopeShipment `json:"shipments"`
}

// ScopeLot is a lot in a recall's scope.
type ScopeLot struct {
	ID        string           `json:"id"`
	Product   string           `json:"product"`
	Custodian string           `json:"custodian"`
	Status    ledger.LotStatus `json:"status"`
	Remaining string           `json:"remaining"`
	Expiry    string           `json:"expiry"`
	// LogisticUnit is the SSCC the lot is packed in now.
	LogisticUnit string `json:"logisticUnit,omitempty"`
	// Location is where the lot was last known to be: where it was last
	// received, the destination of the shipment it is on (InTransit), its
	// origin, or, for a lot made by a transformation that names no place,
	// the location of the lot it was made from.
	Location  string `json:"location,omitempty"`
	InTransit bool   `json:"inTransit,omitempty"`
	Units     int    `json:"units"`
	// MadeFrom are the lots in scope it was made from (empty for the
	// recalled lot).
	MadeFrom []string `json:"madeFrom,omitempty"`
}

// Custodian is a member holding lots in scope.
type Custodian struct {
	Member string   `json:"member"`
	Lots   []string `json:"lots"`
}

// ScopeShipment is a shipment of a lot in scope.
type ScopeShipment struct {
	Lot       string `json:"lot"`
	From      string `json:"from"`
	To        string `json:"to"`
	Quantity  string `json:"quantity"`
	ShippedAt string `json:"shippedAt"`
	// Destination is the location shipped to.
	Destination string `json:"destination,omitempty"`
	EventID     string `json:"eventId"`
}

// RecallScope computes the scope of a recall of lot from src: the lot's
// trace and those of the lots downstream of it.
func RecallScope(ctx context.Context, src Source, lot string) (*Scope, error) {
	if err := (Selection{Lot: lot}).Check(); err != nil {
		return nil, err
	}
	tr, err := src.Trace(ctx, lot)
	if err != nil {
		return nil, err
	}
	traces := []nodeapi.Trace{*tr}
	for _, l := range tr.Downstream.Lots {
		t, err := src.Trace(ctx, l.ID)
		if err != nil {
			return nil, fmt.Errorf("trace of %s: %w", l.ID, err)
		}
		traces = append(traces, *t)
	}
	return scopeOf(traces, tr.Downstream)
}

func scopeOf(traces []nodeapi.Trace, down ledger.Trace) (*Scope, error) {
	s, err := newSet(traces)
	if err != nil {
		return nil, err
	}
	root := traces[0].Lot.ID
	sc := &Scope{Lot: root, Lots: []ScopeLot{}, LogisticUnits: []string{}, Units: []string{}, Custodians: []Custodian{}, Shipments: []ScopeShipment{}}
	inputs := map[string][]string{}
	for _, e := range down.Edges {
		inputs[e.Output] = append(inputs[e.Output], e.Input)
	}
	holders := map[string][]string{}
	sscc := map[string]bool{}
	for _, d := range s.lots {
		l := d.tr.Lot
		sl := ScopeLot{ID: l.ID, Product: s.productDescription(l.GTIN, l.Product), Custodian: l.Custodian, Status: l.Status,
			Expiry: l.Expiry, LogisticUnit: l.LogisticUnit, MadeFrom: inputs[l.ID]}
		if l.ID != root && sl.Status != ledger.StatusRecalled {
			sl.Status = ledger.StatusRecalled // recalled through root, as the Query contract reports it
		}
		if l.Remaining.Value != "" {
			sl.Remaining = l.Remaining.Value + " " + l.Remaining.UOM
		}
		holders[l.Custodian] = append(holders[l.Custodian], l.ID)
		sl.Location, sl.InTransit = lastLocation(d)
		if sl.Location == "" {
			for _, in := range sl.MadeFrom {
				if i := slices.IndexFunc(sc.Lots, func(o ScopeLot) bool { return o.ID == in }); i >= 0 && sc.Lots[i].Location != "" {
					sl.Location = sc.Lots[i].Location
					break
				}
			}
		}
		if sl.Location != "" {
			sl.Location = s.place(sl.Location)
		}
		for _, e := range d.events {
			if e.Type == epcis.AggregationEvent && e.ParentID != "" {
				sscc[e.ParentID] = true
			}
			if e.Type == epcis.ObjectEvent && e.Action == epcis.ActionAdd {
				for _, id := range e.EPCList {
					if isUnitOf(canon(id), l.ID) {
						sc.Units = append(sc.Units, id)
						sl.Units++
					}
				}
			}
		}
		if l.LogisticUnit != "" {
			sscc[l.LogisticUnit] = true
		}
		sc.Lots = append(sc.Lots, sl)
	}
	for u := range sscc {
		sc.LogisticUnits = append(sc.LogisticUnits, u)
	}
	slices.Sort(sc.LogisticUnits)
	for m, ls := range holders {
		sc.Custodians = append(sc.Custodians, Custodian{Member: m, Lots: ls})
	}
	slices.SortFunc(sc.Custodians, func(a, b Custodian) int { return strings.Compare(a.Member, b.Member) })
	for _, c := range s.ctes() {
		if c.Type != Shipping {
			continue
		}
		dest := c.Values[KDERecipient]
		sc.Shipments = append(sc.Shipments, ScopeShipment{Lot: c.Lot, From: c.From, To: c.To, Quantity: c.Values[KDEQuantity],
			ShippedAt: c.EventTime, Destination: dest, EventID: c.EventID})
	}
	return sc, nil
}

// lastLocation is where a lot's events last place it: the bizLocation of
// its last receiving or commissioning, or the destination of a shipment
// not yet received (inTransit); empty when none names a place.
func lastLocation(d *lotData) (loc string, inTransit bool) {
	if o := d.tr.Lot.Origin; o != nil {
		loc = o.Place.Location
		if loc == "" {
			loc = o.Producer
		}
	}
	for _, e := range d.events {
		switch t, _ := classify(e, d.tr.Lot.ID); {
		case t == Shipping:
			if v := destination(e); v != "" {
				loc, inTransit = v, true
			}
		case t == Receiving || t == Transformation || t == Harvesting:
			if v := location(e); v != "" {
				loc, inTransit = v, false
			} else if t == Receiving {
				inTransit = false
			}
		}
	}
	return loc, inTransit
}
